"""The hot path into wasm: raw calls, raw memory access and the per-store watchdog.

wasmtime-py's public `Func.__call__` costs 13–31 µs a call (it rebuilds the function type and
converts every value); the C API's unchecked call costs 1.5–3 µs (../shared/wasm-notes.md §1e).
So the few C functions on the hot path get prototypes of their own that take and return plain
addresses, and a `RawStore` computes those addresses once. A WASI event's store is made,
instantiated and dropped the same way: nine C calls, ~9 µs, where wasmtime-py's `Store`,
`WasiConfig` and `InstancePre` took ~23. This leans on wasmtime-py's private ctypes layer
(`_ffi`, `Func._func`, `Memory._memory`), which is why pyproject pins wasmtime to one version.
Every call releases the GIL.
"""

from __future__ import annotations

import ctypes
import itertools
import math
import time
from ctypes import c_size_t, c_void_p

from wasmtime import Engine, Func, InstancePre, Memory, Store, Trap, WasmtimeError
from wasmtime import _ffi as ffi

_store_new = ctypes.CFUNCTYPE(c_void_p, c_void_p, c_void_p, c_void_p)(("wasmtime_store_new", ffi.dll))
_store_delete = ctypes.CFUNCTYPE(None, c_void_p)(("wasmtime_store_delete", ffi.dll))
_store_context = ctypes.CFUNCTYPE(c_void_p, c_void_p)(("wasmtime_store_context", ffi.dll))
_store_limiter = ctypes.CFUNCTYPE(None, c_void_p, *[ctypes.c_int64] * 5)(("wasmtime_store_limiter", ffi.dll))
_wasi_config_new = ctypes.CFUNCTYPE(c_void_p)(("wasi_config_new", ffi.dll))
_set_wasi = ctypes.CFUNCTYPE(c_void_p, c_void_p, c_void_p)(("wasmtime_context_set_wasi", ffi.dll))
_instantiate_pre = ctypes.CFUNCTYPE(c_void_p, c_void_p, c_void_p, c_void_p, c_void_p)(("wasmtime_instance_pre_instantiate", ffi.dll))
_export_get = ctypes.CFUNCTYPE(ctypes.c_bool, c_void_p, c_void_p, ctypes.c_char_p, c_size_t, c_void_p)(("wasmtime_instance_export_get", ffi.dll))
_call_unchecked = ctypes.CFUNCTYPE(c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p)(("wasmtime_func_call_unchecked", ffi.dll))
_memory_data = ctypes.CFUNCTYPE(c_void_p, c_void_p, c_void_p)(("wasmtime_memory_data", ffi.dll))
_memory_data_size = ctypes.CFUNCTYPE(c_size_t, c_void_p, c_void_p)(("wasmtime_memory_data_size", ffi.dll))
_set_epoch_deadline = ctypes.CFUNCTYPE(None, c_void_p, ctypes.c_uint64)(("wasmtime_context_set_epoch_deadline", ffi.dll))
_caller_export_get = ctypes.CFUNCTYPE(ctypes.c_bool, c_void_p, ctypes.c_char_p, c_size_t, c_void_p)(("wasmtime_caller_export_get", ffi.dll))
_caller_context = ctypes.CFUNCTYPE(c_void_p, c_void_p)(("wasmtime_caller_context", ffi.dll))
_DEADLINE_CALLBACK = ctypes.CFUNCTYPE(c_size_t, c_void_p, c_void_p, ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint8))
_FINALIZER = ctypes.CFUNCTYPE(None, c_void_p)
_set_deadline_callback = ctypes.CFUNCTYPE(None, c_void_p, _DEADLINE_CALLBACK, c_void_p, _FINALIZER)(("wasmtime_store_epoch_deadline_callback", ffi.dll))


class RawStore:
    """A store's hot path: calls with `args` as both arguments and results, and memory access.

    It wraps a wasmtime-py `Store` (kept alive by `owner`), or, made by `for_wasi`, owns a store
    of its own, deleted with it."""

    def __init__(self, address: int, slots: int, owner: Store | None = None):
        self.address, self.owner = address, owner
        self.context = _store_context(address)
        self.args = (ffi.wasmtime_val_raw * slots)()
        self._args, self._slots = ctypes.addressof(self.args), slots
        self._trap = c_void_p()

    @classmethod
    def of(cls, store: Store, slots: int) -> RawStore:
        return cls(address(store), slots, store)

    @classmethod
    def for_wasi(cls, engine: int, memory_limit: int) -> RawStore:
        """A new store on `engine` (its address) for one WASI instance: memory limited, WASI's
        defaults (no arguments, environment, directories or stdio) configured."""
        raw = cls(_store_new(engine, None, None), 1)
        _store_limiter(raw.address, memory_limit, -1, -1, -1, -1)
        raw._raise(_set_wasi(raw.context, _wasi_config_new()))  # the store takes the config, also on error
        return raw

    def __del__(self) -> None:
        if self.owner is None and getattr(self, "address", None):
            _store_delete(self.address)

    def call(self, func: Func) -> None:
        """Call `func` on `args`, leaving its results in them; raises Trap or WasmtimeError."""
        self._raise(_call_unchecked(self.context, ctypes.addressof(func._func), self._args, self._slots, ctypes.addressof(self._trap)))

    def instantiate(self, pre: int) -> ffi.wasmtime_instance_t:
        """An instance of the linked module at `pre` (an `InstancePre`'s address); its start
        function runs now, so this raises as `call` does."""
        instance = ffi.wasmtime_instance_t()
        self._raise(_instantiate_pre(pre, self.context, ctypes.addressof(instance), ctypes.addressof(self._trap)))
        return instance

    def _raise(self, error: int | None) -> None:
        if error:  # ExitTrap for proc_exit, or the watchdog's verdict
            raise WasmtimeError._from_ptr(ctypes.cast(error, ctypes.POINTER(ffi.wasmtime_error_t)))
        if self._trap.value:
            trap, self._trap.value = self._trap.value, None
            raise Trap._from_ptr(ctypes.cast(trap, ctypes.POINTER(ffi.wasm_trap_t)))

    def memory(self, memory: Memory) -> tuple[int, int]:
        return memory_view(self.context, memory)

    def export(self, instance: ffi.wasmtime_instance_t, name: str) -> Func | Memory | None:
        """One export, without `Instance.exports()`, which wraps them all (20–40 µs a fresh instance)."""
        item, encoded = ffi.wasmtime_extern_t(), name.encode()
        if not _export_get(self.context, ctypes.addressof(instance), encoded, len(encoded), ctypes.addressof(item)):
            return None
        if item.kind == ffi.WASMTIME_EXTERN_FUNC.value:
            return Func._from_raw(item.of.func)
        return Memory._from_raw(item.of.memory) if item.kind == ffi.WASMTIME_EXTERN_MEMORY.value else None


