"""Range requests answered from a stored complete response (RFC 9110 §14): one byte range, as
CloudFront serves them from its cache. Anything else (several ranges, other units, a stale
If-Range) gets the whole response, which RFC 9110 §14.2 always allows.
"""

from __future__ import annotations

import re

from ..messages import Headers, get_header
from .conditional import opaque_tag

_BYTE_RANGE = re.compile(r"bytes=(\d*)-(\d*)", re.IGNORECASE)


def byte_range(request_headers: Headers, stored: Headers, length: int) -> tuple[int, int] | None:
    """The (first, last) byte positions the request wants from a stored body of `length` bytes,
    or None to send all of it. If-Range must name the stored response by a strong entity-tag or
    its exact Last-Modified (RFC 9110 §13.1.5)."""
    wanted = get_header(request_headers, "range")
    found = _BYTE_RANGE.fullmatch(wanted.strip()) if wanted else None
    if found is None or not _if_range_holds(get_header(request_headers, "if-range"), stored):
        return None
    first, last = found.groups()
    if not first:
        if not last or int(last) == 0:
            return None
        return max(0, length - int(last)), length - 1  # the last N bytes
    start = int(first)
    end = min(int(last), length - 1) if last else length - 1
    if start >= length or (last and int(last) < start):
        return None  # unsatisfiable or invalid: the whole response is a valid answer
    return start, end


def partial_headers(stored: Headers, first: int, last: int, length: int) -> Headers:
    """The stored fields for a 206 of bytes first..last (RFC 9110 §15.3.7)."""
    return [(k, v) for k, v in stored if k.lower() != "content-length"] + [
        ("Content-Range", f"bytes {first}-{last}/{length}"),
        ("Content-Length", str(last - first + 1)),
    ]


def _if_range_holds(if_range: str | None, stored: Headers) -> bool:
    if if_range is None:
        return True
    if_range = if_range.strip()
    if if_range.startswith(('"', "W/", "w/")):
        etag = get_header(stored, "etag")
        weak = if_range.startswith(("W/", "w/")) or (etag or "").lstrip().startswith(("W/", "w/"))
        return etag is not None and not weak and opaque_tag(etag) == opaque_tag(if_range)
    return if_range == get_header(stored, "last-modified")
