"""What observability costs a request: metrics, Server-Timing and the access log line.

    python3 bench/observability_bench.py [--rounds 5] [--calls 20000] [--requests 2000]

Two levels:
- "per request, µs": the work each request adds, called in a loop on this thread —
  `Metrics.observe` for an outcome with two hook runs and an origin fetch, `servertiming.header`
  for it, and one access log line formatted as text and as JSON (formatted, not written).
- "through the proxy": `edgehooks serve` in its own process (a folder origin, cache hits, one
  Python viewer-request hook) loaded by the bench driver, closed loop, 8 in flight, in three
  configurations — plain; with [admin] (so metrics are kept); with [admin] and Server-Timing.
  Rounds alternate the configurations so drift on this shared machine hits each alike.
Each figure is the median over rounds, with the rounds' range.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from edgehooks import config, servertiming
from edgehooks.distribution import Behavior
from edgehooks.logs import JsonFormatter, TEXT
from edgehooks.loadtest.driver import Load, Plan
from edgehooks.messages import Response
from edgehooks.metrics import Metrics
from edgehooks.pipeline import HookRun, Outcome, Timing

REPO = Path(__file__).resolve().parent.parent

SITE = """
[server]
listen = "127.0.0.1:0"
server_timing = {server_timing}
[origins.site]
path = "{repo}/hooks/demo-site"
[functions.redirects]
handler = "{repo}/hooks/redirects.py:handler"
{admin}
[[behaviors]]
path = "*"
origin = "site"
viewer-request = "redirects"
"""
ADMIN = '[admin]\nlisten = "127.0.0.1:0"\ntoken = "bench-token-0123456789"'
MODES = {"plain": ("false", ""), "metrics": ("false", ADMIN), "metrics + Server-Timing": ("true", ADMIN)}


def per_request(calls: int) -> dict[str, float]:
    """Median µs of each piece of per-request work, over `calls` calls timed in batches of 100."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "edgehooks.toml"
        path.write_text(SITE.format(server_timing="true", repo=REPO, admin=ADMIN))
        dist = config.load(path)
    metrics = Metrics(dist, dict)
    behavior: Behavior = dist.behaviors[0]
    timing = Timing([HookRun("viewer-request", "redirects", 0.42), HookRun("origin-response", "redirects", 0.51)], 12.3)
    outcome = Outcome(Response(200, "OK", [], b""), "Miss", "x" * 56, timing, behavior)
    fields = {"client": "127.0.0.1", "method": "GET", "target": "/index.html", "status": 200, "result": "Miss", "request_id": "x" * 56, "duration_ms": 1.23}
    record = logging.LogRecord("edgehooks.access", logging.INFO, __file__, 1, '%(client)s "%(method)s %(target)s" %(status)s %(result)s %(request_id)s %(duration_ms).2fms', (fields,), None)
    record.fields = fields
    text, json_format = logging.Formatter(TEXT), JsonFormatter()
    work = {
        "Metrics.observe": lambda: metrics.observe(outcome, 0.0123),
        "servertiming.header": lambda: servertiming.header(timing, "Miss"),
        "access line, text": lambda: text.format(record),
        "access line, JSON": lambda: json_format.format(record),
    }
    medians = {}
    for name, call in work.items():
        batches = []
        for _ in range(calls // 100):
            started = time.perf_counter()
            for _ in range(100):
                call()
            batches.append((time.perf_counter() - started) / 100 * 1e6)
        medians[name] = statistics.median(batches)
    return medians


async def through_proxy(mode: str, requests: int) -> tuple[float, float]:
    """Requests per second and p50 ms for one round in `mode`."""
    server_timing, admin = MODES[mode]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "edgehooks.toml"
        path.write_text(SITE.format(server_timing=server_timing, repo=REPO, admin=admin))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "edgehooks", "--log-level", "WARNING", "serve", "--config", str(path),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = (await process.stdout.readline()).decode().rsplit(" ", 1)[1].strip()
            await Load(Plan(f"{url}/index.html", concurrency=8, requests=200)).run()  # warm: environments, cache
            load = await Load(Plan(f"{url}/index.html", concurrency=8, requests=requests)).run()
        finally:
            process.terminate()
            await process.wait()
    latencies = sorted(s.seconds * 1000 for s in load.samples)
    return len(load.samples) / load.elapsed, latencies[len(latencies) // 2]


def spread(values: list[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()

    rounds = [per_request(args.calls) for _ in range(args.rounds)]
    print("| per request | µs |\n| --- | --- |")
    for name in rounds[0]:
        print(f"| {name} | {spread([r[name] for r in rounds], 2)} |")

    results: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            results[mode].append(asyncio.run(through_proxy(mode, args.requests)))
    plain = statistics.median(rps for rps, _ in results["plain"])
    print("\n| through the proxy | req/s | p50 ms | throughput vs plain |\n| --- | --- | --- | --- |")
    for mode, runs in results.items():
        rps = [r for r, _ in runs]
        print(f"| {mode} | {spread(rps, 0)} | {spread([p for _, p in runs], 2)} | {statistics.median(rps) / plain:.2f} |")


if __name__ == "__main__":
    main()