def address(thing: Engine | InstancePre | Store) -> int:
    """A wasmtime-py object's C pointer, for the prototypes here; the object must outlive its use."""
    return ctypes.cast(thing.ptr(), c_void_p).value


def context_address(storelike) -> int:
    """A store's (or a host function's Caller's) context as an address for the prototypes here."""
    return ctypes.cast(storelike._context(), c_void_p).value


def memory_view(context: int, memory: Memory) -> tuple[int, int]:
    """(address, length) of linear memory now; memory.grow may move it, so ask after every call."""
    return raw_memory_view(context, ctypes.addressof(memory._memory))


def raw_memory_view(context: int, memory_address: int) -> tuple[int, int]:
    """`memory_view` for a C-level `wasmtime_memory_t` at `memory_address`."""
    return _memory_data(context, memory_address) or 0, _memory_data_size(context, memory_address)


_MEMORY = b"memory"
_KIND_MEMORY = ffi.WASMTIME_EXTERN_MEMORY.value
_MEMORY_AT = ffi.wasmtime_extern_t.of.offset  # where an extern's `of.memory` lies within it


def caller_memory_view(caller: int, item: ffi.wasmtime_extern_t) -> tuple[int, int] | None:
    """`memory_view` of the memory exported by the module calling a raw host function (`caller`,
    as the unchecked callback gets it), found through `item`, kept by the caller to save making
    one per call; None when it exports none."""
    if not _caller_export_get(caller, _MEMORY, len(_MEMORY), ctypes.addressof(item)) or item.kind != _KIND_MEMORY:
        return None
    return raw_memory_view(_caller_context(caller), ctypes.addressof(item) + _MEMORY_AT)


# --- the watchdog ---------------------------------------------------------------------------------

_CONTINUE = 0  # WASMTIME_UPDATE_DEADLINE_CONTINUE
_watched: dict[int, Watchdog] = {}  # the `data` wasmtime hands the callback -> its watchdog
_keys = itertools.count(1)


@_DEADLINE_CALLBACK
def _on_epoch(context, key, delta, kind) -> int:
    if not _watched[key].expired():
        delta[0], kind[0] = 1, _CONTINUE
        return 0
    return ctypes.cast(ffi.wasmtime_error_new(b"timeout"), c_void_p).value


@_FINALIZER
def _forget(key) -> None:  # wasmtime calls this when the store is dropped
    _watched.pop(key, None)


class Watchdog:
    """Stops a store's wasm when its wall-clock deadline passes, or past a CPU-time budget.

    The store's epoch deadline is one tick ahead, so wasmtime calls back on every epoch tick while
    wasm runs (never while it is idle); checking real time there keeps the timeout accurate however
    late the ticker thread wakes. The budget counts the calling thread's CPU time, wasm runs on that
    thread, so time the machine spent elsewhere (a busy VM preempting us) is not held against the
    module. The verdict comes back from the call as a WasmtimeError, and `reason` says which one
    it was. One C callback serves every store: `data` names the watchdog, and the entry goes when
    the store does.
    """

    def __init__(self, store: RawStore):
        self.deadline = self.cpu_deadline = 0.0
        self.reason: str | None = None  # "timeout" or "budget", once it stopped the store
        key = next(_keys)
        _watched[key] = self
        _set_deadline_callback(store.address, _on_epoch, key, _forget)

    def arm(self, context: int, timeout: float, budget: float | None = None) -> None:
        """Before every call: `timeout` seconds from now, and at most `budget` seconds of CPU if given
        (a trapped store stays trapped until re-armed)."""
        self.deadline = time.monotonic() + timeout
        self.cpu_deadline = math.inf if budget is None else time.thread_time() + budget
        self.reason = None
        _set_epoch_deadline(context, 1)

    def expired(self) -> bool:
        if time.monotonic() >= self.deadline:
            self.reason = "timeout"
        elif time.thread_time() >= self.cpu_deadline:
            self.reason = "budget"
        return self.reason is not None
