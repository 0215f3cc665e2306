"""The in-memory cache tier: an LRU bounded by the bytes it holds."""

from __future__ import annotations

from collections.abc import Callable

from cachetools import LRUCache

from .entry import Entry
from .invalidation_paths import Matcher


class MemoryStore:
    """`Store` over a cachetools LRU. Async like every tier, so the pipeline need not know which
    one it has: a Redis tier must await, this one never does."""

    def __init__(self, max_bytes: int):
        self._lru: LRUCache[str, Entry] = LRUCache(maxsize=max_bytes, getsizeof=Entry.size)

    async def get(self, key: str) -> Entry | None:
        return self._lru.get(key)

    async def put(self, key: str, entry: Entry) -> None:
        if entry.size() <= self._lru.maxsize:
            self._lru[key] = entry

    async def delete(self, key: str) -> None:
        self.forget(key)

    def forget(self, key: str) -> None:
        self._lru.pop(key, None)

    async def invalidate(self, paths: list[str]) -> None:
        self.drop(Matcher(paths))

    # Nothing to connect to or let go of; a shared tier has both.
    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def drop(self, covered: Callable[[str], bool]) -> int:
        """Forget every key `covered` says yes to (an invalidation.Matcher); how many went."""
        gone = [key for key in self._lru.keys() if covered(key)]
        for key in gone:
            del self._lru[key]
        return len(gone)

    def clear(self) -> None:
        self._lru.clear()

    def keys(self) -> list[str]:
        return list(self._lru.keys())

    @property
    def bytes_used(self) -> int:
        return self._lru.currsize
