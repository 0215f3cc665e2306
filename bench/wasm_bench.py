"""Median µs per wasm invocation for a ~1 KB viewer-request event, fast ABI and WASI ABI, beside
the same header work in Python, called in this process and through a worker process.

    PYTHONPATH=. python3 bench/wasm_bench.py [--rounds 5] [--calls 2000]

Three levels per module, each including the one before:
- "ABI": one environment called in a loop on this thread, event bytes in, result bytes out. This
  is the cost of the ABI itself, what the targets in issue 3 (fast ≤ 20 µs, WASI ≤ 150 µs) and
  the measurements in ../shared/wasm-notes.md are about.
- "+ JSON": the event dict encoded to JSON and the result decoded, as every invocation needs.
- "between events": what an environment does after an event and before the next, off the event's
  path (`prepare`): a WASI environment drops the last instance and makes the next one there. The
  two levels above are timed with it done between calls, as the proxy does once the answer has
  gone; an event's whole CPU cost is "+ JSON" plus this.
- "runtime.invoke": `WasmRuntime.invoke` from the event loop, as the proxy calls it: the above plus
  environment bookkeeping and the log lines (formatted, not written), with the loop free between
  calls. Modules run on the loop's thread while they fit its budget; "hop" is what handing a call
  to a pool thread and back would cost, for a function that does nothing.
For Python (bench/hooks.py), "ABI only" is the handler call alone and "+ JSON" adds the event and
result through json, as a worker needs; "runtime.invoke" is `PythonRuntime.invoke`, through a
worker process. Each round times every call on its own and takes the median; the table gives the rounds' range.
The machine is shared and noisy (../shared/wasm-notes.md): read the numbers as orders of magnitude.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import importlib
import json
import logging
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from edgehooks import events
from edgehooks.distribution import FunctionSpec
from edgehooks.messages import Request
from edgehooks.runtimes import codec, create
from edgehooks.runtimes.wasm_env import FastEnvironment, WasiEnvironment, decode
from edgehooks.runtimes.wasm_module import Abi, load

HOOKS = Path(__file__).resolve().parent.parent / "hooks" / "wasm"
PYTHON_HOOK = Path(__file__).resolve().parent / "hooks.py"  # the same header work in Python
MODULES = ["add_header.fast.wasm", "hello.wat", "add_header.wasi.wasm", "hello_wasi.wat"]
TARGET_US = {Abi.FAST: 20, Abi.WASI: 150}
MEMORY, TIMEOUT = 128 << 20, 3.0


def sample_event() -> dict:
    """A viewer-request event as the proxy builds it for a browser's page load: about 1 KB."""
    headers = [
        ("Host", "www.example.org"),
        ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
        ("Accept-Language", "en-US,en;q=0.5"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Cookie", "session=6f1c2a9e0b7d4e5f8a3b2c1d0e9f8a7b; theme=dark"),
        ("Referer", "https://www.example.org/blog/"),
        ("Upgrade-Insecure-Requests", "1"),
        ("Sec-Fetch-Dest", "document"),
        ("Sec-Fetch-Mode", "navigate"),
    ]
    request = Request("GET", "/blog/2026/11/edge-functions.html", "utm_source=news&ref=home", headers, "203.0.113.7")
    ctx = events.EventContext("d111111abcdef8.cloudfront.net", "EDFDVBD6EXAMPLE", "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==")
    return events.request_event("viewer-request", ctx, request)


def median_us(call, calls: int, between=lambda: None) -> float:
    times = []
    for _ in range(calls):
        started = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - started)
        between()
    return statistics.median(times) / 1000


def environment_level(path: Path, event: dict, calls: int) -> tuple[float, float, float]:
    """(ABI, ABI + JSON, between events) medians."""
    loaded = load(path)
    environment = FastEnvironment(loaded, MEMORY, TIMEOUT) if loaded.abi is Abi.FAST else WasiEnvironment(loaded, MEMORY)
    data = codec.dumps(event)
    between = []

    def prepare() -> None:
        started = time.perf_counter_ns()
        environment.prepare(TIMEOUT)
        between.append(time.perf_counter_ns() - started)

    def with_json() -> None:
        decode(environment.invoke(codec.dumps(event), TIMEOUT).data)

    raw = median_us(lambda: environment.invoke(data, TIMEOUT), calls, prepare)
    return raw, median_us(with_json, calls, prepare), statistics.median(between) / 1000


async def hop(calls: int) -> float:
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(1) as pool:
        times = []
        for _ in range(calls):
            started = time.perf_counter_ns()
            await loop.run_in_executor(pool, int)
            times.append(time.perf_counter_ns() - started)
    return statistics.median(times) / 1000


def python_level(event: dict, calls: int) -> tuple[float, float]:
    """bench/hooks.py's viewer_request in this process: (the call alone, with the JSON both ways)."""
    handler = importlib.import_module("hooks").viewer_request

    def with_json() -> None:
        json.loads(json.dumps(handler(json.loads(json.dumps(event)), None)))

    return median_us(lambda: handler(copy.deepcopy(event), None), calls) - median_us(lambda: copy.deepcopy(event), calls), median_us(with_json, calls)


async def runtime_level(spec: FunctionSpec, event: dict, calls: int) -> float:
    runtime = create(spec)
    await runtime.start()
    times = []
    try:
        for _ in range(calls):
            started = time.perf_counter_ns()
            await runtime.invoke(event, hook="viewer-request")
            times.append(time.perf_counter_ns() - started)
            await asyncio.sleep(0)  # the loop's turn between requests, where the proxy writes the answer
    finally:
        await runtime.close()
    return statistics.median(times) / 1000


def spread(values: list[float]) -> str:
    return f"{min(values):.1f}–{max(values):.1f}" if len(values) > 1 else f"{values[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    logging.getLogger("edgehooks.function").propagate = False  # format the log lines, write none
    event = sample_event()
    print(f"event: {len(json.dumps(event, separators=(',', ':')))} bytes of JSON; {args.rounds} rounds × {args.calls} calls; µs, median\n")
    print("| module | ABI | ABI only | + JSON | between events | runtime.invoke | target (ABI only) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in MODULES:
        path = HOOKS / name
        abi = load(path).abi
        levels = [environment_level(path, event, args.calls) for _ in range(args.rounds)]
        runtime = [asyncio.run(runtime_level(FunctionSpec("bench", wasm=path, concurrency=1), event, args.calls)) for _ in range(args.rounds)]
        raw, with_json, between = ([lv[i] for lv in levels] for i in range(3))
        verdict = "met" if statistics.median(raw) <= TARGET_US[abi] else "missed"
        print(f"| {name} | {abi.value} | {spread(raw)} | {spread(with_json)} | {spread(between)} | {spread(runtime)} | ≤ {TARGET_US[abi]}: {verdict} |")
    levels = [python_level(event, args.calls) for _ in range(args.rounds)]
    spec = FunctionSpec("bench", handler_file=PYTHON_HOOK, handler_function="viewer_request", concurrency=1)
    worker = [asyncio.run(runtime_level(spec, event, args.calls)) for _ in range(args.rounds)]
    print(f"| bench/hooks.py (worker process) | Python | {spread([lv[0] for lv in levels])} | {spread([lv[1] for lv in levels])} | – | {spread(worker)} | – |")
    print(f"\nhop (run_in_executor of a no-op): {spread([asyncio.run(hop(args.calls)) for _ in range(args.rounds)])} µs")


if __name__ == "__main__":
    main()
