"""The event loop a serving process runs: uvloop's (libuv, in C) where it is installed, else asyncio's.

A cache hit spends about a fifth of its CPU in the loop and its socket transports: with uvloop a
hit took 13% fewer instructions (callgrind) and 11% less CPU time, and served a third more
requests a second (bench/README.md). uvloop has no Windows build; asyncio's loop serves there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on the fastest loop at hand."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
