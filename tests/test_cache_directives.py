"""Cache-Control and targeted-field parsing (RFC 9111 §5.2, RFC 9213, RFC 8941): one row per rule."""

from __future__ import annotations

import pytest

from edgehooks.cache.directives import delta_seconds, parse_cache_control, parse_targeted, response_directives, split_list

CACHE_CONTROL = [
    # (section, field lines, expected directives)
    ("§5.2 names are case-insensitive", ["MaX-aGe=60, No-Store"], {"max-age": "60", "no-store": None}),
    ("§5.2 token or quoted-string argument", ['max-age="60"'], {"max-age": "60"}),
    ("§5.2 a directive inside a quoted string is not one", ['extension="max-age=100", max-age=1'], {"extension": "max-age=100", "max-age": "1"}),
    ("§5.2 a comma inside a quoted string does not split", ['no-cache="a, b", max-age=5'], {"no-cache": "a, b", "max-age": "5"}),
    ("§4.2.1 the first of duplicate directives wins (same line)", ["max-age=1800, max-age=1"], {"max-age": "1800"}),
    ("§4.2.1 the first of duplicate directives wins (two lines)", ["max-age=1", "max-age=1800"], {"max-age": "1"}),
    ("§5.2 whitespace before = leaves an invalid argument", ["max-age =100"], {"max-age": ""}),
    ("§5.2 whitespace after = leaves an invalid argument", ["max-age= 100"], {"max-age": ""}),
    ("RFC 9110 §5.6.1 empty list elements are ignored", [" , max-age=5,,"], {"max-age": "5"}),
    ("§5.2 a non-token name is ignored", ["max age=5, public"], {"public": None}),
]


@pytest.mark.parametrize("section, lines, expected", CACHE_CONTROL, ids=[row[0] for row in CACHE_CONTROL])
def test_cache_control(section, lines, expected):
    assert parse_cache_control(lines) == expected


DELTA_SECONDS = [
    ("§1.2.2 digits", "3600", 3600),
    ("§1.2.2 leading zeros", "003600", 3600),
    ("§1.2.2 too large is 2^31", "99999999999", 2**31),
    ("§1.2.2 negative is malformed", "-100", None),
    ("§1.2.2 decimal is malformed", "3600.0", None),
    ("§1.2.2 leading alpha is malformed", "a100", None),
    ("§1.2.2 trailing alpha is malformed", "100a", None),
    ("§1.2.2 single quotes are malformed", "'3600'", None),
    ("§1.2.2 empty is malformed", "", None),
    ("§1.2.2 non-ASCII digits are malformed", "٣٦", None),
]


@pytest.mark.parametrize("section, value, expected", DELTA_SECONDS, ids=[row[0] for row in DELTA_SECONDS])
def test_delta_seconds(section, value, expected):
    assert delta_seconds(value) == expected


TARGETED = [
    ("RFC 9213 §2.1 an SF dictionary", ["max-age=3600, public"], {"max-age": "3600", "public": None}),
    ("RFC 9213 §2.1 unknown directives are kept and harmless", ["foobar, max-age=3600"], {"foobar": None, "max-age": "3600"}),
    ("RFC 9213 §2.1 a String max-age violates the inferred Integer: dropped", ['max-age="10000"'], {}),
    ("RFC 9213 §2.1 a Decimal max-age violates the inferred Integer: dropped", ["max-age=3600.5"], {}),
    ("RFC 9213 §2.1 a negative max-age is dropped", ["max-age=-1"], {}),
    ("RFC 9213 §2.1 parameters are ignored", ["max-age=60;foo=bar, no-store"], {"max-age": "60", "no-store": None}),
    ("RFC 9213 §2.1 an inner list of field names qualifies no-cache", ['no-cache=("a" "b")'], {"no-cache": "a, b"}),
    ("RFC 9213 §2.1 several lines form one dictionary", ["max-age=60", "stale-if-error=5"], {"max-age": "60", "stale-if-error": "5"}),
    ("RFC 9213 §3.1 'none' takes precedence with no directive", ["none"], {"none": None}),
    ("RFC 8941 §4.2 a later duplicate key wins", ["max-age=1, max-age=60"], {"max-age": "60"}),
]


@pytest.mark.parametrize("section, lines, expected", TARGETED, ids=[row[0] for row in TARGETED])
def test_targeted_field(section, lines, expected):
    assert parse_targeted(lines) == expected


@pytest.mark.parametrize(
    "lines",
    [["max-age=10000, &&&&&"], ["max-age=60,"], ["max-age=60 public"], [""], ['max-age=("a"'], ["max-age=ü"]],
    ids=["unknown type", "trailing comma", "missing comma", "empty", "unclosed inner list", "non-ASCII"],
)
def test_targeted_field_that_does_not_parse_is_ignored(lines):
    """RFC 9213 §2.1: a targeted field that fails to parse is ignored as if absent."""
    assert parse_targeted(lines) is None
    headers = [("Cache-Control", "no-store")] + [("CDN-Cache-Control", line) for line in lines]
    assert response_directives(headers) == ({"no-store": None}, False)


PRECEDENCE = [
    ("RFC 9213 §2.2 CDN-Cache-Control replaces Cache-Control", [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=60")], {"max-age": "60"}),
    (
        "RFC 9213 §2.2 the field targeting edgehooks alone comes first",
        [("CDN-Cache-Control", "max-age=60"), ("Edgehooks-CDN-Cache-Control", "max-age=5")],
        {"max-age": "5"},
    ),
    ("RFC 9111 §5.2 without a targeted field, Cache-Control", [("Cache-Control", "max-age=7")], {"max-age": "7"}),
]


@pytest.mark.parametrize("section, headers, expected", PRECEDENCE, ids=[row[0] for row in PRECEDENCE])
def test_targeted_field_precedence(section, headers, expected):
    assert response_directives(headers)[0] == expected


def test_split_list_keeps_quoted_commas_and_escapes():
    assert split_list(' a , "b, \\"c\\"" ,, d') == ["a", '"b, \\"c\\""', "d"]
