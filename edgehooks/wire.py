"""A response whose body is in memory, as the bytes a viewer gets: status line, fields and body.

aiohttp's StreamResponse fills a multidict, prepares it and writes through its payload writer:
about a third of a cache hit's time went there. An answer already in memory needs none of that,
so the front end writes what this builds, following the rules aiohttp applied: its Server and
Date when the response has none, application/octet-stream for a typeless body, Connection for
keep-alive as the viewer's HTTP version needs it, no body (nor, for 1xx/204/304, length) where
the method or status forbid one, and no control characters in a field (header injection).
"""

from __future__ import annotations

import re
import time
from email.utils import formatdate
from http import HTTPStatus

from aiohttp.http import SERVER_SOFTWARE

from .messages import Response, get_header

# RFC 9110 §6.4.1: these statuses never carry content, and so no Content-Length either.
EMPTY_BODY_STATUSES = frozenset((204, 304, *range(100, 200)))
REASONS = {status.value: status.phrase for status in HTTPStatus}
# Control characters other than tab, CR and LF: those two are counted instead (a search that
# tells a field's CR or LF from a line end costs 8 µs on a cache hit's head, the counts 0.7).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def whole_response(version: tuple[int, int], method: str, response: Response, keep_alive: bool) -> bytes:
    """The bytes of an in-memory `response` to a `method` request over HTTP/`version`; whether the
    connection stays open afterwards is `keep_alive` (the viewer's wish)."""
    body = response.body
    assert isinstance(body, (bytes, bytearray))
    lines = [f"HTTP/{version[0]}.{version[1]} {response.status} {response.reason or REASONS.get(response.status, '')}"]
    named = set()
    for name, value in response.headers:
        lowered = name.lower()
        if lowered != "content-length":
            named.add(lowered)
            lines.append(f"{name}: {value}")
    empty = method == "HEAD" or response.status in EMPTY_BODY_STATUSES
    if response.status not in EMPTY_BODY_STATUSES:
        stated = get_header(response.headers, "content-length") if method == "HEAD" else None
        # A HEAD answer keeps the length of the body it stands for.
        length = int(stated) if stated and stated.isdigit() else len(body)
        lines.append(f"Content-Length: {length}")
    if body and not empty and "content-type" not in named:
        lines.append("Content-Type: application/octet-stream")
    if "date" not in named:
        lines.append(f"Date: {_now()}")
    if "server" not in named:
        lines.append(f"Server: {SERVER_SOFTWARE}")
    if "connection" not in named:
        if keep_alive and version == (1, 0):
            lines.append("Connection: keep-alive")
        elif not keep_alive and version == (1, 1):
            lines.append("Connection: close")
    lines.append("\r\n")
    head = "\r\n".join(lines)
    # Each line end is one CR and one LF: any other one is in a field.
    if _CONTROL.search(head) is not None or not head.count("\r") == head.count("\n") == len(lines):
        raise ValueError("a control character in the response's status line or fields (header injection?)")
    return head.encode() + (b"" if empty else body)


_date: tuple[int, str] = (0, "")


def _now() -> str:
    """The current HTTP-date, formatted once a second."""
    global _date
    second = int(time.time())
    if _date[0] != second:
        _date = (second, formatdate(second, usegmt=True))
    return _date[1]
