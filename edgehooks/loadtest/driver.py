"""The load: an aiohttp client bounded in time and count, closed-loop or paced at a rate.

Closed loop (the default): `concurrency` clients each send their next request when the last one
is answered, as fast as the proxy allows. Open loop (`rate`): requests start on a fixed schedule
whether or not earlier ones have been answered, at most `concurrency` in flight; each latency
counts from the scheduled start, so a stall shows as the queueing it causes rather than hiding
it (coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from .. import servertiming


@dataclass
class Sample:
    status: int | None  # None: no HTTP answer (connection refused, reset, timed out)
    seconds: float
    timing: list[servertiming.Metric] = field(default_factory=list)
    error: str | None = None


@dataclass
class Plan:
    url: str
    concurrency: int = 10
    duration: float | None = None  # seconds; None: until `requests` are done
    requests: int | None = None
    rate: float | None = None  # requests per second; None: closed loop
    timeout: float = 30.0
    headers: list[tuple[str, str]] = field(default_factory=list)


class Load:
    def __init__(self, plan: Plan, progress: Callable[[Load], None] | None = None):
        self.plan = plan
        self.samples: list[Sample] = []
        self.started = 0.0
        self.elapsed = 0.0
        self._progress = progress
        self._issued = 0

    def done_fraction(self) -> float:
        """How far along the bound is, 0..1: by time, by count, or whichever is further."""
        by_time = (time.perf_counter() - self.started) / self.plan.duration if self.plan.duration else 0.0
        by_count = len(self.samples) / self.plan.requests if self.plan.requests else 0.0
        return min(1.0, max(by_time, by_count))

    async def run(self) -> Load:
        plan = self.plan
        connector = aiohttp.TCPConnector(limit=plan.concurrency, force_close=False)
        timeout = aiohttp.ClientTimeout(total=plan.timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=plan.headers, auto_decompress=False) as session:
            self.started = time.perf_counter()
            ticker = asyncio.create_task(self._tick()) if self._progress else None
            try:
                if plan.rate:
                    await self._open_loop(session)
                else:
                    await asyncio.gather(*(self._client(session) for _ in range(plan.concurrency)))
            finally:
                self.elapsed = time.perf_counter() - self.started
                if ticker is not None:
                    ticker.cancel()
                    self._progress(self)
        return self

    def _more(self, at: float | None = None) -> bool:
        """Claim the next request, to start `at` seconds into the run (default now), if the bounds allow one."""
        plan = self.plan
        if plan.requests is not None and self._issued >= plan.requests:
            return False
        offset = time.perf_counter() - self.started if at is None else at
        # The margin keeps a schedule that lands exactly on the end (10 × 20 ms in 200 ms) out, float error or not.
        if plan.duration is not None and offset >= plan.duration - 1e-9:
            return False
        self._issued += 1
        return True

    async def _client(self, session: aiohttp.ClientSession) -> None:
        while self._more():
            await self._one(session, time.perf_counter())

    async def _open_loop(self, session: aiohttp.ClientSession) -> None:
        assert self.plan.rate
        interval = 1.0 / self.plan.rate
        slots = asyncio.Semaphore(self.plan.concurrency)
        flying: set[asyncio.Task] = set()

        async def paced(scheduled: float) -> None:
            async with slots:
                await self._one(session, scheduled)

        while self._more(offset := self._issued * interval):
            scheduled = self.started + offset
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(paced(scheduled))
            flying.add(task)
            task.add_done_callback(flying.discard)
        await asyncio.gather(*flying)

    async def _one(self, session: aiohttp.ClientSession, since: float) -> None:
        try:
            async with session.get(self.plan.url, allow_redirects=False) as response:
                await response.read()
                timing = [m for value in response.headers.getall("Server-Timing", []) for m in servertiming.parse(value)]
                self.samples.append(Sample(response.status, time.perf_counter() - since, timing))
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            self.samples.append(Sample(None, time.perf_counter() - since, error=type(e).__name__))

    async def _tick(self) -> None:
        assert self._progress is not None
        while True:
            self._progress(self)
            await asyncio.sleep(0.2)
