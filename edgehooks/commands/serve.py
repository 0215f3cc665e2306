"""`edgehooks serve`: run a distribution until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys
import tempfile
from pathlib import Path

from .. import config
from . import load_or_exit


def register(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="serve a distribution")
    serve.add_argument("--config", help="the distribution's TOML file (default: the repository's config/edgehooks.toml)")
    serve.add_argument("--listen", help="HOST:PORT to serve viewers on, overriding [server] listen")
    serve.add_argument("--reload", action="store_true", help="when the config or a function's code changes, serve the new version (watchfiles)")
    serve.set_defaults(run=run)


def run(args) -> int:
    from ..versions import Numbering

    path = args.config or str(config.default_config_path())
    if not args.reload:
        return asyncio.run(_serve(load_or_exit(path), args.listen, None))
    with tempfile.TemporaryDirectory(prefix="edgehooks-code-") as copies:
        numbering = Numbering(Path(copies))  # shared with reloads, so that new code gets the next number
        return asyncio.run(_serve(load_or_exit(path, numbering), args.listen, (path, numbering)))


async def _serve(dist, listen: str | None, reload: tuple[str, object] | None) -> int:
    from ..reload import Reloader
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
    watcher = asyncio.create_task(Reloader(node, *reload).run()) if reload else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if watcher is not None:
        watcher.cancel()
    await node.close()
    return 0
