"""Whether a response may be stored, for how long it is fresh, and whether a stored one may be
reused for a request: RFC 9111 for a shared cache, RFC 9213 and RFC 5861, bounded by a
behavior's CloudFront TTLs. Pure functions over headers and times.

CloudFront's adjustments (reference §6.3): explicit freshness is clamped to [min_ttl, max_ttl];
a response without it gets default_ttl; no-store / no-cache / private are obeyed only while
min_ttl is 0. How default_ttl and RFC 9111's heuristic combine: default_ttl is the operator's
heuristic (§4.2.2 leaves the choice to the cache) and replaces the Last-Modified rule; with
default_ttl = 0 only the Last-Modified rule remains, so a response with neither explicit
freshness nor Last-Modified is never fresh. A response that is never fresh is stored only when it
has a validator (ETag, Last-Modified): each use then asks the origin, which may answer 304 — as
CloudFront does with a TTL of 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from http import HTTPStatus

from ..distribution import CachePolicy
from ..messages import Headers, get_all, get_header
from .directives import Directives, delta_seconds, field_names, parse_cache_control, response_directives
from .entry import Entry

# RFC 9110 §15.1: statuses cacheable without explicit freshness ("heuristically cacheable").
HEURISTICALLY_CACHEABLE = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})
# Statuses whose caching rules this cache knows: the registered ones (RFC 9110 §15 and later RFCs).
UNDERSTOOD = frozenset(HTTPStatus)
# RFC 9110 §9.2.1 safe methods besides GET/HEAD do not invalidate; everything else may change the resource.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# RFC 9111 §4.2.2: 10% of the time since Last-Modified is the customary heuristic.
HEURISTIC_FRACTION = 0.1
# RFC 5861 §4: the statuses that count as an error for stale-if-error.
ERROR_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class Storing:
    """How to store one response: its lifetime and what its directives ask of later uses."""

    lifetime: float  # seconds of freshness from the response's age at arrival
    no_cache: bool  # validate with the origin before every use (§5.2.2.4)
    no_stale: bool  # never served stale (must-revalidate, proxy-revalidate, s-maxage, no-cache)
    stale_while_revalidate: float  # RFC 5861 §3, seconds after expiry
    stale_if_error: float | None  # RFC 5861 §4, seconds after expiry; None: not said
    omitted: frozenset[str]  # fields not to store: qualified no-cache and private (§5.2.2.4, §5.2.2.7)


def storing(status: int, request_headers: Headers, headers: Headers, policy: CachePolicy) -> Storing | None:
    """How to store the response to a GET, or None when it must not be stored (RFC 9111 §3)."""
    if not policy.enabled or status < 200 or status in (206, 304):
        return None  # 206 needs range combining (§3.3), which this cache does not do
    cc, targeted = response_directives(headers)
    obeyed = policy.min_ttl <= 0  # with min_ttl > 0 CloudFront stores what the origin refuses
    if "must-understand" in cc and status not in UNDERSTOOD:
        return None  # §5.2.2.3: only a cache that knows the status's caching rules may store it
    if obeyed and ("no-store" in cc and "must-understand" not in cc or _unqualified(cc, "private")):
        return None
    if obeyed and get_header(request_headers, "authorization") is not None and not cc.keys() & {"must-revalidate", "public", "s-maxage"}:
        return None  # §3.5: a shared cache reuses an authenticated answer only when told it may
    explicit = explicit_lifetime(cc, headers, targeted)
    if explicit is not None:
        lifetime = min(max(explicit, policy.min_ttl), policy.max_ttl)
    elif status in HEURISTICALLY_CACHEABLE or "public" in cc:
        heuristic = policy.default_ttl or heuristic_lifetime(headers) or 0.0
        lifetime = min(max(heuristic, policy.min_ttl), policy.max_ttl)
    else:
        return None
    stale_while_revalidate = float(delta_seconds(cc.get("stale-while-revalidate")) or 0)
    stale_if_error = _seconds_or_none(cc, "stale-if-error")
    if lifetime <= 0 and not (_validator(headers) or stale_while_revalidate or stale_if_error):
        return None  # never fresh, nothing to validate with and no permission to serve it stale
    omitted = set()
    for name in ("no-cache", "private"):
        if cc.get(name) and obeyed:
            omitted.update(field_names(cc[name]))
    no_cache = obeyed and _unqualified(cc, "no-cache")
    return Storing(
        lifetime=lifetime,
        no_cache=no_cache,
        no_stale=bool(cc.keys() & {"must-revalidate", "proxy-revalidate", "s-maxage"}) or no_cache,
        stale_while_revalidate=stale_while_revalidate,
        stale_if_error=stale_if_error,
        omitted=frozenset(omitted),
    )


def explicit_lifetime(cc: Directives, headers: Headers, targeted: bool) -> float | None:
    """§4.2.1: s-maxage, then max-age, then Expires − Date; None when the response gives none.

    A malformed max-age or Expires means "already stale" (§4.2.1, §5.3). A targeted field
    replaces Expires too (RFC 9213 §2.2)."""
    for name in ("s-maxage", "max-age"):
        if name in cc:
            seconds = delta_seconds(cc[name])
            return float(seconds) if seconds is not None else 0.0
    expires = None if targeted else get_all(headers, "expires")
    if expires:
        expires_at = http_date(expires[0]) if len(expires) == 1 else None
        if expires_at is None:
            return 0.0
        date = http_date(get_header(headers, "date"))
        return max(0.0, expires_at - date) if date is not None else 0.0
    return None


def heuristic_lifetime(headers: Headers) -> float | None:
    """§4.2.2: a fraction of the time since Last-Modified, or None without a usable one."""
    modified = http_date(get_header(headers, "last-modified"))
    date = http_date(get_header(headers, "date"))
    if modified is None or date is None or modified > date:
        return None
    return HEURISTIC_FRACTION * (date - modified)


def initial_age(headers: Headers, request_time: float, response_time: float) -> float:
    """§4.2.3's corrected_initial_age: the larger of what Date implies and what Age says, plus
    the time the response was in flight."""
    date = http_date(get_header(headers, "date"))
    apparent = max(0.0, response_time - date) if date is not None else 0.0
    return max(apparent, age_value(headers) + (response_time - request_time))


def age_value(headers: Headers) -> int:
    """§5.1: Age is one delta-seconds; anything else (a list, a second line, junk) is ignored."""
    lines = get_all(headers, "age")
    return (delta_seconds(lines[0].strip()) or 0) if len(lines) == 1 else 0


def http_date(value: str | None) -> float | None:
    """An HTTP-date (RFC 9110 §5.6.7) as a timestamp, or None when absent or invalid."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # asctime dates carry no zone and are UTC by definition (RFC 9110 §5.6.7).
    return (parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)).timestamp()


