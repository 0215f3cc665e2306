"""The pipeline's own request and response types, independent of any HTTP library.

Headers are kept as an ordered list of (name, value) pairs in the spelling they arrived in,
because Lambda@Edge events show one entry per header line with its original `key`, and
Set-Cookie lines must never be merged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

Headers = list[tuple[str, str]]
# A body is either fully in memory or a stream of chunks that can be consumed once.
Body = bytes | AsyncIterator[bytes]

# RFC 9110 §7.6.1 hop-by-hop fields, plus the pre-standard ones proxies still see.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authentication-info",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


@dataclass
class Request:
    method: str
    uri: str  # path only, percent-encoding kept, always starts with "/"
    querystring: str  # raw, without the "?"; "" when absent
    headers: Headers
    client_ip: str
    body: Body = b""
    http_version: str = "1.1"

    def header(self, name: str) -> str | None:
        return get_header(self.headers, name)

    @property
    def names(self) -> frozenset[str]:
        """Its field names, lower-case: most requests have no conditional, range or Cache-Control
        field, and one look here spares a scan of every line for each. Computed once: a request's
        headers are replaced (dataclasses.replace, a new Request), never changed in place.
        (Not functools.cached_property: before Python 3.12 it takes a lock, which cost more.)"""
        names = self.__dict__.get("_names")
        if names is None:
            names = self.__dict__["_names"] = frozenset([k.lower() for k, _ in self.headers])
        return names

    @property
    def target(self) -> str:
        return self.uri + ("?" + self.querystring if self.querystring else "")


@dataclass
class Response:
    status: int
    reason: str = ""
    headers: Headers = field(default_factory=list)
    body: Body = b""

    def header(self, name: str) -> str | None:
        return get_header(self.headers, name)


def get_header(headers: Headers, name: str) -> str | None:
    """The first value of a header, or None."""
    name = name.lower()
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def get_all(headers: Headers, name: str) -> list[str]:
    name = name.lower()
    return [v for k, v in headers if k.lower() == name]


def cookies(lines: list[str]) -> Iterator[tuple[str, str]]:
    """(name, value) of each cookie in Cookie header lines, in the order sent."""
    for line in lines:
        for crumb in line.split(";"):
            name, _, value = crumb.strip().partition("=")
            if name:
                yield name, value


def without(headers: Headers, *names: str) -> Headers:
    drop = _lowered(names)
    return [(k, v) for k, v in headers if k.lower() not in drop]


@lru_cache(maxsize=256)
def _lowered(names: tuple[str, ...]) -> frozenset[str]:
    # The callers name fixed fields: each set is built once, not on every request.
    return frozenset(n.lower() for n in names)


def strip_hop_by_hop(headers: Headers) -> Headers:
    """Drop hop-by-hop headers and every header that `Connection` names (RFC 9110 §7.6.1)."""
    named = HOP_BY_HOP.union(t.strip().lower() for value in get_all(headers, "connection") for t in value.split(","))
    return [(k, v) for k, v in headers if k.lower() not in named]


async def read_body(body: Body, limit: int | None = None) -> bytes:
    """Collect a body into memory. With `limit`, raise BodyTooLarge past it."""
    if isinstance(body, (bytes, bytearray)):
        if limit is not None and len(body) > limit:
            raise BodyTooLarge(len(body))
        return bytes(body)
    parts: list[bytes] = []
    size = 0
    async for chunk in body:
        size += len(chunk)
        if limit is not None and size > limit:
            raise BodyTooLarge(size)
        parts.append(chunk)
    return b"".join(parts)


class BodyTooLarge(Exception):
    pass
