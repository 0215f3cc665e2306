"""One execution environment of a wasm function, per ABI: event bytes in, result bytes out.

These are synchronous and belong to one thread at a time; `wasm.WasmRuntime` runs them in a
thread pool (wasm releases the GIL) and decides when an environment is reused or replaced. A
failure is raised as the `FunctionError` CloudFront would report; `broken` then says whether the
environment must be thrown away (any trap, timeout or ABI violation leaves an instance in an
unknown state).
"""

from __future__ import annotations

import ctypes
import math
import threading
from dataclasses import dataclass
from typing import Any

from wasmtime import ExitTrap, Func, FuncType, Instance, Memory, Store, Trap, WasmtimeError

from ..errors import ExecutionError, ValidationError
from . import codec, wasi_io, wasm_call
from .wasm_call import RawStore, Watchdog
from .wasm_module import LOG_IMPORT, Loaded, engine

# Lambda's synchronous response payload quota: the result as bytes, before CloudFront's own size
# rules (which `validation` applies) are even considered.
OUTPUT_LIMIT = 6 * 1024 * 1024
LOG_LIMIT = 256 * 1024  # log bytes kept per invocation, a CloudWatch event's size
MB = 1024 * 1024


@dataclass
class Output:
    data: bytes
    memory_bytes: int  # linear memory size when the call returned: Lambda's "Max Memory Used"


def decode(data: bytes) -> Any:
    """The result as JSON, or the 502 CloudFront gives for output it cannot parse."""
    try:
        return codec.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationError("The Lambda function returned invalid JSON: The JSON output is not parsable.") from None


class OverBudget(Exception):
    """The call ran past the CPU budget it was given (not the function's timeout): stopped there."""


def _too_large() -> ValidationError:
    return ValidationError(f"Response payload size exceeded maximum allowed payload size ({OUTPUT_LIMIT} bytes).")


class _Environment:
    broken = False

    def __init__(self, memory_limit: int):
        self.memory_limit = memory_limit
        self.logs: list[str] = []  # what the module logged during the last event, kept on failure too

    prepared = True  # ready for its next event

    def prepare(self, timeout: float, budget: float | None = None) -> None:
        """Between events, when the event loop has a moment: get ready for the next one."""

    def _failed(self, error: Exception, watchdog: Watchdog, timeout: float, memory_bytes: int) -> Exception:
        if watchdog.reason == "budget":
            return OverBudget()
        if watchdog.reason == "timeout":
            return ExecutionError(f"Task timed out after {timeout:.2f} seconds", error_type="Sandbox.Timedout")
        if isinstance(error, ExitTrap):
            return ExecutionError(f"Runtime exited with error: exit status {error.code}", error_type="Runtime.ExitError")
        lines = str(error).strip().splitlines()
        detail = lines[-1].strip() if lines else type(error).__name__  # wasmtime puts the cause last
        # A refused memory.grow is no trap (the module sees -1 and decides), so whether memory ran
        # out is for the reader to judge: say how full it was.
        used = f"linear memory {math.ceil(memory_bytes / MB)} of {self.memory_limit // MB} MB"
        return ExecutionError(f"{detail} ({used})", error_type="Runtime.WasmTrap")


class FastEnvironment(_Environment):
    """Fast ABI: one instance for the environment's life; its globals survive between events."""

    def __init__(self, loaded: Loaded, memory_limit: int, timeout: float):
        super().__init__(memory_limit)
        store = Store(engine())
        store.set_limits(memory_size=memory_limit)
        self.raw = RawStore.of(store, 2)
        self.watchdog = Watchdog(self.raw)
        self.log_bytes = 0
        imports = [Func(store, FuncType(*LOG_IMPORT[2]), self._log, access_caller=True) for _ in loaded.module.imports]
        self.watchdog.arm(self.raw.context, timeout)  # a start function runs inside Instance()
        try:
            instance = Instance(store, loaded.module, imports)
        except (Trap, WasmtimeError) as e:
            self.broken = True
            raise self._failed(e, self.watchdog, timeout, 0) from None
        exports = instance.exports(store)
        self.memory, self.alloc, self.handle = exports["memory"], exports["alloc"], exports["handle"]
        for name, present in (("_initialize", loaded.has_initialize), ("init", loaded.has_init)):
            if present:
                self.watchdog.arm(self.raw.context, timeout)
                self._call(exports[name], timeout)

    def invoke(self, event: bytes, timeout: float, budget: float | None = None) -> Output:
        self.logs, self.log_bytes = [], 0
        args = self.raw.args
        args[0].i32 = len(event)
        self.watchdog.arm(self.raw.context, timeout, budget)  # once for the event: alloc and handle share it
        self._call(self.alloc, timeout)
        ptr = args[0].i32 & 0xFFFFFFFF
        base, size = self.raw.memory(self.memory)
        if ptr == 0 or ptr + len(event) > size:
            self.broken = True
            raise ExecutionError(f"alloc({len(event)}) returned {ptr}, not a buffer inside its {size}-byte memory", error_type="Runtime.InvalidAbi")
        ctypes.memmove(base + ptr, event, len(event))
        args[0].i32, args[1].i32 = ptr, len(event)
        self._call(self.handle, timeout)
        result = args[0].i64 & 0xFFFFFFFFFFFFFFFF
        ptr, length = result >> 32, result & 0xFFFFFFFF
        base, size = self.raw.memory(self.memory)
        if length > OUTPUT_LIMIT:
            raise _too_large()
        if ptr + length > size:
            self.broken = True
            raise ExecutionError(f"handle returned {length} bytes at {ptr}, outside its {size}-byte memory", error_type="Runtime.InvalidAbi")
        return Output(ctypes.string_at(base + ptr, length), size)

    def _call(self, func: Func, timeout: float) -> None:
        """Call `func` under the watchdog as armed; `timeout` is for the message if it expires."""
        try:
            self.raw.call(func)
        except (Trap, WasmtimeError) as e:
            self.broken = True
            raise self._failed(e, self.watchdog, timeout, self.raw.memory(self.memory)[1]) from None

    def _log(self, caller, ptr: int, length: int) -> None:
        # Called from wasm: it must not raise (wasmtime-py would turn that into a process-wide
        # pending exception), so a bad pointer is clamped rather than reported.
        if self.log_bytes >= LOG_LIMIT:
            return
        base, size = wasm_call.memory_view(wasm_call.context_address(caller), caller.get("memory"))
        ptr = min(ptr & 0xFFFFFFFF, size)
        length = min(length & 0xFFFFFFFF, size - ptr, LOG_LIMIT - self.log_bytes)
        self.log_bytes += length
        self.logs.append(ctypes.string_at(base + ptr, length).decode("utf-8", "replace"))


