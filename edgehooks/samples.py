"""Sample events for trying a handler outside the proxy (`edgehooks events`, `invoke`, `testing`).

A sample is a viewer's request (and, for response events, the origin's answer) described by a
few fields; `event` turns it into the event the proxy itself would hand the function, through
the same code the pipeline uses: `events` for the JSON and `pipeline.origin_facing` for what
CloudFront changes on the way to the origin. Defaults are a plausible browser request for
/index.html from a documentation address (RFC 5737).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import formatdate

from . import events, ids
from .distribution import OriginSpec, ServerSettings
from .events import EventContext
from .messages import Headers, Request, Response, without
from .pipeline import BODY_EXPOSURE, origin_facing
from .validation import reason_phrase

EVENT_TYPES = ("viewer-request", "origin-request", "origin-response", "viewer-response")
CLIENT_IP = "198.51.100.23"
ORIGIN = OriginSpec(name="origin", url="https://origin.example.com")
# What CloudFront's Via looks like to an origin (reference §3.3).
CLOUDFRONT_VIA = "2.0 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@dataclass
class Sample:
    method: str = "GET"
    uri: str = "/index.html"
    querystring: str = ""
    headers: Headers = field(default_factory=list)  # the viewer's; each replaces a default of that name
    body: bytes | None = None  # a request body, shown as include_body shows it
    client_ip: str = CLIENT_IP
    status: int = 200  # the origin's answer, for response events
    response_headers: Headers = field(default_factory=list)  # each replaces a default of that name


def parse_header(text: str) -> tuple[str, str]:
    """"Name: value" (or "Name:value") as given on a command line."""
    name, colon, value = text.partition(":")
    if not colon or not name.strip() or any(c.isspace() for c in name.strip()):
        raise ValueError(f'{text!r} is not a header "Name: value"')
    return name.strip(), value.strip()


def event(event_type: str, sample: Sample, *, server: ServerSettings | None = None, origin: OriginSpec | None = None) -> dict:
    """The event `event_type`'s function would receive for `sample` (server/origin: from a config)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}; one of: {', '.join(EVENT_TYPES)}")
    server = server or ServerSettings()
    ctx = EventContext(server.domain_name, server.distribution_id, ids.request_id())
    request = _viewer_request(sample, server.domain_name)
    origin_json = events.origin_object(origin or ORIGIN) if event_type.startswith("origin-") else None
    if origin_json is not None:
        request = origin_facing(request, origin_json, CLOUDFRONT_VIA)
    if event_type.endswith("-response"):
        return events.response_event(event_type, ctx, request, _origin_response(sample), origin=origin_json)
    body = sample.body
    if body is None:
        return events.request_event(event_type, ctx, request, origin=origin_json)
    limit = BODY_EXPOSURE[event_type]
    return events.request_event(event_type, ctx, request, origin=origin_json, body=body[:limit], body_truncated=len(body) > limit)


def _viewer_request(sample: Sample, host: str) -> Request:
    defaults: Headers = [("Host", host), ("User-Agent", BROWSER), ("Accept", "*/*"), ("Accept-Encoding", "gzip, deflate, br")]
    if sample.body is not None:
        defaults.append(("Content-Length", str(len(sample.body))))
    headers = _overlay(defaults, sample.headers)
    return Request(sample.method, sample.uri, sample.querystring, headers, sample.client_ip, sample.body or b"")


def _origin_response(sample: Sample) -> Response:
    defaults: Headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "1024"),
        ("Date", formatdate(usegmt=True)),
        ("Last-Modified", "Mon, 02 Nov 2026 10:00:00 GMT"),
        ("ETag", '"5f3c8a1e2b"'),
        ("Cache-Control", "max-age=3600"),
        ("Server", "nginx"),
    ]
    return Response(sample.status, reason_phrase(sample.status), _overlay(defaults, sample.response_headers))


def _overlay(defaults: Headers, given: Headers) -> Headers:
    return without(defaults, *(name for name, _ in given)) + list(given)
