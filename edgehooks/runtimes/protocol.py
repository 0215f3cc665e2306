"""Frames between the proxy and a worker process: a 4-byte big-endian length, then UTF-8 JSON.

They travel on pipes of their own, never on the worker's stdout or stderr, which belong to the
handler's prints. The Node.js worker speaks the same frames.
"""

from __future__ import annotations

import asyncio
import os
import struct
from typing import Any

from . import codec

HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024  # a runaway result is an error, not an allocation the proxy must survive


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


async def read(reader: asyncio.StreamReader) -> Any:
    """The next message; asyncio.IncompleteReadError when the worker is gone."""
    length = decode_length(await reader.readexactly(HEADER.size))
    return codec.loads(await reader.readexactly(length))


def read_blocking(fd: int) -> Any:
    """The worker side: the next message, or None when the proxy closed the pipe."""
    header = _read_exactly(fd, HEADER.size)
    if header is None:
        return None
    payload = _read_exactly(fd, decode_length(header))
    if payload is None:
        return None
    return codec.loads(payload)


def write_blocking(fd: int, message: dict, result: bytes | None = None) -> None:
    data = memoryview(encode(message, result))
    while data:
        data = data[os.write(fd, data) :]


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)
