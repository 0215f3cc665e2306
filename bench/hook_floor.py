"""Where a hook's time goes on a cache hit: each part of it replayed in turn, in this process.

    PYTHONPATH=. python3 bench/hook_floor.py [--rounds 5] [--hits 3000]

`Pipeline.handle` in a loop on this thread (no sockets, no client), for a distribution per
runtime that runs bench/run's hook pair (viewer-request + viewer-response) on cache hits from a
folder origin. Each variant replays some parts of every hook: after the first hit, the part
returns what it returned then, at the cost of a dictionary lookup. What a variant saves against
"as served" is what those parts cost; "all three replayed" leaves the pipeline's own per-hook
work. The parts:
- "contract": the CloudFront event built from the request (`events.*_event`) and the answer
  checked and turned back into header lines (`validation.check_*_result`);
- "invocation": `Runtime.invoke`, the function's run with everything around it (for Python the
  worker process hop, for wasm the JSON codec and the ctypes calls into wasmtime).
Figures are µs per hit: the median over rounds of wall time, and of this process's CPU time
(which leaves out the Python worker's own but includes the proxy polling for its answer, see
runtimes/process.py), with "added" the difference to the no-hooks distribution. Rounds alternate the variants, so drift on this shared machine hits each alike.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from edgehooks import config, events, validation
from edgehooks.loop import run
from edgehooks.messages import Request, read_body
from edgehooks.server import Node

REPO = Path(__file__).resolve().parent.parent
SITE = """
[origins.site]
path = "{repo}/hooks/demo-site"
{functions}
[[behaviors]]
path = "*"
origin = "site"
{hooks}
"""
PAIR = 'viewer-request = "{request}"\nviewer-response = "{response}"'
RUNTIMES = {
    "no hooks": ("", ""),
    "python": (
        f'[functions.request]\nhandler = "{REPO}/bench/hooks.py:viewer_request"\n'
        f'[functions.response]\nhandler = "{REPO}/bench/hooks.py:viewer_response"\n',
        PAIR.format(request="request", response="response"),
    ),
    "wasm fast ABI": (f'[functions.add-header]\nwasm = "{REPO}/hooks/wasm/add_header.fast.wasm"\n', PAIR.format(request="add-header", response="add-header")),
    "wasm WASI": (f'[functions.add-header]\nwasm = "{REPO}/hooks/wasm/add_header.wasi.wasm"\n', PAIR.format(request="add-header", response="add-header")),
}
CONTRACT = [(events, "request_event"), (events, "response_event"), (validation, "check_request_result"), (validation, "check_response_result")]
VARIANTS = {
    "as served": (False, False),
    "contract replayed": (True, False),
    "invocation replayed": (False, True),
    "all three replayed": (True, True),
}
HEADERS = [("Host", "127.0.0.1"), ("User-Agent", "bench"), ("Accept", "*/*")]


def _replaying(call, key):
    """`call`, answering every later call with the answer it gave first for the same `key`."""
    first: dict = {}

    def replay(*args, **kwargs):
        k = key(*args, **kwargs)
        if k not in first:
            first[k] = call(*args, **kwargs)
        return first[k]

    return replay


def _event_type(event_type: str, *args, **kwargs) -> str:
    return event_type


def _hook_point(event: dict, *, hook: str) -> str:
    return hook


@contextmanager
def _replayed(node: Node, contract: bool, invocation: bool):
    saved = [(module, name, getattr(module, name)) for module, name in CONTRACT]
    runtimes = list(node.pipeline.functions.values())
    if contract:
        for module, name, call in saved:
            setattr(module, name, _replaying(call, _event_type))
    if invocation:
        for runtime in runtimes:
            # The first answer kept as a finished task: awaiting it again gives the same result.
            runtime.invoke = _replaying(lambda event, *, hook, invoke=runtime.invoke: asyncio.ensure_future(invoke(event, hook=hook)), _hook_point)
    try:
        yield
    finally:
        for module, name, call in saved:
            setattr(module, name, call)
        for runtime in runtimes:
            runtime.__dict__.pop("invoke", None)


async def _hits(node: Node, count: int) -> tuple[float, float]:
    """Wall and CPU µs per hit over `count` hits."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        outcome = await node.pipeline.handle(Request("GET", "/index.html", "", list(HEADERS), "127.0.0.1"))
        if not isinstance(outcome.response.body, (bytes, bytearray)):
            await read_body(outcome.response.body)
    return (time.perf_counter() - wall) / count * 1e6, (time.process_time() - cpu) / count * 1e6


async def measure(folder: Path, rounds: int, hits: int) -> dict[tuple[str, str], list[tuple[float, float]]]:
    nodes = {}
    for name, (functions, hooks) in RUNTIMES.items():
        path = folder / f"{name.replace(' ', '-')}.toml"
        path.write_text(SITE.format(repo=REPO, functions=functions, hooks=hooks))
        nodes[name] = Node.build(config.load(path), admin=False)
        await nodes[name].open()
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    try:
        for node in nodes.values():
            await _hits(node, 300)  # the cache filled, environments warm
        for _ in range(rounds):
            for name, node in nodes.items():
                for variant, (contract, invocation) in VARIANTS.items() if name != "no hooks" else [("as served", (False, False))]:
                    with _replayed(node, contract, invocation):
                        await _hits(node, 50)  # the replays learn their answers
                        results.setdefault((name, variant), []).append(await _hits(node, hits))
    finally:
        for node in nodes.values():
            await node.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hits", type=int, default=3000)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        results = run(measure(Path(folder), args.rounds, args.hits))
    median = {key: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)) for key, runs in results.items()}
    bare_wall, bare_cpu = median[("no hooks", "as served")]
    print(f"no hooks: {bare_wall:.1f} µs per hit wall, {bare_cpu:.1f} CPU\n")
    print("| runtime | variant | wall µs/hit | added | CPU µs/hit | added | added CPU per hook |\n| --- | --- | --- | --- | --- | --- | --- |")
    for (name, variant), (wall, cpu) in median.items():
        if name != "no hooks":
            print(f"| {name} | {variant} | {wall:.1f} | {wall - bare_wall:.1f} | {cpu:.1f} | {cpu - bare_cpu:.1f} | {(cpu - bare_cpu) / 2:.1f} |")


if __name__ == "__main__":
    main()
