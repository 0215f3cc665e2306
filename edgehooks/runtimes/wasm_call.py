"""The hot path into wasm: raw calls, raw memory access and the per-store watchdog.

wasmtime-py's public `Func.__call__` costs 13–31 µs a call (it rebuilds the function type and
converts every value); the C API's unchecked call costs 1.5–3 µs (../shared/wasm-notes.md §1e).
These helpers use wasmtime-py's private ctypes layer (`_ffi`, `Func._func`, `store._context()`),
which is why pyproject pins wasmtime to one version. Every call releases the GIL.
"""

from __future__ import annotations

import ctypes
import os
import time

from wasmtime import Caller, Func, Memory, Store, Trap, WasiConfig, WasmtimeError
from wasmtime import _ffi as ffi

Slots = ctypes.Array  # of ffi.wasmtime_val_raw: the arguments in, the results out


def slots(n: int) -> Slots:
    return (ffi.wasmtime_val_raw * n)()


def call(store: Store, func: Func, args: Slots) -> None:
    """Call `func` with `args` (and leave its results in them); raises Trap or WasmtimeError."""
    trap = ctypes.POINTER(ffi.wasm_trap_t)()
    error = ffi.wasmtime_func_call_unchecked(store._context(), ctypes.byref(func._func), args, len(args), ctypes.byref(trap))
    if error:
        raise WasmtimeError._from_ptr(error)  # ExitTrap for proc_exit, or the watchdog's verdict
    if trap:
        raise Trap._from_ptr(trap)


def memory_view(store: Store | Caller, memory: Memory) -> tuple[int, int]:
    """(address, length) of linear memory now; memory.grow may move it, so ask after every call."""
    return ctypes.addressof(memory.data_ptr(store).contents), memory.data_len(store)


def set_stdin_bytes(config: WasiConfig, data: bytes) -> None:
    """wasmtime-py has no wrapper for this C API function; the C side copies the bytes and owns them."""
    vec = ffi.wasm_byte_vec_t()
    ffi.wasm_byte_vec_new(ctypes.byref(vec), len(data), (ctypes.c_uint8 * len(data)).from_buffer_copy(data))
    ffi.wasi_config_set_stdin_bytes(config.ptr(), ctypes.byref(vec))


_DEADLINE_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_size_t, ctypes.POINTER(ffi.wasmtime_context_t), ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint8)
)
_NO_FINALIZER = ctypes.cast(None, ctypes.CFUNCTYPE(None, ctypes.c_void_p))
_CONTINUE = 0  # WASMTIME_UPDATE_DEADLINE_CONTINUE


class Watchdog:
    """Stops a store's wasm when its wall-clock deadline passes or its output files grow too big.

    The store's epoch deadline is one tick ahead, so wasmtime calls `_check` on every epoch tick
    while wasm runs (never while it is idle); checking real time there keeps the timeout accurate
    however late the ticker thread wakes. Output goes to memfds that only host calls fill, so a
    module that writes without end is caught within a tick too. Verdicts come back from the call
    as a WasmtimeError; `reason` says which one it was.
    """

    def __init__(self, store: Store, output_limit: int = 0):
        self.store = store
        self.deadline = 0.0
        self.watched: tuple[int, ...] = ()  # fds whose size must stay within output_limit
        self.output_limit = output_limit
        self.reason: str | None = None  # "timeout" or "output", once it stopped the store
        self._callback = _DEADLINE_CALLBACK(self._check)  # kept alive as long as the store
        ffi.wasmtime_store_epoch_deadline_callback(store.ptr(), self._callback, None, _NO_FINALIZER)

    def arm(self, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        self.reason = None
        self.store.set_epoch_deadline(1)

    def _check(self, context, data, delta, kind) -> int:
        if time.monotonic() >= self.deadline:
            self.reason = "timeout"
        elif any(os.fstat(fd).st_size > self.output_limit for fd in self.watched):
            self.reason = "output"
        else:
            delta[0], kind[0] = 1, _CONTINUE
            return 0
        return ctypes.cast(ffi.wasmtime_error_new(self.reason.encode()), ctypes.c_void_p).value
