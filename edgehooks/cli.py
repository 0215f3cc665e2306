"""The `edgehooks` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from . import config
from .distribution import ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="edgehooks", description="A caching reverse proxy that runs Lambda@Edge handlers.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a distribution")
    serve.add_argument("--config", help="the distribution's TOML file (default: the repository's config/edgehooks.toml)")
    serve.add_argument("--listen", help="HOST:PORT to serve viewers on, overriding [server] listen")
    serve.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)

    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    try:
        dist = config.load(args.config or config.default_config_path())
    except ConfigError as e:
        print(f"edgehooks: {e}", file=sys.stderr)
        return 2
    return asyncio.run(_serve(dist, args.listen))


async def _serve(dist, listen: str | None) -> int:
    from .server import Node

    node = Node.build(dist)
    try:
        url = await node.start(listen)
    except OSError as e:
        print(f"edgehooks: cannot listen on {listen or dist.server.listen}: {e.strerror}", file=sys.stderr)
        await node.close()
        return 2
    print(f"edgehooks: serving {dist.source} on {url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await node.close()
    return 0
