"""The in-memory cache tier: an LRU bounded by the bytes it holds."""

from __future__ import annotations

from cachetools import LRUCache

from .entry import Entry


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
        self._lru.pop(key, None)

    def keys(self) -> list[str]:
        return list(self._lru.keys())

    @property
    def bytes_used(self) -> int:
        return self._lru.currsize
