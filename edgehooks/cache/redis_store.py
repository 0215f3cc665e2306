"""The shared tier: entries in Redis for every node of a distribution, invalidations by pub/sub.

Layout under the namespace `NS` = `<redis_prefix>:<distribution_id>`:

    NS:e:<key>     an entry (codec.encode), expiring EXPIRY_AFTER_STALE after it goes stale
    NS:n:<name>    a set of the keys cached for one object name (URI and keyed query string)
    NS:names       a sorted set of object names, all with score 0, so ZRANGEBYLEX finds a prefix
    NS:invalidations   the pub/sub channel on which invalidations and deletions reach every node

So an invalidation reads only what it covers: an exact path one set, a wildcard one lexical
range, never a SCAN of the keyspace; one Lua script does it in one round trip. `ORPHANS_EVERY`
a node drops names whose set has expired, so the name index does not grow without bound.

Redis is never allowed to stall a viewer: every call has `timeout`, a failure marks the tier
down (logged once) and while it is down calls are skipped; the watcher keeps trying to
subscribe, and when it succeeds the tier is back (logged once) and `on_back` runs, because
invalidations sent meanwhile never reached this node.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from . import codec
from .entry import Entry
from .invalidation_paths import SharedTierDown, object_name

log = logging.getLogger("edgehooks.cache.redis")

EXPIRY_AFTER_STALE = 3600.0  # seconds a stale entry is kept for revalidation and stale-if-error
RETRY_EVERY = 1.0  # seconds between attempts to reach a Redis that is down
INVALIDATION_BATCH = 500  # object names per script call
MAX_CONNECTIONS = 32  # per node; the pub/sub watcher holds one of them
ORPHANS_EVERY = 600.0  # seconds between sweeps of expired names out of NS:names

T = TypeVar("T")

# ARGV: namespace, one normalized path, batch size. Returns {entries removed, 1 if names are left}.
# A wildcard goes a batch of names per call, so a `/*` over a big cache never blocks Redis (and
# every other node's lookups) for long; UNLINK frees large bodies off Redis's main thread.
_INVALIDATE = """
local ns, path, batch = ARGV[1], ARGV[2], tonumber(ARGV[3])
local names, removed = {path}, 0
if string.sub(path, -1) == "*" then
  local prefix = string.sub(path, 1, -2)
  names = redis.call("ZRANGEBYLEX", ns .. ":names", "[" .. prefix, "[" .. prefix .. "\\255", "LIMIT", 0, batch)
end
for _, name in ipairs(names) do
  for _, key in ipairs(redis.call("SMEMBERS", ns .. ":n:" .. name)) do
    removed = removed + redis.call("UNLINK", ns .. ":e:" .. key)
  end
  redis.call("DEL", ns .. ":n:" .. name)
  redis.call("ZREM", ns .. ":names", name)