# --- reuse: what a request may get from a stored response (§4.2, §5.2.1, RFC 5861) ------------

FRESH = "fresh"  # serve it
STALE = "stale"  # serve it stale: the request said it accepts that (max-stale)
REFRESH = "refresh"  # serve it stale and revalidate in the background (stale-while-revalidate)
VALIDATE = "validate"  # ask the origin first


# The request fields request_directives reads: a request without them has no directives.
REQUEST_FIELDS = frozenset({"cache-control", "pragma"})


def request_directives(headers: Headers) -> Directives:
    """The request's Cache-Control; a bare Pragma: no-cache counts as no-cache (§5.4)."""
    lines = get_all(headers, "cache-control")
    if not lines and any("no-cache" in v.lower() for v in get_all(headers, "pragma")):
        return {"no-cache": None}
    return parse_cache_control(lines)


def reuse(entry: Entry, now: float, req: Directives) -> str:
    """How a stored response may be used at `now` for a request with directives `req`."""
    age, lifetime = entry.age(now), entry.ttl
    if entry.no_cache or "no-cache" in req:
        return VALIDATE
    max_age = delta_seconds(req.get("max-age")) if "max-age" in req else None
    if max_age is not None and age > max_age:
        return VALIDATE
    remaining = lifetime - age
    if remaining > 0 and remaining >= (delta_seconds(req.get("min-fresh")) or 0):
        return FRESH
    if entry.no_stale:
        return VALIDATE
    staleness = -remaining
    if "max-stale" in req:
        # A bare max-stale accepts any staleness; a malformed limit is ignored (§5.2.1.2).
        limit = delta_seconds(req["max-stale"]) if req["max-stale"] is not None else float("inf")
        if limit is not None and staleness <= limit:
            return STALE
    if staleness < entry.stale_while_revalidate and "max-age" not in req and "min-fresh" not in req:
        return REFRESH
    return VALIDATE


def stale_on_error(entry: Entry, now: float, req: Directives) -> bool:
    """RFC 5861 §4 and RFC 9111 §4.2.4: may a stale response stand in for a failed origin?
    stale-if-error in the response or the request bounds how stale (the tighter wins); with
    neither, CloudFront serves it anyway; must-revalidate and friends forbid it."""
    if entry.no_stale:
        return False
    limits = [entry.stale_if_error] if entry.stale_if_error is not None else []
    if "stale-if-error" in req:
        limits.append(delta_seconds(req["stale-if-error"]) or 0)
    return not limits or entry.age(now) - entry.ttl <= min(limits)


def _unqualified(cc: Directives, name: str) -> bool:
    """A bare no-cache / private applies to the whole response; with field names only to those."""
    return name in cc and not cc[name]


def _validator(headers: Headers) -> bool:
    return get_header(headers, "etag") is not None or get_header(headers, "last-modified") is not None


def _seconds_or_none(cc: Directives, name: str) -> float | None:
    seconds = delta_seconds(cc.get(name))
    return float(seconds) if seconds is not None else None
