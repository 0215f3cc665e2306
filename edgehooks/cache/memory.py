"""The in-memory cache tier: an LRU bounded by the bytes it holds."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from cachetools import LRUCache

from .entry import Entry
from .invalidation_paths import Matcher

# Invalidations and deletions remembered for fills still in flight; a fill older than all of them
# is not stored (it cannot be told apart from one they covered).
REMEMBERED_DROPS = 256


class MemoryStore:
    """`Store` over a cachetools LRU. Async like every tier, so the pipeline need not know which
    one it has: a Redis tier must await, this one never does."""

    def __init__(self, max_bytes: int):
        self._lru: LRUCache[str, Entry] = LRUCache(maxsize=max_bytes, getsizeof=Entry.size)
        self.generation = 0  # invalidations and deletions so far: a fill notes it when it asks the origin
        self._drops: deque[tuple[int, Callable[[str], bool]]] = deque(maxlen=REMEMBERED_DROPS)

    async def get(self, key: str) -> Entry | None:
        return self._lru.get(key)

    async def put(self, key: str, entry: Entry, since: int | None = None) -> bool:
        """Keep `entry` unless an invalidation or deletion after generation `since` covers `key`:
        what the origin said before it may be just what it dropped. False when refused so."""
        if since is not None and self._dropped_since(since, key):
            return False
        if entry.size() <= self._lru.maxsize:
            self._lru[key] = entry
        return True

    async def delete(self, key: str) -> None:
        self.forget(key)

    def forget(self, key: str) -> None:
        self._dropped(key.__eq__)
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
        self._dropped(covered)
        gone = [key for key in self._lru.keys() if covered(key)]
        for key in gone:
            del self._lru[key]
        return len(gone)

    def clear(self) -> None:
        self._dropped(lambda _: True)
        self._lru.clear()

    def _dropped(self, covered: Callable[[str], bool]) -> None:
        self.generation += 1
        self._drops.append((self.generation, covered))

    def _dropped_since(self, since: int, key: str) -> bool:
        if since < self.generation - len(self._drops):
            return True
        return any(covered(key) for generation, covered in self._drops if generation > since)

    def keys(self) -> list[str]:
        return list(self._lru.keys())

    @property
    def bytes_used(self) -> int:
        return self._lru.currsize
