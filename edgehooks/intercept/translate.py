"""mitmproxy's flows to the pipeline's messages and back, as server.py does for aiohttp."""

from __future__ import annotations

import time

from mitmproxy import http
from yarl import URL

from ..distribution import OriginSpec
from ..events import origin_object
from ..messages import Request, Response, strip_hop_by_hop, without
from ..target import split_target


def to_request(flow: http.HTTPFlow) -> Request:
    """The viewer request; raises target.BadTarget as server.to_request does."""
    r = flow.request
    path, query, _ = split_target(r.path)
    headers = strip_hop_by_hop([(k.decode("latin-1"), v.decode("utf-8", "replace")) for k, v in r.headers.fields])
    # HTTP/2 carries the host as :authority, an absolute-form HTTP/1 target names it (RFC 9112
    # §3.2.2): either way the pipeline sees it as Host, which the cache key and hooks read.
    authority = r.authority or r.host_header
    if authority:
        headers = [("Host", authority)] + without(headers, "host")
    version = r.http_version.removeprefix("HTTP/")
    return Request(r.method, path, query, headers, flow.client_conn.peername[0], r.raw_content or b"", version)


def origin_of(flow: http.HTTPFlow) -> dict:
    """The site the viewer asked for, as a custom origin object (CloudFront's defaults otherwise)."""
    r = flow.request
    url = URL.build(scheme=r.scheme, host=r.host, port=r.port)
    return origin_object(OriginSpec(name=r.host, url=str(url)))


def to_response(flow: http.HTTPFlow, response: Response, body: bytes) -> http.Response:
    """The pipeline's answer with its body read, framed for the viewer's HTTP version."""
    headers = without(response.headers, "content-length")
    length = _content_length(flow.request.method, response.status, response.header("content-length"), len(body))
    if length is not None:
        headers.append(("Content-Length", length))
    now = time.time()
    return http.Response(
        flow.request.http_version.encode(),
        response.status,
        (response.reason or http.status_codes.RESPONSES.get(response.status, "")).encode(),
        http.Headers([(k.encode(), v.encode()) for k, v in headers]),
        b"" if flow.request.method == "HEAD" else body,
        None,
        now,
        now,
    )


def _content_length(method: str, status: int, given: str | None, size: int) -> str | None:
    if method == "HEAD" or status == 304:
        # These stand for a body that is not sent: they keep the length of that one.
        return given if given and given.isdigit() else None
    if status < 200 or status == 204:
        return None
    return str(size)
