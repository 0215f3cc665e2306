"""Python and Node.js workers side by side: median cold start and warm invocation, and their ratio.

    PYTHONPATH=. python3 bench/node_bench.py [--rounds 5] [--calls 500] [--starts 10]

The same example in both languages (hooks/redirects.py and hooks/redirects.js, which answer
identically), the same ~1 KB viewer-request event as bench/wasm_bench.py, through
`runtime.invoke` as the proxy calls it: the frame out, the handler, the frame back, the log lines
(formatted, not written). "cold start" is a new environment up to its first answer: process
start, module load, one invocation. Each round takes the median of its calls; the table gives the
rounds' range. The machine is shared and noisy: read the numbers as orders of magnitude.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from pathlib import Path

from edgehooks.distribution import FunctionSpec
from edgehooks.runtimes import create

from wasm_bench import sample_event

HOOKS = Path(__file__).resolve().parent.parent / "hooks"
HANDLERS = {"Python": "redirects.py", "Node.js": "redirects.js"}


def spec(file: str) -> FunctionSpec:
    return FunctionSpec("bench", f"{file}:handler", HOOKS / file, "handler", concurrency=1, provisioned=0)


async def timed(runtime, event: dict) -> float:
    started = time.perf_counter()
    await runtime.invoke(event, hook="viewer-request")
    return time.perf_counter() - started


async def warm_us(file: str, calls: int) -> float:
    runtime = create(spec(file))
    await runtime.start()
    event = sample_event()
    try:
        await timed(runtime, event)  # the cold start is not part of it
        return statistics.median([await timed(runtime, event) for _ in range(calls)]) * 1e6
    finally:
        await runtime.close()


async def cold_ms(file: str, starts: int) -> float:
    times = []
    for _ in range(starts):
        runtime = create(spec(file))
        await runtime.start()
        times.append(await timed(runtime, sample_event()))
        await runtime.close()
    return statistics.median(times) * 1e3


def ratio(medians: dict[str, list[float]]) -> float:
    return statistics.median(node / python for node, python in zip(medians["Node.js"], medians["Python"]))


def spread(values: list[float]) -> str:
    return f"{min(values):.0f}–{max(values):.0f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--starts", type=int, default=10)
    args = parser.parse_args()
    logging.getLogger("edgehooks").setLevel(logging.WARNING)  # the lines are formatted, not written
    warm = {name: [] for name in HANDLERS}
    cold = {name: [] for name in HANDLERS}
    for _ in range(args.rounds):
        for name, file in HANDLERS.items():
            warm[name].append(await warm_us(file, args.calls))
            cold[name].append(await cold_ms(file, args.starts))
    print("| runtime | warm invocation, µs | cold start, ms |\n| --- | --- | --- |")
    for name in HANDLERS:
        print(f"| {name} | {spread(warm[name])} | {spread(cold[name])} |")
    print(f"\nNode.js / Python, median of the rounds' ratios: warm {ratio(warm):.2f}×, cold start {ratio(cold):.2f}×")


if __name__ == "__main__":
    asyncio.run(main())
