"""`edgehooks serve`: run a distribution until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

from . import load_or_exit


def register(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="serve a distribution")
    serve.add_argument("--config", help="the distribution's TOML file (default: the repository's config/edgehooks.toml)")
    serve.add_argument("--listen", help="HOST:PORT to serve viewers on, overriding [server] listen")
    serve.set_defaults(run=run)


def run(args) -> int:
    return asyncio.run(_serve(load_or_exit(args.config), args.listen))


async def _serve(dist, listen: str | None) -> int:
    from ..server import Node

    node = Node.build(dist)
    try:
        url = await node.start(listen)
    except OSError as e:
        print(f"edgehooks: cannot listen on {listen or dist.server.listen}: {e.strerror}", file=sys.stderr)
        await node.close()
        return 2
    print(f"edgehooks: serving {dist.source} on {url}", flush=True)
    if node.admin is not None:
        print(f"edgehooks: admin listener on {node.admin.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await node.close()
    return 0
