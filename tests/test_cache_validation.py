"""Vary selection (RFC 9111 §4.1), validation and 304 freshening (§4.3) and invalidation by unsafe
methods (§4.4): pure functions, one row per rule."""

from __future__ import annotations

import pytest

from edgehooks.cache import conditional, ranges
from edgehooks.cache.invalidation import invalidated
from edgehooks.cache.vary import matches, selecting_values, variant_key, vary_names

VARY_NAMES = [
    ("§4.1 names are case-insensitive, listed once", [("Vary", "Foo, foo, BAR")], ["foo", "bar"]),
    ("§4.1 several Vary lines combine", [("Vary", "Foo"), ("Vary", "Bar")], ["foo", "bar"]),
    ("§4.1 * anywhere means *", [("Vary", "Foo, *")], ["*"]),
    ("§4.1 * on a later line", [("Vary", ""), ("Vary", "*")], ["*"]),
    ("§4.1 empty elements are ignored", [("Vary", ", Foo,")], ["foo"]),
    ("§4.1 no Vary", [], []),
]


@pytest.mark.parametrize("rule, headers, expected", VARY_NAMES, ids=[row[0] for row in VARY_NAMES])
def test_vary_names(rule, headers, expected):
    assert vary_names(headers) == expected


SELECTION = [
    # (rule, Vary names, original request headers, later request headers, selected?)
    ("§4.1 same value selects", ["foo"], [("Foo", "1")], [("Foo", "1")], True),
    ("§4.1 a different value does not", ["foo"], [("Foo", "1")], [("Foo", "2")], False),
    ("§4.1 an omitted field does not match a present one", ["foo"], [("Foo", "1")], [], False),
    ("§4.1 absent in both matches", ["foo", "bar"], [("Foo", "1")], [("Foo", "1")], True),
    ("§4.1 absent differs from empty", ["foo"], [], [("Foo", "")], False),
    ("§4.1 field names are case-insensitive", ["foo"], [("FOO", "1")], [("foo", "1")], True),
    ("§4.1 headers not in Vary do not matter", ["foo"], [("Foo", "1"), ("Other", "2")], [("Foo", "1"), ("Other", "3")], True),
    ("§4.1 normalise: whitespace around elements", ["foo"], [("Foo", "1,2")], [("Foo", " 1, 2 ")], True),
    ("§4.1 normalise: lines combined", ["foo"], [("Foo", "1, 2")], [("Foo", "1"), ("Foo", "2")], True),
    ("§4.1 normalise: token case where it carries no meaning", ["accept-encoding"], [("Accept-Encoding", "GZIP, br")], [("Accept-Encoding", "gzip,br")], True),
    ("§4.1 values stay case-sensitive elsewhere", ["foo"], [("Foo", "A")], [("Foo", "a")], False),
    ("§4.1 order is kept: it may carry preference", ["accept-language"], [("Accept-Language", "en, de")], [("Accept-Language", "de, en")], False),
    ("§4.1 all of several fields must match", ["foo", "bar", "baz"], [("Foo", "1"), ("Bar", "abc4"), ("Baz", "789")], [("Foo", "1"), ("Bar", "abc"), ("Baz", "789")], False),
    ("§4.1 Vary: * never matches", ["*"], [("Foo", "1")], [("Foo", "1")], False),
]


@pytest.mark.parametrize("rule, names, original, later, expected", SELECTION, ids=[row[0] for row in SELECTION])
def test_vary_selection(rule, names, original, later, expected):
    assert matches(names, selecting_values(original, names), later) is expected


def test_variant_keys_extend_the_primary_key():
    primary = "example.com\x00/a\x00"
    one = variant_key(primary, ["foo"], ["1"])
    assert one.startswith(primary) and one.split("\x00")[1] == "/a"
    assert len({one, variant_key(primary, ["foo"], ["2"]), variant_key(primary, ["foo"], [None]), variant_key(primary, ["foo"], [""])}) == 4


