"""The response cache: keys from a behavior's cache policy, storage tiers behind one interface."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import parse_qsl, urlencode

from ..distribution import CachePolicy
from ..messages import Request, get_all, get_header
from .entry import Entry
from .memory import MemoryStore

__all__ = ["Entry", "MemoryStore", "Store", "cache_key"]


class Store(Protocol):
    """A storage tier. The pipeline owns the rules (what to store, for how long); a tier only
    keeps entries by key and forgets them when asked or when it runs out of room."""

    async def get(self, key: str) -> Entry | None: ...

    async def put(self, key: str, entry: Entry) -> None: ...

    async def delete(self, key: str) -> None: ...


def cache_key(policy: CachePolicy, request: Request) -> str:
    """Host, path and the query strings, headers and cookies the policy names (reference §6.2).
    Every key begins with `host \x00 uri \x00`: invalidation matches paths on that prefix."""
    parts = [(get_header(request.headers, "host") or "").lower(), request.uri, _query_part(policy, request.querystring)]
    for name in policy.headers:
        parts.append(f"{name.lower()}={get_header(request.headers, name) or ''}")
    if policy.cookies != "none":
        parts.append("cookie=" + _cookie_part(policy, get_all(request.headers, "cookie")))
    return "\x00".join(parts)


def _query_part(policy: CachePolicy, querystring: str) -> str:
    if policy.query_strings == "none" or not querystring:
        return ""
    if policy.query_strings == "all":
        return querystring
    wanted = set(policy.query_strings)
    return urlencode([(k, v) for k, v in parse_qsl(querystring, keep_blank_values=True) if k in wanted])


def _cookie_part(policy: CachePolicy, lines: list[str]) -> str:
    """The chosen cookies, sorted by name so that the viewer's cookie order does not split entries."""
    pairs = []
    for line in lines:
        for crumb in line.split(";"):
            name, _, value = crumb.strip().partition("=")
            if name and (policy.cookies == "all" or name in policy.cookies):
                pairs.append((name, value))
    return "; ".join(f"{name}={value}" for name, value in sorted(pairs))
