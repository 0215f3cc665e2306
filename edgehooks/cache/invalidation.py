"""Invalidation by unsafe methods (RFC 9111 §4.4): which URIs a successful POST, PUT, DELETE or
unknown-method response makes stale in this cache.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from ..messages import Headers, get_header
from .freshness import SAFE_METHODS


def invalidated(method: str, status: int, host: str, target: str, headers: Headers) -> list[tuple[str, str]]:
    """(path, query) of each URI on `host` to invalidate: the request's own target, and the
    Location and Content-Location of the response when they name the same host (§4.4 forbids
    invalidating another origin's URIs, which would let one site purge another). Nothing for safe
    methods or for an error, whose request did not change the resource."""
    if method in SAFE_METHODS or not 200 <= status < 400:
        return []
    base = f"http://{host}{target}"
    uris = [target] + [value for name in ("location", "content-location") if (value := get_header(headers, name)) is not None]
    found: list[tuple[str, str]] = []
    for uri in uris:
        parts = urlsplit(urljoin(base, uri.strip()))
        if parts.netloc.lower() != host.lower() or parts.scheme not in ("http", "https"):
            continue
        if (parts.path or "/", parts.query) not in found:
            found.append((parts.path or "/", parts.query))
    return found
