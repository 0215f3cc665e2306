"""The in-memory cache tier: an LRU bounded by the bytes it holds."""

from __future__ import annotations

from cachetools import LRUCache

from .entry import Entry


class MemoryStore:
    def __init__(self, max_bytes: int):
        self._lru: LRUCache[str, Entry] = LRUCache(maxsize=max_bytes, getsizeof=Entry.size)

    def get(self, key: str) -> Entry | None:
        return self._lru.get(key)

    def put(self, key: str, entry: Entry) -> None:
        if entry.size() <= self._lru.maxsize:
            self._lru[key] = entry

    def delete(self, key: str) -> None:
        self._lru.pop(key, None)

    def keys(self) -> list[str]:
        return list(self._lru.keys())

    @property
    def bytes_used(self) -> int:
        return self._lru.currsize
