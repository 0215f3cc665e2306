"""Request collapsing: while one request fetches a cache key from the origin, the others for that
key wait for it to land in the cache instead of each going to the origin.

A waiter looks in the cache again once the leader has landed; when the leader's answer was not
storable (private, no-store, Vary: *, too large, an error) the waiter goes to the origin itself,
so no viewer ever gets another viewer's uncacheable answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Flights:
    def __init__(self) -> None:
        self._landed: dict[str, asyncio.Event] = {}

    def lead(self, key: str) -> Callable[[], None]:
        """Announce a fetch of `key`; call what this returns (once or more) when it is stored or
        known not to be."""
        landed = self._landed.setdefault(key, asyncio.Event())

        def land() -> None:
            if self._landed.get(key) is landed:
                del self._landed[key]
            landed.set()

        return land

    def busy(self, key: str) -> bool:
        return key in self._landed

    async def wait(self, key: str, timeout: float) -> bool:
        """Wait for the fetch of `key` under way, if any, for at most `timeout` seconds; whether
        there was one. The bound matters: a leader whose answer is never read (its viewer left,
        a viewer-response hook failed) never lands, and the next leader's landing clears it."""
        landed = self._landed.get(key)
        if landed is None:
            return False
        try:
            await asyncio.wait_for(landed.wait(), timeout)
        except TimeoutError:
            pass
        return True
