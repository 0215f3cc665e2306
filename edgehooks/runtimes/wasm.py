"""WebAssembly functions: execution environments as Lambda runs them, the sandbox as wasmtime gives it.

An environment serves one event at a time. More concurrent events start more environments, up to
the function's `concurrency`; beyond it an event is throttled, not queued, as Lambda does. Idle
environments beyond `provisioned` are dropped after `idle_timeout`. Calls into wasm release the
GIL, so a long one runs in this function's own thread pool and the event loop keeps serving.
But handing an event to a pool thread and back costs more (40–150 µs here) than a typical module's
whole run, so a function starts out running on the event loop's thread under a short CPU budget
(`INLINE_BUDGET`, enforced by the same watchdog as the timeout). An event that overruns it is
stopped and run again in the pool with the full timeout; after `STRIKES` overruns close together
the function stays in the pool from then on (one overrun can be the process warming up: a first
call's page faults measured ~5 ms of CPU). A WASI instance is fresh per event, so the first run leaves no trace; a fast ABI
instance stopped mid-event is thrown away and the event re-runs on a new environment — what Lambda
does whenever it routes an event to a new environment, so a handler cannot tell.

The fast ABI keeps one instance per environment (cold start: instantiate, `_initialize`, `init`);
the WASI ABI instantiates per event, and its environments make the next instance between events. Which ABI a
module speaks, and why it cannot run, is `wasm_module`'s business; one event's run is `wasm_env`'s.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import ids, lambdalog
from ..distribution import FunctionSpec
from ..errors import FunctionError, ThrottledError
from . import Invocation, codec
from .environments import Environments, Pooled
from .wasm_env import FastEnvironment, OverBudget, WasiEnvironment, decode
from .wasm_module import Abi, Loaded, load

Environment = FastEnvironment | WasiEnvironment
INLINE_BUDGET = 0.002  # CPU seconds; noticed at the watchdog's next epoch tick, so the loop may block ~5 ms
STRIKES = 3  # overruns, each within FORGIVEN events of the last, that send a function to its pool
FORGIVEN = 1000


def check(spec: FunctionSpec) -> str | None:
    """Why the module cannot run here (does not compile, has no ABI, imports what we lack), or None.
    It also fills the compile cache, so the proxy's start does not compile again."""
    try:
        loaded = load(spec.wasm)
    except ValueError as e:
        return str(e)
    memory = next((e.type for e in loaded.module.exports if e.name == "memory"), None)
    if memory is not None and memory.limits.min * 64 * 1024 > spec.memory_mb << 20:
        return f"its memory starts at {memory.limits.min} pages ({memory.limits.min // 16} MB), over memory_mb = {spec.memory_mb}"
    return None


