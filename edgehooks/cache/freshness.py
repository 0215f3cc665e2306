"""Freshness rules for a shared cache (RFC 9111) bounded by a behavior's TTLs, as pure functions.

CloudFront's adjustments (reference §6.3): the origin's s-maxage / max-age / Expires are clamped to
[min_ttl, max_ttl]; without them default_ttl applies; no-store / no-cache / private are obeyed
only while min_ttl is 0.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from ..distribution import CachePolicy
from ..messages import Headers, get_all, get_header

# RFC 9110 §9.2.1: only these methods' responses may be stored under a GET/HEAD key here.
CACHEABLE_METHODS = frozenset({"GET", "HEAD"})


def parse_cache_control(values: list[str]) -> dict[str, str | None]:
    """Directives by lower-case name; the first occurrence wins (RFC 9111 §4.2.1)."""
    directives: dict[str, str | None] = {}
    for value in values:
        for part in value.split(","):
            name, sep, arg = part.strip().partition("=")
            name = name.strip().lower()
            if not name or name in directives:
                continue
            directives[name] = arg.strip().strip('"') if sep else None
    return directives


def delta_seconds(value: str | None) -> int | None:
    """A delta-seconds argument, or None when absent or malformed (RFC 9111 §1.2.2)."""
    if value is None or not value.isdigit():
        return None
    return int(value)


def http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def origin_lifetime(headers: Headers) -> float | None:
    """The origin's explicit freshness lifetime: s-maxage, then max-age, then Expires - Date."""
    cc = parse_cache_control(get_all(headers, "cache-control"))
    for name in ("s-maxage", "max-age"):
        if name in cc:
            seconds = delta_seconds(cc[name])
            # A malformed max-age makes the response stale (RFC 9111 §4.2.1).
            return float(seconds) if seconds is not None else 0.0
    expires = get_header(headers, "expires")
    if expires is not None:
        expires_at = http_date(expires)
        if expires_at is None:
            return 0.0  # an invalid Expires means "already expired" (§5.3)
        date = http_date(get_header(headers, "date"))
        return max(0.0, expires_at - date) if date is not None else None
    return None


def ttl(method: str, status: int, headers: Headers, policy: CachePolicy) -> float | None:
    """Seconds this response may be served from cache, or None when it must not be stored."""
    if not policy.enabled or method not in CACHEABLE_METHODS:
        return None
    cc = parse_cache_control(get_all(headers, "cache-control"))
    refuses = any(d in cc for d in ("no-store", "private", "no-cache"))
    if refuses and policy.min_ttl <= 0:
        return None
    lifetime = origin_lifetime(headers)
    if lifetime is None:
        if status not in DEFAULT_CACHEABLE:
            return None
        lifetime = max(policy.default_ttl, policy.min_ttl)
    else:
        lifetime = min(max(lifetime, policy.min_ttl), policy.max_ttl)
    return lifetime if lifetime > 0 else None


# Statuses cacheable without explicit freshness (RFC 9110 §15.1 "heuristically cacheable").
DEFAULT_CACHEABLE = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})


def initial_age(headers: Headers) -> float:
    """The Age the origin (or an upstream cache) already reported."""
    return float(delta_seconds(get_header(headers, "age")) or 0)