class _Fresh:
    """One event's instance, in a store of its own. A start function runs when it is made, so that
    gets a deadline too."""

    def __init__(self, engine: int, memory_limit: int):
        self.raw = RawStore.for_wasi(engine, memory_limit)
        self.watchdog = Watchdog(self.raw)
        self.memory: Memory | None = None
        self.start: Func | None = None

    def instantiate(self, pre: int, timeout: float, budget: float | None) -> None:
        self.watchdog.arm(self.raw.context, timeout, budget)
        instance = self.raw.instantiate(pre)
        self.memory = self.raw.export(instance, "memory")
        self.start = self.raw.export(instance, "_start")

    def memory_bytes(self) -> int:
        return self.raw.memory(self.memory)[1] if self.memory is not None else 0


class WasiEnvironment(_Environment):
    """WASI ABI: a fresh instance per event, event on stdin, result on stdout, stderr to the log.

    Making an instance and dropping one cost about as much as running it, and neither needs the
    event (stdio lives in memory per event, `wasi_io`), so between events the environment drops
    the last instance and makes the next (`prepare`), off the event's critical path. No directory,
    environment variable or socket is given to the module.
    """

    def __init__(self, loaded: Loaded, memory_limit: int):
        super().__init__(memory_limit)
        self._loaded = loaded  # keeps alive the linked module and engine that these addresses are of
        self._pre, self._engine = wasm_call.address(loaded.pre), wasm_call.address(engine())
        self._ready: _Fresh | None = None  # made ahead for the next event
        self._spent: _Fresh | None = None  # the last event's, kept to be dropped between events
        self._lock = threading.Lock()  # prepare() may come while a pool thread runs an event

    @property
    def prepared(self) -> bool:
        return self._ready is not None

    def prepare(self, timeout: float, budget: float | None = None) -> None:
        if not self._lock.acquire(blocking=False):
            return  # in use: its next event makes its own instance
        try:
            self._spent = None
            if self._ready is None:
                streams = wasi_io.Streams(b"", 0, LOG_LIMIT)
                streams.bind()
                fresh = _Fresh(self._engine, self.memory_limit)
                fresh.instantiate(self._pre, timeout, budget)
                # A start function that used stdio must do it with its event: make it again then.
                self._ready = None if streams.used else fresh
        except (Trap, WasmtimeError):
            pass  # the event will make its own instance, and report why that fails
        finally:
            self._lock.release()

    def invoke(self, event: bytes, timeout: float, budget: float | None = None) -> Output:
        with self._lock:
            streams = wasi_io.Streams(event, OUTPUT_LIMIT, LOG_LIMIT)
            streams.bind()
            fresh, self._ready = self._ready, None
            made_ahead = fresh is not None
            fresh = self._spent = fresh or _Fresh(self._engine, self.memory_limit)  # dropped by the next prepare()
            try:
                if not made_ahead:
                    fresh.instantiate(self._pre, timeout, budget)
                fresh.watchdog.arm(fresh.raw.context, timeout, budget)
                try:
                    fresh.raw.call(fresh.start)
                except ExitTrap as e:
                    if e.code != 0:  # exit(0) is how some libcs and Go end a successful run
                        raise
            except (Trap, WasmtimeError) as e:
                if streams.overflowed:
                    raise _too_large() from None
                raise self._failed(e, fresh.watchdog, timeout, fresh.memory_bytes()) from None
            finally:
                self.logs = streams.stderr.decode("utf-8", "replace").splitlines()
            return Output(bytes(streams.stdout), fresh.memory_bytes())
