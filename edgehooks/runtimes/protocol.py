"""Frames between the proxy and a worker process: a 4-byte big-endian length, then UTF-8 JSON.

They travel on pipes of their own, never on the worker's stdout or stderr, which belong to the
handler's prints. The Node.js worker speaks the same frames. `Frames` cuts a byte stream into
them without doing any I/O; the proxy feeds it from the event loop (runtimes/process.py), the
worker from its own reads (`Reader`), which poll or sleep as the proxy tells it with each event.
"""

from __future__ import annotations

import os
import select
import struct
import time
from typing import Any

from . import codec

HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024  # a runaway result is an error, not an allocation the proxy must survive
READ_SIZE = 256 * 1024  # one read takes a whole event or answer of ordinary size


class FrameError(Exception):
    pass


def encode(message: dict, result: bytes | None = None) -> bytes:
    """A frame of `message`; `result`, JSON already serialised as Lambda's runtime does it, is
    spliced in as its "result" member rather than parsed and serialised again."""
    payload = codec.dumps(message)
    if result is not None:
        payload = b'{"result":' + result + (b"," if len(payload) > 2 else b"") + payload[1:]
    return HEADER.pack(len(payload)) + payload


def decode_length(header: bytes) -> int:
    (length,) = HEADER.unpack(header)
    if length > MAX_FRAME:
        raise FrameError(f"frame of {length} bytes is over the {MAX_FRAME} byte limit")
    return length


class Frames:
    """Bytes in, complete messages out; FrameError for a frame over MAX_FRAME."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        if not self._buffer and len(data) >= HEADER.size and len(data) == HEADER.size + decode_length(data[: HEADER.size]):
            return [codec.loads(data[HEADER.size :])]  # one whole frame in one read: no copying
        self._buffer += data
        messages = []
        while len(self._buffer) >= HEADER.size:
            end = HEADER.size + decode_length(self._buffer[: HEADER.size])
            if len(self._buffer) < end:
                break
            messages.append(codec.loads(bytes(self._buffer[HEADER.size : end])))
            del self._buffer[:end]
        return messages


class Reader:
    """The worker side: messages from a pipe, one read per frame when it fits."""

    def __init__(self, fd: int):
        self._fd = fd
        self._frames = Frames()
        self._pending: list[Any] = []
        os.set_blocking(fd, False)
        self._readable = select.poll()  # not select(): the proxy's fd numbers pass to the worker, and may be past 1023
        self._readable.register(fd, select.POLLIN)

    def next(self, poll: float = 0.0) -> Any:
        """The next message, or None when the proxy closed the pipe. For the first `poll` seconds
        the pipe is polled, yielding the core to anyone waiting for it, before the worker sleeps."""
        until = time.perf_counter() + poll
        while not self._pending:
            try:
                data = os.read(self._fd, READ_SIZE)
            except BlockingIOError:
                if time.perf_counter() < until:
                    os.sched_yield()
                else:
                    self._readable.poll()
                continue
            if not data:
                return None
            self._pending = self._frames.feed(data)
        return self._pending.pop(0)


def write_blocking(fd: int, message: dict, result: bytes | None = None) -> None:
    data = memoryview(encode(message, result))
    while data:
        data = data[os.write(fd, data) :]
