"""`edgehooks serve`: run a distribution until SIGINT/SIGTERM, in one process or `--workers N`."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
from pathlib import Path

from .. import config, loop
from . import load_or_exit


def register(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="serve a distribution")
    serve.add_argument("--config", help="the distribution's TOML file (default: the repository's config/edgehooks.toml)")
    serve.add_argument("--listen", help="HOST:PORT to serve viewers on, overriding [server] listen")
    serve.add_argument("--reload", action="store_true", help="when the config or a function's code changes, serve the new version (watchfiles)")
    serve.add_argument("--workers", type=_count, default=1, metavar="N", help="serving processes sharing the port (default 1)")
    # How a `--workers` parent starts each worker: the fd of its control socket.
    serve.add_argument("--worker-control", type=int, help=argparse.SUPPRESS)
    serve.set_defaults(run=run)


def run(args) -> int:
    from ..versions import Numbering

    path = args.config or str(config.default_config_path())
    if args.worker_control is not None:
        return loop.run(_serve_worker(load_or_exit(path), args.listen, args.worker_control))
    if not args.reload:
        return loop.run(_serve(load_or_exit(path), args.listen, None, args.workers, args.log_level))
    if args.workers > 1:
        print("edgehooks: --reload serves from one process: use it without --workers", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="edgehooks-code-") as copies:
        numbering = Numbering(Path(copies))  # shared with reloads, so that new code gets the next number
        return loop.run(_serve(load_or_exit(path, numbering), args.listen, (path, numbering), 1, args.log_level))


def _count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes (1 or more)")
    return int(value)


async def _serve(dist, listen: str | None, reload: tuple[str, object] | None, workers: int, log_level: str) -> int:
    from ..reload import Reloader
    from ..server import Node
    from ..workers import Supervisor, WorkerFailed

    server = Supervisor(dist, workers, log_level) if workers > 1 else Node.build(dist)
    try:
        url = await server.start(listen)
    except OSError as e:
        return await _cannot_listen(server, listen or dist.server.listen, e)
    except WorkerFailed as e:
        print(f"edgehooks: {e}", file=sys.stderr)
        await server.close()
        return 2
    print(f"edgehooks: serving {dist.source}{f' with {workers} workers' if workers > 1 else ''} on {url}", flush=True)
    if server.admin is not None:
        print(f"edgehooks: admin listener on {server.admin.url}", flush=True)
    watcher = asyncio.create_task(Reloader(server, *reload).run()) if reload else None
    stop = asyncio.Event()
    running = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        running.add_signal_handler(sig, stop.set)
    await stop.wait()
    if watcher is not None:
        watcher.cancel()
    await server.close()
    return 0


async def _serve_worker(dist, listen: str | None, control_fd: int) -> int:
    from ..server import Node
    from ..workers import serve_as_worker

    node = Node.build(dist, admin=False)
    try:
        await node.start(listen, reuse_port=True)
    except OSError as e:
        return await _cannot_listen(node, listen or dist.server.listen, e)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await serve_as_worker(node, control_fd, stop)
    await node.close()
    return 0


async def _cannot_listen(server, listen: str, error: OSError) -> int:
    print(f"edgehooks: cannot listen on {listen}: {error.strerror}", file=sys.stderr)
    await server.close()
    return 2
