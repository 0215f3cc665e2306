"""A WASI module's stdin, stdout and stderr, kept in memory by the host.

wasmtime's own stdio costs more than the module's work: stdin given as bytes is copied into the
WasiConfig, output files are opened per store and read back through the kernel — and stdin's
content is taken when the config is applied, so an instance can only be made once its event
exists. Instead the linker's `fd_read` and `fd_write` are shadowed by host functions: fd 0 reads
the current event, fds 1 and 2 append to buffers, and any other fd is EBADF, as it is for a
module given no preopened directory. Every other WASI function stays wasmtime's.

The streams belong to the thread that runs the module (calls into wasm are synchronous), so the
host functions find them in a thread-local slot that `Streams.bind` fills before each run. The
callbacks use the C API's unchecked calling convention: raw values in, raw values out, no
conversion (wasmtime-py's own host-function path costs tens of µs a call, ../shared/wasm-notes.md).
"""

from __future__ import annotations

import ctypes
import threading

from wasmtime import FuncType, Linker, ValType, WasmtimeError
from wasmtime import _ffi as ffi

from . import wasm_call

WASI_MODULE = "wasi_snapshot_preview1"
_EBADF, _EFAULT = 8, 21  # WASI preview 1 errno values
_slot = threading.local()


class Streams:
    """One event's stdio: the event to read, and what the module wrote."""

    def __init__(self, event: bytes, stdout_limit: int, stderr_limit: int):
        self.stdin = event
        self.offset = 0
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.stdout_limit, self.stderr_limit = stdout_limit, stderr_limit
        self.overflowed = False  # stdout passed its limit: the run was stopped with a trap
        self.used = False  # any stdio call was made
        self.export = ffi.wasmtime_extern_t()  # where a call finds the caller's memory

    def bind(self) -> None:
        """Make these the calling thread's streams, for the module it is about to run."""
        _slot.streams = self

    def read(self, base: int, iovecs: list[tuple[int, int]]) -> int:
        total = 0
        for buf, length in iovecs:
            chunk = self.stdin[self.offset : self.offset + length]
            ctypes.memmove(base + buf, chunk, len(chunk))
            self.offset += len(chunk)
            total += len(chunk)
            if len(chunk) < length:
                break
        return total

    def write(self, fd: int, base: int, iovecs: list[tuple[int, int]]) -> int | None:
        """Bytes taken (all of them: stderr past its limit is dropped), or None when stdout overflows."""
        sink, limit = (self.stdout, self.stdout_limit) if fd == 1 else (self.stderr, self.stderr_limit)
        total = 0
        for buf, length in iovecs:
            total += length
            room = limit - len(sink)
            if length > room and fd == 1:
                self.overflowed = True
                return None
            sink += ctypes.string_at(base + buf, min(length, room))
        return total


def define(linker: Linker) -> None:
    """Shadow the linker's WASI fd_read and fd_write (call after `define_wasi`)."""
    linker.allow_shadowing = True
    module = WASI_MODULE.encode()
    signature = FuncType([ValType.i32()] * 4, [ValType.i32()])
    for name, callback in ((b"fd_read", _fd_read), (b"fd_write", _fd_write)):
        error = ffi.wasmtime_linker_define_func_unchecked(
            linker.ptr(), module, len(module), name, len(name), signature.ptr(), callback, None, _no_finalizer
        )  # fmt: skip
        if error:
            raise WasmtimeError._from_ptr(error)


def _iovecs(args, base: int, size: int) -> tuple[int, list[tuple[int, int]], int] | int:
    """(fd, iovecs, result pointer) of an fd_read/fd_write call, or its errno.

    Every address is checked against linear memory here: a wrong one is the module's EFAULT,
    never a host write out of bounds."""
    fd, iovs, count, result_ptr = args[0].i32 & 0xFFFFFFFF, args[1].i32 & 0xFFFFFFFF, args[2].i32 & 0xFFFFFFFF, args[3].i32 & 0xFFFFFFFF
    if iovs + 8 * count > size or result_ptr + 4 > size:
        return _EFAULT
    flat = (ctypes.c_uint32 * (2 * count)).from_address(base + iovs)
    iovecs = [(flat[2 * i], flat[2 * i + 1]) for i in range(count)]
    if any(buf + length > size for buf, length in iovecs):
        return _EFAULT
    return fd, iovecs, result_ptr


def _with_memory(handler):
    """The unchecked-callback wrapper: find the caller's memory, run `handler`, store its errno.

    A host function must not raise (wasmtime-py would turn it into a process-wide pending
    exception), so only a deliberate trap — returned as a pointer — leaves it."""

    @ffi.wasmtime_func_unchecked_callback_t
    def callback(_env, caller, args, _count):
        streams = _slot.streams
        streams.used = True
        memory = wasm_call.caller_memory_view(caller, streams.export)
        if memory is None:
            args[0].i32 = _EBADF
            return 0
        base, size = memory
        call = _iovecs(args, base, size)
        if isinstance(call, int):
            args[0].i32 = call
            return 0
        fd, iovecs, result_ptr = call
        done = handler(streams, fd, base, iovecs)
        if done is None:  # stdout overflowed: stop the module here
            message = b"output over the size limit"
            return ctypes.cast(ffi.wasmtime_trap_new(message, len(message)), ctypes.c_void_p).value
        if done < 0:
            args[0].i32 = _EBADF
            return 0
        ctypes.c_uint32.from_address(base + result_ptr).value = done
        args[0].i32 = 0
        return 0

    return callback


@_with_memory
def _fd_read(streams: Streams, fd: int, base: int, iovecs: list[tuple[int, int]]) -> int:
    return streams.read(base, iovecs) if fd == 0 else -1


@_with_memory
def _fd_write(streams: Streams, fd: int, base: int, iovecs: list[tuple[int, int]]) -> int | None:
    return streams.write(fd, base, iovecs) if fd in (1, 2) else -1


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _no_finalizer(_env) -> None:
    """The callbacks are module-level and live as long as the process: nothing to free."""