end
return {removed, #names == batch and 1 or 0}
"""

# ARGV: namespace, cursor. One ZSCAN step; names whose key set expired leave the index.
_SWEEP = """
local ns = ARGV[1]
local page = redis.call("ZSCAN", ns .. ":names", ARGV[2], "COUNT", 500)
for i = 1, #page[2], 2 do
  if redis.call("EXISTS", ns .. ":n:" .. page[2][i]) == 0 then redis.call("ZREM", ns .. ":names", page[2][i]) end
end
return page[1]
"""


class RedisStore:
    def __init__(self, url: str, namespace: str, timeout: float):
        self.url = url
        self.namespace = namespace
        self.timeout = timeout
        self.channel = f"{namespace}:invalidations"
        # No retries inside redis-py: a retry multiplies the time a viewer waits on a dead Redis.
        # A blocking pool: under a burst of misses calls wait for a connection (within `timeout`)
        # where redis-py's default pool would fail them with "Too many connections".
        pool = BlockingConnectionPool.from_url(
            url, max_connections=MAX_CONNECTIONS, timeout=timeout,
            socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0), health_check_interval=5,
        )
        self._client = Redis(connection_pool=pool)
        self._invalidate = self._client.register_script(_INVALIDATE)
        self._sweep = self._client.register_script(_SWEEP)
        self._node = os.urandom(8).hex()  # to ignore our own invalidations on the channel
        self.up = False
        self._down_logged = False
        self._tasks: set[asyncio.Task] = set()
        self.on_invalidation: Callable[[list[str]], None] = lambda paths: None  # another node invalidated paths
        self.on_forget: Callable[[str], None] = lambda key: None  # another node deleted a key
        self.on_back: Callable[[], None] = lambda: None

    # --- Store -------------------------------------------------------------------------------

    async def get(self, key: str) -> Entry | None:
        data = await self._call(lambda: self._client.get(self._entry(key)), None)
        return codec.decode(data) if data is not None else None

    async def put(self, key: str, entry: Entry) -> None:
        await self.write(key, entry)

    def write(self, key: str, entry: Entry) -> Awaitable[None]:
        """`put`, with the entry encoded now: the I/O may run later, after the caller moved on."""
        value = codec.encode(entry)
        stale_in = entry.ttl - max(0.0, time.time() - entry.stored_at)
        expire_ms = int(max(1.0, stale_in + EXPIRY_AFTER_STALE) * 1000)
        name = object_name(key)
        index = f"{self.namespace}:n:{name}"

        async def store() -> None:
            async with self._client.pipeline(transaction=True) as p:
                p.set(self._entry(key), value, px=expire_ms)
                p.sadd(index, key)
                # The set lives as long as its longest-lived entry: NX gives a new set a TTL, GT extends it.
                p.pexpire(index, expire_ms, nx=True)
                p.pexpire(index, expire_ms, gt=True)
                p.zadd(f"{self.namespace}:names", {name: 0})
                await p.execute()

        # A large body takes longer than a lookup: allow for a link of at least 10 MB/s.
        return self._call(store, None, self.timeout + len(value) / 10e6)

    async def delete(self, key: str) -> None:
        """Gone from Redis and from every other node's memory (a successful unsafe request, RFC 9111 §4.4)."""

        async def run() -> None:
            async with self._client.pipeline(transaction=False) as p:
                p.unlink(self._entry(key))
                p.publish(self.channel, json.dumps({"from": self._node, "keys": [key]}))
                await p.execute()

        await self._call(run, None)

    # --- invalidation ------------------------------------------------------------------------

    async def invalidate(self, paths: list[str]) -> int:
        """Delete what `paths` (normalized) cover and tell every node; SharedTierDown if Redis is out of reach."""

        if not self.up:
            raise SharedTierDown(self._unreachable("is unreachable"))
        removed = 0
        try:
            for path in paths:
                more = True
                while more:
                    gone, more = await asyncio.wait_for(self._invalidate(args=[self.namespace, path, INVALIDATION_BATCH]), self.timeout * 4)
                    removed += gone
            await asyncio.wait_for(self._client.publish(self.channel, json.dumps({"from": self._node, "paths": paths})), self.timeout)
            return removed
        except (RedisError, OSError, asyncio.TimeoutError) as e:
            self._went_down(e)
            raise SharedTierDown(self._unreachable(f"failed: {_reason(e)}")) from None

    def _unreachable(self, what: str) -> str:
        return (
            f"Redis at {self.url} {what}: invalidated on this node only; other nodes and the shared tier "
            "still hold these paths. Retry once Redis is back."
        )

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Watch the channel; returns once subscribed or once Redis proved unreachable."""
        first = asyncio.get_running_loop().create_future()
        self._spawn(self._watch(first))
        self._spawn(self._sweep_orphans())
        await first

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()

    def _spawn(self, coro: Awaitable) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch(self, first: asyncio.Future) -> None:
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await asyncio.wait_for(pubsub.subscribe(self.channel), self.timeout)
                    await self._came_back()
                    _settle(first)
                    # A failed call elsewhere marks the tier down: start over, so coming back is noticed.
                    while self.up:
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=RETRY_EVERY)
                        if message is not None:
                            self._received(message["data"])
            except (RedisError, OSError, asyncio.TimeoutError) as e:
                self._went_down(e)
            _settle(first)
            await asyncio.sleep(RETRY_EVERY)

    async def _sweep_orphans(self) -> None:
        while True:
            await asyncio.sleep(ORPHANS_EVERY)
            cursor = 0
            while self.up:
                cursor = int(await self._call(lambda: self._sweep(args=[self.namespace, cursor]), 0))
                if cursor == 0:
                    break

    def _received(self, data: bytes) -> None:
        try:
            message = json.loads(data)
            if message["from"] == self._node:
                return
            if "keys" in message:
                for key in message["keys"]:
                    self.on_forget(key)
            else:
                self.on_invalidation(message["paths"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed message on %s: %r", self.channel, data[:200])

    # --- health ------------------------------------------------------------------------------

    async def _call(self, operation: Callable[[], Awaitable[T]], fallback: T, timeout: float | None = None) -> T:
        if not self.up:
            return fallback
        try:
            return await asyncio.wait_for(operation(), timeout or self.timeout)
        except (RedisError, OSError, asyncio.TimeoutError) as e:
            self._went_down(e)
            return fallback

    def _went_down(self, error: BaseException) -> None:
        self.up = False
        if not self._down_logged:
            self._down_logged = True
            log.warning("redis at %s is unreachable (%s): serving from this node's memory and the origin meanwhile", self.url, _reason(error))

    async def _came_back(self) -> None:
        if self._down_logged:
            # Pooled connections may be to the Redis that went away: their first use would fail.
            await self._client.connection_pool.disconnect()
        self.up = True
        if self._down_logged:
            self._down_logged = False
            log.warning("redis at %s is back: shared tier in use again; memory tier emptied, since invalidations sent meanwhile never reached this node", self.url)
            self.on_back()

    def _entry(self, key: str) -> str:
        return f"{self.namespace}:e:{key}"


def _settle(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__
