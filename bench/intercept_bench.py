"""Median ms per request through `edgehooks intercept`, against the same request without it.

    python3 bench/intercept_bench.py [--rounds 3] [--requests 200]     (after pip install -e '.[test]')

One local origin (an aiohttp server with a 2 KB page, over HTTP and over HTTPS with a CA of its
own) and one distribution with a Python viewer-response hook; sequential GETs on a kept-alive
connection, each timed on its own, from an httpx client in the same process and loop as the origin
and the proxies (it adds the same client cost to every row). Rows:
- origin: the client straight to the origin.
- serve: `edgehooks serve` (Node.start) in front of it: the pipeline and the hook.
- mitmproxy, other host: the proxy with the origin's host not in --hosts: plain HTTP is proxied by
  mitmproxy itself; HTTPS is a tunnel, not decrypted.
- intercept: the origin's host in --hosts: mitmproxy, the addon's translation, the pipeline, the hook.
The cache is off everywhere (intercept's default), so every request reaches the origin.
"""

from __future__ import annotations

import argparse
import dataclasses
import asyncio
import logging
import ssl
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_intercept import CA  # noqa: E402 - the tests' origin CA

from edgehooks import config  # noqa: E402
from edgehooks.intercept import proxy  # noqa: E402
from edgehooks.server import Node  # noqa: E402

HOOK = '''
def handler(event, context):
    response = event["Records"][0]["cf"]["response"]
    response["headers"]["x-bench"] = [{"key": "X-Bench", "value": "1"}]
    return response
'''
CONFIG = '''
[origins.site]
url = "{url}"
[functions.mark]
handler = "hook.py:handler"
[[behaviors]]
path = "*"
origin = "site"
viewer-response = "mark"
cache = false
'''
PAGE = b"x" * 2048


async def median_ms(client: httpx.AsyncClient, url: str, requests: int) -> float:
    for _ in range(20):  # warm: connections, worker cold start
        (await client.get(url)).raise_for_status()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        r = await client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200 and len(r.content) == len(PAGE), r
    return statistics.median(times)


async def main(rounds: int, requests: int) -> None:
    logging.disable(logging.INFO)  # the access and START/END lines would dominate
    folder = Path(tempfile.mkdtemp(prefix="edgehooks-bench-"))
    ca = CA(folder)
    app = web.Application()
    app.router.add_get("/page", lambda _: web.Response(body=PAGE, content_type="text/html"))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    http_site, https_site = web.TCPSite(runner, "127.0.0.1", 0), web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ca.server_context(folder, "localhost"))
    await http_site.start()
    await https_site.start()
    http_port, https_port = (s._server.sockets[0].getsockname()[1] for s in (http_site, https_site))

    (folder / "hook.py").write_text(HOOK)
    (folder / "serve.toml").write_text(textwrap.dedent(CONFIG.format(url=f"http://127.0.0.1:{http_port}")))
    node = Node.build(config.load(folder / "serve.toml"))
    serve_url = await node.start("127.0.0.1:0")
    settings = proxy.Settings(str(folder / "serve.toml"), listen_port=0, confdir=str(folder / "mitmproxy"), upstream_ca=str(ca.pem))
    origin_ca = ssl.create_default_context(cafile=ca.pem)
    http, https = f"http://localhost:{http_port}/page", f"https://localhost:{https_port}/page"
    # (name, --hosts or None for no proxy, URL); mitmproxy runs one instance per process at a time.
    rows = [
        ("HTTP  origin", None, http),
        ("HTTP  serve", None, f"{serve_url}/page"),
        ("HTTP  mitmproxy, other host", "nothing.invalid", http),
        ("HTTP  intercept", "localhost", http),
        ("HTTPS origin", None, https),
        ("HTTPS mitmproxy, other host (tunnel)", "nothing.invalid", https),
        ("HTTPS intercept", "localhost", https),
    ]
    results: dict[str, list[float]] = {name: [] for name, _, _ in rows}
    for _ in range(rounds):
        for hosts in (None, "nothing.invalid", "localhost"):
            running = await proxy.start(dataclasses.replace(settings, hosts=hosts)) if hosts else None
            for name, _, url in (row for row in rows if row[1] == hosts):
                tls = ssl.create_default_context(cafile=running.ca_cert) if hosts == "localhost" else origin_ca
                async with httpx.AsyncClient(proxy=running and running.url, verify=tls, trust_env=False, timeout=30) as client:
                    results[name].append(await median_ms(client, url, requests))
            if running:
                await running.stop()
    await node.close()
    await runner.cleanup()

    print(f"median ms per request, range over {rounds} rounds of {requests}")
    for name, values in results.items():
        print(f"{name:40} {min(values):6.2f} – {max(values):6.2f}")
    mid = {name: statistics.median(values) for name, values in results.items()}
    print(f"intercept / serve (HTTP):                  {mid['HTTP  intercept'] / mid['HTTP  serve']:.2f}")
    print(f"intercept / mitmproxy's own proxying (HTTP): {mid['HTTP  intercept'] / mid['HTTP  mitmproxy, other host']:.2f}")
    print(f"intercept / tunnel (HTTPS):                {mid['HTTPS intercept'] / mid['HTTPS mitmproxy, other host (tunnel)']:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.requests))
