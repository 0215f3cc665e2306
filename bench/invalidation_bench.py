"""Milliseconds per invalidation in the Redis tier: the name index against a SCAN of the keyspace.

    python3 bench/invalidation_bench.py [--entries 100000] [--rounds 5]     (needs redis-server on PATH)

A private redis-server on a free port is filled through `RedisStore.put` with `--entries` entries
under 1,000 folders (/d0/ … /d999/, 100 files each at the default) of ~1 KB bodies. Each round
times, on fresh copies of what it removes:
- "exact": one path, `/d7/f7.html`;
- "folder": `/d7/*`, 100 entries;
- the same two the way a tier without an index would: SCAN the whole keyspace with MATCH, then
  DEL what matched (the alternative this tier avoids);
and, once, `/*` over everything, with another node looking entries up meanwhile. The table gives medians and the SCAN/index ratio. The machine is
shared and noisy: read the numbers as orders of magnitude.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edgehooks.cache.entry import Entry  # noqa: E402
from edgehooks.cache.redis_store import RedisStore  # noqa: E402

HOST = "www.example.com"
NAMESPACE = "bench:E1"
FILES_PER_FOLDER = 100


def key(folder: int, file: int) -> str:
    return f"{HOST}\x00/d{folder}/f{file}.html\x00"


async def fill(store: RedisStore, keys: list[str]) -> None:
    entry = Entry(200, "OK", [("Content-Type", "text/html")], os.urandom(512).hex().encode(), time.time(), 0.0, 3600.0)
    for start in range(0, len(keys), 500):
        await asyncio.gather(*(store.put(k, entry) for k in keys[start : start + 500]))


async def scan_invalidate(store: RedisStore, pattern: str) -> int:
    """What a tier without an index would do: walk every key, delete the matches."""
    client = store._client
    doomed = [k async for k in client.scan_iter(match=f"{NAMESPACE}:e:{HOST}\x00{pattern}", count=1000)]
    return await client.delete(*doomed) if doomed else 0


async def timed(coro) -> tuple[float, int]:
    started = time.perf_counter()
    removed = await coro
    return (time.perf_counter() - started) * 1000, removed


async def bench(port: int, entries: int, rounds: int) -> None:
    store = RedisStore(f"redis://127.0.0.1:{port}/0", NAMESPACE, timeout=60)
    await store.start()
    folders = max(1, entries // FILES_PER_FOLDER)
    started = time.perf_counter()
    await fill(store, [key(d, f) for d in range(folders) for f in range(FILES_PER_FOLDER)])
    print(f"filled {folders * FILES_PER_FOLDER} entries in {time.perf_counter() - started:.1f} s")

    results: dict[str, list[float]] = {"exact, index": [], "exact, SCAN": [], "folder, index": [], "folder, SCAN": []}
    for r in range(rounds):
        folder = 7 + r
        ways = {
            "index": (lambda: store.invalidate([f"/d{folder}/f7.html"]), lambda: store.invalidate([f"/d{folder}/*"])),
            # Glob patterns for the same objects: a key is host \0 uri \0 query ...
            "SCAN": (lambda: scan_invalidate(store, f"/d{folder}/f7.html\x00*"), lambda: scan_invalidate(store, f"/d{folder}/*")),
        }
        for how, (exact, whole_folder) in ways.items():
            await fill(store, [key(folder, f) for f in range(FILES_PER_FOLDER)])
            ms, removed = await timed(exact())
            assert removed == 1, (how, removed)
            results[f"exact, {how}"].append(ms)
            ms, removed = await timed(whole_folder())
            assert removed == FILES_PER_FOLDER - 1, (how, removed)
            results[f"folder, {how}"].append(ms)

    print(f"\n{folders * FILES_PER_FOLDER} entries, median of {rounds} rounds:\n")
    print("| invalidation | index (ms) | SCAN + DEL (ms) | SCAN / index |")
    print("| --- | --- | --- | --- |")
    for what in ("exact", "folder"):
        index, scan = statistics.median(results[f"{what}, index"]), statistics.median(results[f"{what}, SCAN"])
        print(f"| {what} | {index:.2f} | {scan:.1f} | {scan / index:.0f}× |")
    # Another node's lookups while `/*` runs: batching keeps each script call, and so their wait, short.
    other = RedisStore(store.url, NAMESPACE, timeout=60)
    await other.start()
    waits: list[float] = []
    wiping = asyncio.ensure_future(timed(store.invalidate(["/*"])))
    while not wiping.done():
        waits.append((await timed(other.get(key(0, 0))))[0])
    ms, removed = wiping.result()
    print(f"\n`/*` through the index: {removed} entries in {ms:.0f} ms; another node's {len(waits)} lookups meanwhile: "
          f"median {statistics.median(waits):.2f} ms, longest {max(waits):.1f} ms")
    await other.close()
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not on PATH (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
        )
        try:
            time.sleep(0.5)
            asyncio.run(bench(port, args.entries, args.rounds))
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
