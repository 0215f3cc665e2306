"""The response cache: keys from a behavior's cache policy, storage tiers behind one interface."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import parse_qsl, urlencode

from ..distribution import CachePolicy, Distribution
from ..messages import Request, cookies, get_all, get_header
from .entry import Entry
from .invalidation_paths import SharedTierDown
from .memory import MemoryStore

__all__ = ["Entry", "MemoryStore", "SharedTierDown", "Store", "build_store", "cache_key"]


class Store(Protocol):
    """A storage tier. The pipeline owns the rules (what to store, for how long); a tier only
    keeps entries by key and forgets them when asked or when it runs out of room."""

    generation: int  # counts invalidations and deletions; a fill notes it when it asks the origin

    async def get(self, key: str) -> Entry | None: ...

    async def put(self, key: str, entry: Entry, since: int | None = None) -> bool:
        """Keep `entry`, unless something dropped after generation `since` covers `key` (a fill
        that began before an invalidation must not undo it); False when refused so."""

    async def delete(self, key: str) -> None: ...

    async def invalidate(self, paths: list[str]) -> None:
        """Forget what the normalized CloudFront paths cover (cache.invalidation_paths), on every node
        that shares this tier; SharedTierDown when only this node could be reached."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


def build_store(dist: Distribution) -> Store:
    """Memory alone, or memory in front of the Redis that `[cache] redis` names."""
    memory = MemoryStore(dist.cache.max_size)
    if dist.cache.redis is None:
        return memory
    # Imported here: redis-py costs a quarter of a second to import, and most runs have no Redis.
    from .redis_store import RedisStore
    from .tiered import TieredStore

    namespace = f"{dist.cache.redis_prefix}:{dist.server.distribution_id}"
    return TieredStore(memory, RedisStore(dist.cache.redis, namespace, dist.cache.redis_timeout))


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
    pairs = [(name, value) for name, value in cookies(lines) if policy.cookies == "all" or name in policy.cookies]
    return "; ".join(f"{name}={value}" for name, value in sorted(pairs))
