"""Memory in front of Redis: what one node keeps close, in front of what all nodes share."""

from __future__ import annotations

import asyncio

from .entry import Entry
from .invalidation_paths import Matcher
from .memory import MemoryStore
from .redis_store import RedisStore


class TieredStore:
    """A hit in Redis fills memory; a put goes to both, to Redis in the background so a viewer
    never waits on it; an invalidation or a deletion from any node, arriving on pub/sub, drops
    the paths or the key from this node's memory."""

    def __init__(self, memory: MemoryStore, shared: RedisStore):
        self.memory = memory
        self.shared = shared
        self._writes: set[asyncio.Task] = set()
        shared.on_invalidation = lambda paths: memory.drop(Matcher(paths))
        shared.on_forget = memory.forget
        shared.on_back = memory.clear

    async def get(self, key: str) -> Entry | None:
        entry = await self.memory.get(key)
        if entry is None:
            since = self.memory.generation  # an invalidation heard while Redis answers wins, as for a fill
            entry = await self.shared.get(key)
            if entry is not None:
                await self.memory.put(key, entry, since)
        return entry

    @property
    def generation(self) -> int:
        # Invalidations from other nodes reach this node's memory too: it counts them all.
        return self.memory.generation

    async def put(self, key: str, entry: Entry, since: int | None = None) -> bool:
        if not await self.memory.put(key, entry, since):
            return False
        write = asyncio.ensure_future(self.shared.write(key, entry))
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)
        return True

    async def delete(self, key: str) -> None:
        await self.memory.delete(key)
        await self.shared.delete(key)

    async def invalidate(self, paths: list[str]) -> None:
        await self.memory.invalidate(paths)
        await self.shared.invalidate(paths)

    async def start(self) -> None:
        await self.shared.start()

    async def close(self) -> None:
        await asyncio.gather(*self._writes, return_exceptions=True)
        await self.shared.close()
