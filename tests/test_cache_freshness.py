"""Storability, freshness lifetime, age and reuse as a shared cache (RFC 9111, RFC 9213, RFC 5861)
under a behavior's CloudFront TTLs: pure functions, one row per rule."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from edgehooks.cache import Entry
from edgehooks.cache.freshness import FRESH, REFRESH, STALE, VALIDATE, age_value, initial_age, request_directives, reuse, stale_on_error, storing
from edgehooks.distribution import CachePolicy

NOW = 1_800_000_000.0
RFC = CachePolicy(default_ttl=0)  # no operator heuristic: RFC 9111 alone
CLOUDFRONT = CachePolicy()  # CloudFront's defaults: default_ttl one day


def date(offset: float) -> str:
    return formatdate(NOW + offset, usegmt=True)


def lifetime(headers, status=200, policy=RFC, request=()):
    decision = storing(status, list(request), [("Date", date(0))] + headers, policy)
    return None if decision is None else decision.lifetime


LIFETIMES = [
    # (rule, response headers, status, policy, lifetime or None when not stored)
    ("§4.2.1 max-age", [("Cache-Control", "max-age=3600")], 200, RFC, 3600),
    ("§4.2.1 quoted max-age", [("Cache-Control", 'max-age="3600"')], 200, RFC, 3600),
    ("§4.2.1 s-maxage wins over a longer max-age in a shared cache", [("Cache-Control", "max-age=3600, s-maxage=1")], 200, RFC, 1),
    ("§4.2.1 s-maxage wins over a shorter max-age in a shared cache", [("Cache-Control", "max-age=1, s-maxage=3600")], 200, RFC, 3600),
    ("§4.2.1 max-age wins over Expires", [("Cache-Control", "max-age=3600"), ("Expires", date(-10000))], 200, RFC, 3600),
    ("§4.2.1 max-age wins over an invalid Expires", [("Cache-Control", "max-age=3600"), ("Expires", "0")], 200, RFC, 3600),
    ("§4.2.1 Expires minus Date", [("Expires", date(600))], 200, RFC, 600),
    ("§5.3 an invalid Expires is in the past: no validator, not stored", [("Expires", "0")], 200, RFC, None),
    ("§5.3 an invalid Expires is in the past: kept to validate", [("Expires", "0"), ("ETag", '"a"')], 200, RFC, 0),
    ("§4.2.1 two Expires lines are invalid", [("Expires", date(600)), ("Expires", date(900)), ("ETag", '"a"')], 200, RFC, 0),
    ("§4.2.1 malformed max-age is stale, not absent", [("Cache-Control", "max-age=a100"), ("Last-Modified", date(-86400))], 200, RFC, 0),
    ("§4.2.1 max-age with a space before = is stale", [("Cache-Control", "max-age =100"), ("ETag", '"a"')], 200, RFC, 0),
    ("§1.2.2 huge max-age is 2^31", [("Cache-Control", "max-age=99999999999")], 200, CachePolicy(default_ttl=0, max_ttl=2**32), 2**31),
    ("§4.2.2 heuristic: 10% of the time since Last-Modified", [("Last-Modified", date(-86400))], 200, RFC, 8640),
    ("§4.2.2 no heuristic for a status not heuristically cacheable", [("Last-Modified", date(-86400))], 201, RFC, None),
    ("§4.2.2 no heuristic for 503", [("Last-Modified", date(-86400))], 503, RFC, None),
    ("§4.2.2 public allows a heuristic for any status", [("Last-Modified", date(-86400)), ("Cache-Control", "public")], 599, RFC, 8640),
    ("§4.2.2 heuristic statuses: 404", [("Last-Modified", date(-86400))], 404, RFC, 8640),
    ("§4.2.2 a future Last-Modified gives no heuristic, only a validator", [("Last-Modified", date(86400))], 200, RFC, 0),
    ("§3 any final status with explicit freshness: 302", [("Cache-Control", "max-age=60")], 302, RFC, 60),
    ("§3 any final status with explicit freshness: 500", [("Cache-Control", "max-age=60")], 500, RFC, 60),
    ("§3.3 206 is not stored (no range combining)", [("Cache-Control", "max-age=60")], 206, RFC, None),
    ("§3 no-store", [("Cache-Control", "max-age=60, No-Store")], 200, RFC, None),
    ("§5.2.2.3 must-understand overrides no-store for an understood status", [("Cache-Control", "max-age=60, no-store, must-understand")], 200, RFC, 60),
    ("§5.2.2.3 must-understand with a status not understood: not stored", [("Cache-Control", "max-age=60, must-understand")], 299, RFC, None),
    ("§5.2.2.7 private: a shared cache does not store", [("Cache-Control", "private, max-age=60")], 200, RFC, None),
    ("§5.2.2.7 qualified private stores without the fields", [("Cache-Control", 'private="x-a", max-age=60')], 200, RFC, 60),
    ("§5.2.2.4 no-cache is stored, to validate on use", [("Cache-Control", "no-cache"), ("ETag", '"a"')], 200, RFC, 0),
    ("§5.2.2.4 no-cache without a validator is not worth storing", [("Cache-Control", "no-cache")], 200, RFC, None),
    ("RFC 5861 §4 never fresh but allowed stale on error: stored", [("Cache-Control", "max-age=0, stale-if-error=60")], 200, RFC, 0),
    ("RFC 5861 §3 never fresh but allowed stale while revalidating: stored", [("Cache-Control", "max-age=0, stale-while-revalidate=60")], 200, RFC, 0),
    ("RFC 9110 §5.6.7 an asctime Expires is UTC", [("Expires", time.asctime(time.gmtime(NOW + 600)))], 200, RFC, 600),
    ("RFC 9110 §5.6.7 an RFC 850 Expires", [("Expires", time.strftime("%A, %d-%b-%y %H:%M:%S GMT", time.gmtime(NOW + 600)))], 200, RFC, 600),
    ("§4.2.2 no heuristic but a validator: stored to validate", [("ETag", '"a"')], 200, RFC, 0),
    ("RFC 9213 §2.2 CDN-Cache-Control beats Cache-Control no-store", [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=600")], 200, RFC, 600),
    ("RFC 9213 §2.2 CDN-Cache-Control beats a longer max-age", [("Cache-Control", "max-age=3600"), ("CDN-Cache-Control", "max-age=1")], 200, RFC, 1),
    ("RFC 9213 §2.2 CDN-Cache-Control no-store", [("Cache-Control", "max-age=3600"), ("CDN-Cache-Control", "no-store")], 200, RFC, None),
    ("RFC 9213 §2.2 CDN-Cache-Control private", [("Cache-Control", "max-age=3600"), ("CDN-Cache-Control", "private")], 200, RFC, None),
    ("RFC 9213 §2.2 a targeted field replaces Expires too", [("Expires", date(600)), ("CDN-Cache-Control", "public"), ("ETag", '"a"')], 200, RFC, 0),
    ("CloudFront: max_ttl bounds max-age", [("Cache-Control", "max-age=99999")], 200, CachePolicy(max_ttl=100), 100),
    ("CloudFront: min_ttl raises max-age", [("Cache-Control", "max-age=5")], 200, CachePolicy(min_ttl=30), 30),
    ("CloudFront: no freshness gets default_ttl", [], 200, CachePolicy(default_ttl=60), 60),
    ("CloudFront: default_ttl replaces the Last-Modified heuristic", [("Last-Modified", date(-86400))], 200, CachePolicy(default_ttl=60), 60),
    ("CloudFront: min_ttl raises default_ttl", [], 200, CachePolicy(min_ttl=90, default_ttl=90), 90),
    ("CloudFront: default_ttl = 0 stores nothing without freshness information", [], 200, RFC, None),
    ("CloudFront: default_ttl does not make a 503 cacheable", [], 503, CLOUDFRONT, None),
    ("CloudFront: min_ttl > 0 stores no-store", [("Cache-Control", "no-store")], 200, CachePolicy(min_ttl=30, default_ttl=60), 60),
    ("CloudFront: min_ttl > 0 stores private", [("Cache-Control", "private, max-age=5")], 200, CachePolicy(min_ttl=30), 30),
    ("CloudFront: cache = false stores nothing", [("Cache-Control", "max-age=60")], 200, CachePolicy(enabled=False), None),
]


@pytest.mark.parametrize("rule, headers, status, policy, expected", LIFETIMES, ids=[row[0] for row in LIFETIMES])
def test_lifetime(rule, headers, status, policy, expected):
    assert lifetime(headers, status, policy) == expected


AUTHORIZATION = [
    ("§3.5 an authenticated answer is not stored", "max-age=60", None),
    ("§3.5 ... unless public", "public, max-age=60", 60),
    ("§3.5 ... unless must-revalidate", "must-revalidate, max-age=60", 60),
    ("§3.5 ... unless s-maxage", "s-maxage=60", 60),
]


@pytest.mark.parametrize("rule, cc, expected", AUTHORIZATION, ids=[row[0] for row in AUTHORIZATION])
def test_authorization(rule, cc, expected):
    assert lifetime([("Cache-Control", cc)], request=[("Authorization", "Basic eDp5")]) == expected


DIRECTIVES = [
    # (rule, Cache-Control, attribute, value)
    ("§5.2.2.4 no-cache: validate on every use", "no-cache", "no_cache", True),
    ("§5.2.2.4 qualified no-cache: the fields are omitted instead", 'no-cache="a, B", max-age=60', "omitted", frozenset({"a", "b"})),
    ("§5.2.2.2 must-revalidate: never stale", "max-age=60, must-revalidate", "no_stale", True),
    ("§5.2.2.8 proxy-revalidate: never stale in a shared cache", "max-age=60, proxy-revalidate", "no_stale", True),
    ("§5.2.2.10 s-maxage implies proxy-revalidate", "s-maxage=60", "no_stale", True),
    ("§4.2.4 max-age alone may be served stale", "max-age=60", "no_stale", False),
    ("RFC 5861 §3 stale-while-revalidate", "max-age=60, stale-while-revalidate=30", "stale_while_revalidate", 30),
    ("RFC 5861 §4 stale-if-error", "max-age=60, stale-if-error=300", "stale_if_error", 300),
    ("RFC 5861 §4 without stale-if-error: not said", "max-age=60", "stale_if_error", None),
]


@pytest.mark.parametrize("rule, cc, attribute, expected", DIRECTIVES, ids=[row[0] for row in DIRECTIVES])
def test_directives_recorded(rule, cc, attribute, expected):
    decision = storing(200, [], [("Cache-Control", cc), ("ETag", '"a"')], RFC)
    assert getattr(decision, attribute) == expected


def test_min_ttl_ignores_no_cache_as_cloudfront_does():
    decision = storing(200, [], [("Cache-Control", "no-cache")], CachePolicy(min_ttl=30, default_ttl=30))
    assert decision.no_cache is False and decision.lifetime == 30


AGES = [
    # (rule, headers, request_time, response_time, corrected initial age)
    ("§4.2.3 Age from upstream plus the response delay", [("Date", date(0)), ("Age", "30")], NOW - 2, NOW, 32),
    ("§4.2.3 apparent age from Date when larger", [("Date", date(-100)), ("Age", "30")], NOW, NOW, 100),
    ("§4.2.3 a Date in the future gives no negative age", [("Date", date(100))], NOW, NOW, 0),
    ("§5.1 a non-numeric Age is ignored", [("Date", date(0)), ("Age", "abc")], NOW, NOW, 0),
    ("§5.1 a negative Age is ignored", [("Date", date(0)), ("Age", "-7200")], NOW, NOW, 0),
    ("§5.1 a decimal Age is ignored", [("Date", date(0)), ("Age", "7200.0")], NOW, NOW, 0),
    ("§5.1 an Age list is invalid and ignored", [("Date", date(0)), ("Age", "7200, 7200")], NOW, NOW, 0),
    ("§5.1 two Age lines are invalid and ignored", [("Date", date(0)), ("Age", "7200"), ("Age", "0")], NOW, NOW, 0),
]


@pytest.mark.parametrize("rule, headers, sent, received, expected", AGES, ids=[row[0] for row in AGES])
def test_initial_age(rule, headers, sent, received, expected):
    assert initial_age(headers, sent, received) == pytest.approx(expected, abs=1)


def test_age_value_single_line():
    assert age_value([("Age", " 15 ")]) == 15


def entry(ttl=100, age=0, **kw):
    return Entry(200, "OK", [], b"", stored_at=NOW, age_at_store=age, ttl=ttl, **kw)


REUSE = [
    # (rule, entry, seconds since stored, request Cache-Control, use)
    ("§4.2 fresh: reuse", entry(), 10, "", FRESH),
    ("§4.2 the Age at arrival counts", entry(age=95), 10, "", VALIDATE),
    ("§4.2 stale: validate", entry(), 100, "", VALIDATE),
    ("§5.2.2.4 no-cache: validate even when fresh", entry(no_cache=True), 0, "", VALIDATE),
    ("§5.2.1.4 request no-cache: validate", entry(), 0, "no-cache", VALIDATE),
    ("§5.2.1.1 request max-age=0: validate", entry(), 1, "max-age=0", VALIDATE),
    ("§5.2.1.1 request max-age above the age: reuse", entry(), 1, "max-age=60", FRESH),
    ("§5.2.1.1 request max-age below the age: validate", entry(age=50), 0, "max-age=10", VALIDATE),
    ("§5.2.1.3 min-fresh not met: validate", entry(), 50, "min-fresh=60", VALIDATE),
    ("§5.2.1.3 min-fresh met: reuse", entry(), 10, "min-fresh=60", FRESH),
    ("§5.2.1.2 max-stale within: stale", entry(), 150, "max-stale=100", STALE),
    ("§5.2.1.2 max-stale beyond: validate", entry(), 250, "max-stale=100", VALIDATE),
    ("§5.2.1.2 bare max-stale: any staleness", entry(), 10**6, "max-stale", STALE),
    ("§5.2.1.2 malformed max-stale is ignored", entry(), 150, "max-stale=x", VALIDATE),
    ("§5.2.2.2 must-revalidate beats max-stale", entry(no_stale=True), 150, "max-stale", VALIDATE),
    ("RFC 5861 §3 within stale-while-revalidate: serve and refresh", entry(stale_while_revalidate=60), 130, "", REFRESH),
    ("RFC 5861 §3 beyond stale-while-revalidate: validate", entry(stale_while_revalidate=60), 170, "", VALIDATE),
    ("RFC 5861 §3 must-revalidate forbids it", entry(stale_while_revalidate=60, no_stale=True), 130, "", VALIDATE),
    ("RFC 5861 §3 a request for fresher forbids it", entry(stale_while_revalidate=60), 130, "max-age=200", VALIDATE),
]


@pytest.mark.parametrize("rule, stored, elapsed, cc, expected", REUSE, ids=[row[0] for row in REUSE])
def test_reuse(rule, stored, elapsed, cc, expected):
    assert reuse(stored, NOW + elapsed, request_directives([("Cache-Control", cc)] if cc else [])) == expected


def test_pragma_no_cache_counts_only_without_cache_control():
    """§5.4: Pragma: no-cache is no-cache when the request has no Cache-Control."""
    assert request_directives([("Pragma", "no-cache")]) == {"no-cache": None}
    assert request_directives([("Pragma", "no-cache"), ("Cache-Control", "max-stale")]) == {"max-stale": None}


STALE_ON_ERROR = [
    # (rule, entry, seconds since stored, request Cache-Control, may stand in)
    ("RFC 5861 §4 within stale-if-error", entry(stale_if_error=60), 130, "", True),
    ("RFC 5861 §4 beyond stale-if-error", entry(stale_if_error=60), 170, "", False),
    ("RFC 5861 §4 a request's stale-if-error bounds it too", entry(), 130, "stale-if-error=10", False),
    ("RFC 5861 §4 a request's stale-if-error within", entry(), 105, "stale-if-error=10", True),
    ("RFC 5861 §4 the tighter of request and response wins", entry(stale_if_error=5), 130, "stale-if-error=60", False),
    ("CloudFront: without stale-if-error, stale stands in", entry(), 10**5, "", True),
    ("§5.2.2.2 must-revalidate: never", entry(no_stale=True, stale_if_error=60), 110, "", False),
]


@pytest.mark.parametrize("rule, stored, elapsed, cc, expected", STALE_ON_ERROR, ids=[row[0] for row in STALE_ON_ERROR])
def test_stale_on_error(rule, stored, elapsed, cc, expected):
    assert stale_on_error(stored, NOW + elapsed, request_directives([("Cache-Control", cc)] if cc else [])) == expected
