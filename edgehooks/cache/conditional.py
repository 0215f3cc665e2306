"""Validation (RFC 9111 §4.3): the conditional request a cache sends for a stored response, how
a 304 freshens it, and when a viewer's own conditional request is answered with 304.

Entity-tags are compared on their opaque part: the weak comparison (RFC 9110 §8.8.3.2) is what
If-None-Match uses, and it tolerates the misspelt weakness prefixes and missing quotes origins
send.
"""

from __future__ import annotations

import re

from ..messages import Headers, get_all, get_header, without
from .directives import split_list
from .freshness import http_date

# RFC 9111 §4.3.4: a 304 updates every stored field except these, which describe the stored
# body and the message framing rather than the resource.
NOT_UPDATED = frozenset({"content-length", "content-encoding", "transfer-encoding", "content-range"})
# RFC 9110 §15.4.5: what a 304 carries besides Age.
NOT_MODIFIED_FIELDS = ("cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified")

_WEAK_PREFIX = re.compile(r"^[Ww][/\\]?(?=\")")


def opaque_tag(tag: str) -> str:
    """An entity-tag without its weakness prefix and quotes."""
    tag = _WEAK_PREFIX.sub("", tag.strip())
    return tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else tag


def validators(stored: Headers) -> Headers:
    """The conditional fields that revalidate a stored response (§4.3.1): its entity-tag
    (quoted, as the grammar wants, even when the origin sent it bare) and its Last-Modified."""
    conditions: Headers = []
    etag = get_header(stored, "etag")
    if etag is not None:
        prefix = "W/" if _WEAK_PREFIX.match(etag.strip()) else ""
        conditions.append(("If-None-Match", f'{prefix}"{opaque_tag(etag)}"'))
    modified = get_header(stored, "last-modified")
    if modified is not None:
        conditions.append(("If-Modified-Since", modified))
    return conditions


def validates(stored: Headers, not_modified: Headers) -> bool:
    """Does a 304 speak for this stored response (§4.3.4)? A validator it carries must match."""
    etag, stored_etag = get_header(not_modified, "etag"), get_header(stored, "etag")
    if etag is not None:
        return stored_etag is not None and opaque_tag(etag) == opaque_tag(stored_etag)
    modified = get_header(not_modified, "last-modified")
    if modified is not None:
        return http_date(modified) == http_date(get_header(stored, "last-modified"))
    return True


def same_representation(stored: Headers, stored_length: int, head: Headers) -> bool:
    """Does a 200 to HEAD describe the stored response (RFC 9111 §4.3.5)? Its validators and
    Content-Length, where either side has them, must agree."""
    for name in ("etag", "last-modified"):
        if get_header(stored, name) != get_header(head, name):
            return False
    length = get_header(head, "content-length")
    return length is None or length.strip() == str(stored_length)


def freshened(stored: Headers, not_modified: Headers) -> Headers:
    """The stored header fields updated by a 304 (§4.3.4): each field the 304 has replaces all
    stored lines of that name; the others stay."""
    updates = [(k, v) for k, v in not_modified if k.lower() not in NOT_UPDATED]
    return without(stored, *{k for k, _ in updates}) + updates


# The request fields not_modified reads: a request without them is never answered with 304.
REQUEST_FIELDS = frozenset({"if-none-match", "if-modified-since"})


def not_modified(request_headers: Headers, status: int, stored: Headers) -> bool:
    """Should a viewer's conditional GET/HEAD get 304 from this fresh stored response (§4.3.2)?
    If-None-Match, when present, decides alone; otherwise If-Modified-Since against
    Last-Modified (or Date when there is none). Only a 2xx is "not modified" (RFC 9110 §13.2.2)."""
    if not 200 <= status < 300:
        return False
    if_none_match = get_all(request_headers, "if-none-match")
    if if_none_match:
        etag = get_header(stored, "etag")
        wanted = [t for line in if_none_match for t in split_list(line)]
        return "*" in wanted or (etag is not None and opaque_tag(etag) in {opaque_tag(t) for t in wanted})
    since = http_date(get_header(request_headers, "if-modified-since"))
    if since is None:  # most requests: no date to parse on the stored side either (it is slow)
        return False
    modified = http_date(get_header(stored, "last-modified") or get_header(stored, "date"))
    return modified is not None and modified <= since


def not_modified_headers(stored: Headers) -> Headers:
    """The fields a 304 built from a stored response carries (RFC 9110 §15.4.5)."""
    return [(k, v) for k, v in stored if k.lower() in NOT_MODIFIED_FIELDS]