class WasmRuntime(Pooled):
    def __init__(self, spec: FunctionSpec):
        self.spec = spec
        self.log = logging.getLogger(f"edgehooks.function.{spec.name}")
        self.memory_limit = spec.memory_mb << 20
        self._loaded: Loaded | None = None
        self._inline = True  # until STRIKES events overrun INLINE_BUDGET
        self._strikes = self._clean = 0  # overruns, and events within budget since the last one
        self._pool = ThreadPoolExecutor(max_workers=spec.concurrency, thread_name_prefix=f"wasm-{spec.name}")
        self.environments: Environments[Environment] = Environments(spec, self._spawn, self._discard, self.log, prepared=lambda environment: environment.prepared)

    async def start(self) -> None:
        try:
            self._loaded = await asyncio.get_running_loop().run_in_executor(self._pool, load, self.spec.wasm)
        except ValueError as e:
            raise RuntimeError(f"function {self.spec.name}: {self.spec.wasm}: {e}") from None
        await self.environments.start()

    async def close(self) -> None:
        await self.environments.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def invoke(self, event: dict, *, hook: str) -> Invocation:
        request_id = ids.invocation_id()
        environment, init_ms = await self._acquire(request_id)
        started = time.perf_counter()
        memory_bytes = 0
        error: FunctionError | None = None
        try:
            if self._inline:
                environment, init_ms, (result, memory_bytes) = await self._run_inline(environment, init_ms, event, request_id)
            else:
                result, memory_bytes = await asyncio.get_running_loop().run_in_executor(self._pool, self._run, environment, event)
        except FunctionError as e:
            error = e
        duration_ms = (time.perf_counter() - started) * 1000
        logs = environment.logs
        # A broken environment (timeout, trap, bad output) is dropped: the next event starts a fresh one.
        await self.environments.release(environment, broken=environment.broken)
        self._report(request_id, logs, error, duration_ms, memory_bytes, init_ms)
        if error is not None:
            error.init_ms = init_ms
            raise error
        return Invocation(result, request_id, duration_ms, init_ms, math.ceil(memory_bytes / 2**20), logs)

    async def _run_inline(self, environment: Environment, init_ms: float | None, event: dict, request_id: str) -> tuple[Environment, float | None, tuple[Any, int]]:
        """Run on this thread within INLINE_BUDGET; past it, in the pool, on a new environment if needed."""
        collecting = gc.isenabled()
        gc.disable()  # a collection started by a host call (~10 ms in a big heap) is not the module's CPU
        try:
            result = self._run(environment, event, INLINE_BUDGET)
            self._clean += 1
            return environment, init_ms, result
        except OverBudget:
            pass
        finally:
            if collecting:
                gc.enable()
            if not environment.prepared:  # on this thread once the request's task yields, usually
                # after its answer has gone (another thread would contend with this one for the GIL
                # and wasmtime's locks: measured slower)
                asyncio.get_running_loop().call_soon(environment.prepare, self.spec.timeout, INLINE_BUDGET)
        self._strikes = 1 if self._clean > FORGIVEN else self._strikes + 1
        self._clean = 0
        if self._strikes >= STRIKES:
            self._inline = False
            self.log.warning("%s used over %.0f ms of CPU on the event loop's thread, %d times: %s runs in its thread pool from now on", request_id, INLINE_BUDGET * 1000, STRIKES, self.spec.name)
        if environment.broken:
            await self.environments.release(environment, broken=True)
            environment, init_ms = await self._acquire(request_id)
        return environment, init_ms, await asyncio.get_running_loop().run_in_executor(self._pool, self._run, environment, event)

    def _run(self, environment: Environment, event: dict, budget: float | None = None) -> tuple[Any, int]:
        """JSON out (UTF-8, as the ABIs promise), the wasm run, JSON back."""
        output = environment.invoke(codec.dumps(event), self.spec.timeout, budget)
        return decode(output.data), output.memory_bytes

    async def _acquire(self, request_id: str) -> tuple[Environment, float | None]:
        try:
            return await self.environments.acquire(request_id)
        except ThrottledError:
            raise
        except FunctionError as e:  # the cold start failed: that is this invocation's report
            self._report(request_id, [], e, 0.0, 0, None)
            raise

    async def _spawn(self) -> tuple[Environment, float | None]:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._new_environment)

    async def _discard(self, environment: Environment) -> None:
        """Nothing to free by hand: an environment's instance and store go with the object."""

    def _new_environment(self) -> tuple[Environment, float | None]:
        """A cold start. Only the fast ABI has one worth reporting as Init Duration."""
        assert self._loaded is not None, "WasmRuntime.start() was not awaited"
        if self._loaded.abi is Abi.WASI:
            environment = WasiEnvironment(self._loaded, self.memory_limit)
            environment.prepare(self.spec.timeout)
            return environment, None
        started = time.perf_counter()
        environment = FastEnvironment(self._loaded, self.memory_limit, self.spec.timeout)
        init_ms = (time.perf_counter() - started) * 1000
        for line in environment.logs:  # what init() logged: before the first START, as Lambda shows it
            self.log.info("%s", line)
        return environment, init_ms

    def _report(self, request_id: str, logs: list[str], error: FunctionError | None, duration_ms: float, memory_bytes: int, init_ms: float | None) -> None:
        lambdalog.report(
            self.log, request_id=request_id, version=self.spec.version, logs=logs, error=error,
            duration_ms=duration_ms, memory_mb=self.spec.memory_mb, max_memory_mb=math.ceil(memory_bytes / 2**20), init_ms=init_ms,
        )  # fmt: skip
