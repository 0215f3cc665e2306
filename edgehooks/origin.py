"""Fetching from origins: custom HTTP(S) origins through one pooled aiohttp client, and S3-style
origins served from a local folder.

The pipeline hands over the `origin` object in its Lambda@Edge form (after an origin-request
function may have rewritten it), so switching origins needs nothing special here.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import os
import ssl
from collections.abc import AsyncIterator
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from .cache.freshness import http_date
from .distribution import OriginSpec
from .events import origin_object
from .messages import Request, Response, strip_hop_by_hop

CHUNK = 64 * 1024


class OriginError(Exception):
    """The origin could not be reached (502) or did not answer in time (504)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def read_timeout(origin: dict) -> float:
    """How long an origin may take to answer (its event object's readTimeout; CloudFront's 30 s default)."""
    return float(next(iter(origin.values())).get("readTimeout", 30))


class Origins:
    def __init__(self, specs: dict[str, OriginSpec], tls: ssl.SSLContext | bool = True):
        """`tls` is how HTTPS origins are verified: True for the system's CAs, a context that
        trusts other CAs, or False for none (a forward proxy mirrors its upstream trust options)."""
        self._tls = tls
        self._folders = {f"{_s3_domain(s)}": s.path for s in specs.values() if s.path is not None}
        self._connect_timeout = {_custom_target(s): s.connect_timeout for s in specs.values() if s.url}
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=256, keepalive_timeout=5, enable_cleanup_closed=True, ssl=self._tls)
        # The bytes must reach the viewer as the origin sent them: no decompression, no
        # client-added headers, no cookie jar.
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept", "Content-Type"),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def fetch(self, origin: dict, request: Request) -> Response:
        if "s3" in origin:
            folder = self._folders.get(origin["s3"]["domainName"])
            if folder is None:
                raise OriginError(502, f"no local folder serves S3 origin {origin['s3']['domainName']}")
            return await serve_folder(folder, request)
        return await self._fetch_custom(origin["custom"], request)

    async def _fetch_custom(self, custom: dict, request: Request) -> Response:
        assert self._session is not None, "Origins.start() was not awaited"
        target = f"{custom['protocol']}://{_host(custom['domainName'])}:{custom['port']}"
        url = target + custom.get("path", "") + request.target
        timeout = aiohttp.ClientTimeout(
            sock_connect=self._connect_timeout.get(target, 10.0),
            sock_read=read_timeout({"custom": custom}),
        )
        body = request.body if request.body != b"" else None
        try:
            upstream = await self._session.request(
                request.method,
                URL(url, encoded=True),
                headers=CIMultiDict(request.headers),
                data=body,
                allow_redirects=False,
                timeout=timeout,
                auto_decompress=False,
                skip_auto_headers=("Content-Type",),
            )
        except asyncio.TimeoutError as e:
            raise OriginError(504, f"origin {target} did not answer in time") from e
        except (aiohttp.ClientError, OSError) as e:
            raise OriginError(502, f"origin {target} unreachable: {e}") from e
        headers = strip_hop_by_hop([(k.decode("latin-1"), v.decode("latin-1")) for k, v in upstream.raw_headers])
        return Response(upstream.status, upstream.reason or "", headers, _stream(upstream))


async def _stream(upstream: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.content.iter_any():
            yield chunk
    except asyncio.TimeoutError as e:
        raise OriginError(504, "origin stopped sending the body") from e
    except aiohttp.ClientError as e:
        raise OriginError(502, f"origin broke off the body: {e}") from e
    finally:
        upstream.release()


def _host(domain: str) -> str:
    return f"[{domain}]" if ":" in domain else domain


def _custom_target(spec: OriginSpec) -> str:
    url = URL(spec.url)
    return f"{url.scheme}://{_host(url.host or '')}:{url.port}"


def _s3_domain(spec: OriginSpec) -> str:
    return origin_object(spec)["s3"]["domainName"]


async def serve_folder(root: Path, request: Request) -> Response:
    """Answer like a public S3 bucket's REST endpoint: objects by key, 404 for missing keys."""
    if request.method not in ("GET", "HEAD"):
        return _s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
    path = _object_path(root, request.uri)
    if path is None or not path.is_file():
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
    stat = path.stat()
    etag = await asyncio.to_thread(_etag, path, stat.st_mtime_ns, stat.st_size)
    headers = [
        ("Content-Type", mimetypes.guess_type(path.name)[0] or "binary/octet-stream"),
        ("Content-Length", str(stat.st_size)),
        ("Last-Modified", formatdate(stat.st_mtime, usegmt=True)),
        ("ETag", etag),
        ("Accept-Ranges", "bytes"),
        ("Server", "AmazonS3"),
    ]
    if _not_modified(request, etag, stat.st_mtime):
        return Response(304, "Not Modified", [h for h in headers if h[0] not in ("Content-Length", "Content-Type")])
    body = b"" if request.method == "HEAD" else _read_file(path)
    return Response(200, "OK", headers, body)


def _object_path(root: Path, uri: str) -> Path | None:
    """The file for an object key, or None when the key would leave the folder."""
    key = unquote(uri).lstrip("/")
    if not key or "\x00" in key:
        return None
    root = root.resolve()
    path = (root / key).resolve()
    return path if path.is_relative_to(root) else None


def _etag(path: Path, mtime_ns: int, size: int) -> str:
    # S3's ETag of a single-part upload is the MD5 of the object.
    return f'"{_md5_cached(str(path), mtime_ns, size)}"'


_md5_memo: dict[tuple[str, int, int], str] = {}


def _md5_cached(path: str, mtime_ns: int, size: int) -> str:
    key = (path, mtime_ns, size)
    if key not in _md5_memo:
        digest = hashlib.md5()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(CHUNK * 16), b""):
                digest.update(block)
        _md5_memo[key] = digest.hexdigest()
    return _md5_memo[key]


def _not_modified(request: Request, etag: str, mtime: float) -> bool:
    inm = request.header("if-none-match")
    if inm is not None:
        return inm.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in inm.split(",")]
    since = http_date(request.header("if-modified-since"))
    return since is not None and int(mtime) <= since


async def _read_file(path: Path) -> AsyncIterator[bytes]:
    fd = await asyncio.to_thread(os.open, path, os.O_RDONLY)
    try:
        while chunk := await asyncio.to_thread(os.read, fd, CHUNK * 4):
            yield chunk
    finally:
        os.close(fd)


def _s3_error(status: int, code: str, message: str) -> Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>').encode()
    return Response(status, "", [("Content-Type", "application/xml"), ("Server", "AmazonS3")], body)