VALIDATORS = [
    ("§4.3.1 ETag becomes If-None-Match", [("ETag", '"abc"')], [("If-None-Match", '"abc"')]),
    ("§4.3.1 a weak ETag stays weak", [("ETag", 'W/"abc"')], [("If-None-Match", 'W/"abc"')]),
    ("RFC 9110 §8.8.3 an unquoted ETag is sent quoted", [("ETag", "abc")], [("If-None-Match", '"abc"')]),
    ("§4.3.1 Last-Modified becomes If-Modified-Since", [("Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT")], [("If-Modified-Since", "Tue, 15 Nov 1994 12:45:26 GMT")]),
    ("§4.3.1 no validator, no condition", [("Date", "Tue, 15 Nov 1994 12:45:26 GMT")], []),
]


@pytest.mark.parametrize("rule, stored, expected", VALIDATORS, ids=[row[0] for row in VALIDATORS])
def test_validators(rule, stored, expected):
    assert conditional.validators(stored) == expected


FRESHENED = [
    ("§4.3.4 a field in the 304 replaces the stored one", [("X-A", "1"), ("ETag", '"e"')], [("X-A", "2")], [("ETag", '"e"'), ("X-A", "2")]),
    ("§4.3.4 a field the 304 omits is kept", [("X-A", "1")], [("Cache-Control", "max-age=60")], [("X-A", "1"), ("Cache-Control", "max-age=60")]),
    ("§4.3.4 all lines of a replaced field go", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")], [("Set-Cookie", "a=3")], [("Set-Cookie", "a=3")]),
    ("§4.3.4 Content-Length of the 304 does not describe the stored body", [("Content-Length", "5")], [("Content-Length", "0")], [("Content-Length", "5")]),
]


@pytest.mark.parametrize("rule, stored, not_modified, expected", FRESHENED, ids=[row[0] for row in FRESHENED])
def test_freshened(rule, stored, not_modified, expected):
    assert conditional.freshened(stored, not_modified) == expected


VALIDATES = [
    ("§4.3.4 same entity-tag", [("ETag", '"a"')], [("ETag", '"a"')], True),
    ("§4.3.4 weak comparison", [("ETag", 'W/"a"')], [("ETag", '"a"')], True),
    ("§4.3.4 another entity-tag: not this response", [("ETag", '"a"')], [("ETag", '"b"')], False),
    ("§4.3.4 same Last-Modified", [("Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT")], [("Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT")], True),
    ("§4.3.4 another Last-Modified", [("Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT")], [("Last-Modified", "Wed, 16 Nov 1994 12:45:26 GMT")], False),
    ("§4.3.4 no validator in the 304: the one stored response", [("ETag", '"a"')], [], True),
]


@pytest.mark.parametrize("rule, stored, not_modified, expected", VALIDATES, ids=[row[0] for row in VALIDATES])
def test_validates(rule, stored, not_modified, expected):
    assert conditional.validates(stored, not_modified) is expected


LM = "Tue, 15 Nov 1994 12:45:26 GMT"
NOT_MODIFIED = [
    ("§4.3.2 If-None-Match matches", [("If-None-Match", '"abc"')], 200, [("ETag", '"abc"')], True),
    ("§4.3.2 If-None-Match does not match", [("If-None-Match", '"xyz"')], 200, [("ETag", '"abc"')], False),
    ("§4.3.2 one of several entity-tags", [("If-None-Match", '"1", "abc", "2"')], 200, [("ETag", '"abc"')], True),
    ("§4.3.2 weak comparison", [("If-None-Match", 'W/"abc"')], 200, [("ETag", '"abc"')], True),
    ("§4.3.2 lower-case weakness prefix", [("If-None-Match", 'w/"abc"')], 200, [("ETag", 'w/"abc"')], True),
    ("§4.3.2 unquoted on either side", [("If-None-Match", "abc")], 200, [("ETag", '"abc"')], True),
    ("§4.3.2 * matches any stored response", [("If-None-Match", "*")], 200, [("ETag", '"abc"')], True),
    ("§4.3.2 If-None-Match wins over If-Modified-Since", [("If-None-Match", '"xyz"'), ("If-Modified-Since", LM)], 200, [("ETag", '"abc"'), ("Last-Modified", LM)], False),
    ("§4.3.2 not modified since", [("If-Modified-Since", LM)], 200, [("Last-Modified", LM)], True),
    ("§4.3.2 modified since", [("If-Modified-Since", "Mon, 14 Nov 1994 12:45:26 GMT")], 200, [("Last-Modified", LM)], False),
    ("§4.3.2 Date stands in for Last-Modified", [("If-Modified-Since", LM)], 200, [("Date", LM)], True),
    ("§4.3.2 an invalid date is ignored", [("If-Modified-Since", "yesterday")], 200, [("Last-Modified", LM)], False),
    ("§4.3.2 no condition", [], 200, [("ETag", '"abc"')], False),
    ("RFC 9110 §13.2.2 a stored error is never 'not modified'", [("If-None-Match", '"abc"')], 404, [("ETag", '"abc"')], False),
]


@pytest.mark.parametrize("rule, request_headers, status, stored, expected", NOT_MODIFIED, ids=[row[0] for row in NOT_MODIFIED])
def test_not_modified(rule, request_headers, status, stored, expected):
    assert conditional.not_modified(request_headers, status, stored) is expected


def test_not_modified_carries_what_rfc_9110_lists():
    stored = [("ETag", '"a"'), ("Cache-Control", "max-age=5"), ("Content-Type", "text/plain"), ("X-Other", "1"), ("Vary", "Foo")]
    assert conditional.not_modified_headers(stored) == [("ETag", '"a"'), ("Cache-Control", "max-age=5"), ("Vary", "Foo")]


INVALIDATED = [
    # (rule, method, status, response headers, invalidated (path, query))
    ("§4.4 POST invalidates its target", "POST", 200, [], [("/a", "q=1")]),
    ("§4.4 PUT", "PUT", 201, [], [("/a", "q=1")]),
    ("§4.4 DELETE", "DELETE", 204, [], [("/a", "q=1")]),
    ("§4.4 an unknown method", "M-SEARCH", 200, [], [("/a", "q=1")]),
    ("§4.4 a redirect is a non-error response", "POST", 303, [], [("/a", "q=1")]),
    ("§4.4 an error does not invalidate", "POST", 500, [], []),
    ("§4.4 a 4xx does not invalidate", "DELETE", 404, [], []),
    ("§4.4 safe methods do not invalidate", "GET", 200, [], []),
    ("§4.4 OPTIONS is safe", "OPTIONS", 200, [], []),
    ("§4.4 Location, relative", "POST", 201, [("Location", "/b")], [("/a", "q=1"), ("/b", "")]),
    ("§4.4 Content-Location, relative to the target", "PUT", 200, [("Content-Location", "c?x=2")], [("/a", "q=1"), ("/c", "x=2")]),
    ("§4.4 Location, absolute on the same host", "POST", 201, [("Location", "http://example.com/b")], [("/a", "q=1"), ("/b", "")]),
    ("§4.4 another host's URI is never invalidated", "POST", 201, [("Location", "http://other.example/b")], [("/a", "q=1")]),
    ("§4.4 Location naming the target itself, once", "POST", 200, [("Location", "/a?q=1")], [("/a", "q=1")]),
]


@pytest.mark.parametrize("rule, method, status, headers, expected", INVALIDATED, ids=[row[0] for row in INVALIDATED])
def test_invalidated(rule, method, status, headers, expected):
    assert invalidated(method, status, "example.com", "/a?q=1", headers) == expected


SAME_REPRESENTATION = [
    ("§4.3.5 same validators and length", [("ETag", '"a"')], 5, [("ETag", '"a"'), ("Content-Length", "5")], True),
    ("§4.3.5 another entity-tag", [("ETag", '"a"')], 5, [("ETag", '"b"')], False),
    ("§4.3.5 an entity-tag the stored response lacks", [], 5, [("ETag", '"b"')], False),
    ("§4.3.5 another Content-Length", [("ETag", '"a"')], 5, [("ETag", '"a"'), ("Content-Length", "6")], False),
    ("§4.3.5 neither has validators", [], 5, [("Content-Length", "5")], True),
]


@pytest.mark.parametrize("rule, stored, length, head, expected", SAME_REPRESENTATION, ids=[row[0] for row in SAME_REPRESENTATION])
def test_same_representation(rule, stored, length, head, expected):
    assert conditional.same_representation(stored, length, head) is expected


ETAG = [("ETag", '"v1"'), ("Last-Modified", LM)]
RANGES = [
    # (rule, request headers, stored headers, (first, last) or None for the whole body), body of 10 bytes
    ("RFC 9110 §14.1.2 first-last", [("Range", "bytes=0-1")], ETAG, (0, 1)),
    ("RFC 9110 §14.1.2 first- to the end", [("Range", "bytes=1-")], ETAG, (1, 9)),
    ("RFC 9110 §14.1.2 -N: the last N bytes", [("Range", "bytes=-3")], ETAG, (7, 9)),
    ("RFC 9110 §14.1.2 -N beyond the length: all of it", [("Range", "bytes=-30")], ETAG, (0, 9)),
    ("RFC 9110 §14.1.2 last beyond the length is cut", [("Range", "bytes=5-50")], ETAG, (5, 9)),
    ("RFC 9110 §14.1.1 the unit is case-insensitive", [("Range", "Bytes=0-0")], ETAG, (0, 0)),
    ("RFC 9110 §14.2 unsatisfiable: the whole response", [("Range", "bytes=20-")], ETAG, None),
    ("RFC 9110 §14.2 last before first: invalid, ignored", [("Range", "bytes=5-2")], ETAG, None),
    ("RFC 9110 §14.2 several ranges: the whole response", [("Range", "bytes=0-1,3-4")], ETAG, None),
    ("RFC 9110 §14.2 another unit: ignored", [("Range", "items=0-1")], ETAG, None),
    ("RFC 9110 §13.1.5 If-Range with the strong entity-tag", [("Range", "bytes=0-1"), ("If-Range", '"v1"')], ETAG, (0, 1)),
    ("RFC 9110 §13.1.5 If-Range with another entity-tag", [("Range", "bytes=0-1"), ("If-Range", '"v0"')], ETAG, None),
    ("RFC 9110 §13.1.5 If-Range never matches a weak entity-tag", [("Range", "bytes=0-1"), ("If-Range", 'W/"v1"')], [("ETag", 'W/"v1"')], None),
    ("RFC 9110 §13.1.5 If-Range with the exact Last-Modified", [("Range", "bytes=0-1"), ("If-Range", LM)], ETAG, (0, 1)),
    ("RFC 9110 §13.1.5 If-Range with another date", [("Range", "bytes=0-1"), ("If-Range", "Mon, 14 Nov 1994 12:45:26 GMT")], ETAG, None),
    ("no Range", [], ETAG, None),
]


@pytest.mark.parametrize("rule, request_headers, stored, expected", RANGES, ids=[row[0] for row in RANGES])
def test_byte_range(rule, request_headers, stored, expected):
    assert ranges.byte_range(request_headers, stored, 10) == expected


def test_partial_headers_replace_the_length():
    assert ranges.partial_headers([("Content-Length", "10"), ("ETag", '"v1"')], 7, 9, 10) == [("ETag", '"v1"'), ("Content-Range", "bytes 7-9/10"), ("Content-Length", "3")]
