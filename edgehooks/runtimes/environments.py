"""A function's execution environments, whatever runs inside them (worker process, wasm instance).

Lambda's model: an environment serves one event at a time; a new concurrent event starts a new
environment (a cold start) up to `concurrency`, and beyond that the event is throttled, not
queued; idle environments beyond `provisioned` are reaped after `idle_timeout`. The most recently
used idle environment is reused first, so warm ones stay warm and cold ones age out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from ..distribution import FunctionSpec
from ..errors import ThrottledError

E = TypeVar("E")


class Environments(Generic[E]):
    def __init__(
        self,
        spec: FunctionSpec,
        create: Callable[[], Awaitable[tuple[E, float]]],
        discard: Callable[[E], Awaitable[None]],
        log: logging.Logger,
        prepared: Callable[[E], bool] | None = None,
    ):
        self.spec = spec
        self._create = create  # a cold start: the environment and its init time in ms
        self._discard = discard
        self._prepared = prepared  # whether an idle environment is ready for its next event
        self._log = log
        self._idle: list[tuple[E, float]] = []  # (environment, last used); newest last
        self.busy = 0
        self._reaper: asyncio.Task | None = None

    @property
    def alive(self) -> int:
        return self.busy + len(self._idle)

    async def start(self) -> None:
        for environment, _ in await asyncio.gather(*(self._create() for _ in range(self.spec.provisioned))):
            self._idle.append((environment, time.monotonic()))
        self._reaper = asyncio.create_task(self._reap())

    async def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        idle, self._idle = self._idle, []
        await asyncio.gather(*(self._discard(environment) for environment, _ in idle))

    async def acquire(self, request_id: str) -> tuple[E, float | None]:
        """A warm environment (init None) or a new one with its init time; ThrottledError at the limit."""
        if self._idle:
            self.busy += 1
            return self._idle.pop(self._pick())[0], None
        if self.alive >= self.spec.concurrency:
            self._log.warning("%s throttled: %d of %d environments busy", request_id, self.busy, self.spec.concurrency)
            raise ThrottledError("Rate Exceeded.", error_type="TooManyRequestsException")
        self.busy += 1
        try:
            return await self._create()
        except BaseException:
            self.busy -= 1
            raise

    def _pick(self) -> int:
        """The most recently used idle environment, or the most recent one that is prepared."""
        if self._prepared is not None:
            for i in range(len(self._idle) - 1, -1, -1):
                if self._prepared(self._idle[i][0]):
                    return i
        return -1

    async def release(self, environment: E, *, broken: bool = False) -> None:
        """Back to the idle list, or discarded when it can no longer be trusted (timeout, crash)."""
        self.busy -= 1
        if broken:
            await self._discard(environment)
        else:
            self._idle.append((environment, time.monotonic()))

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(min(self.spec.idle_timeout, 1.0))
            cutoff = time.monotonic() - self.spec.idle_timeout
            keep = max(0, self.spec.provisioned - self.busy)
            # Oldest first: drop from the front, leaving the provisioned minimum warm.
            while len(self._idle) > keep and self._idle[0][1] < cutoff:
                await self._discard(self._idle.pop(0)[0])


class Pooled:
    """A runtime whose execution environments are an `Environments` pool: what metrics read of it."""

    environments: Environments

    @property
    def busy(self) -> int:
        return self.environments.busy

    @property
    def alive(self) -> int:
        return self.environments.alive
