"""`edgehooks serve --workers N`: N serving processes on one port, one admin listener in front of them.

Each worker is `edgehooks serve --worker-control FD`, a whole Node that binds the viewers' port
with SO_REUSEPORT, so the kernel spreads connections across the processes and a machine's cores
are used. The parent holds the port (bound, never listening: it gets no connections) so that a
replacement worker binds the same one, owns the admin listener, and talks to each worker in JSON
lines over a socketpair: an invalidation goes to every worker, so every memory tier forgets it,
with Redis or without, and /metrics asks every worker for its counts and adds them up. A worker
that dies is logged and replaced; SIGINT/SIGTERM to the parent stops them all, and a worker
whose parent vanished sees its control socket close and stops too.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import signal
import socket
import sys
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from .admin import Admin
from .cache import SharedTierDown
from .distribution import Distribution
from .invalidations import Invalidations
from .listen import split_listen
from .metrics import merged
from .server import Node

log = logging.getLogger("edgehooks.workers")

RESTART_DELAY = 1.0  # seconds before a dead worker is replaced, so a crash loop does not spin
STOP_TIMEOUT = 30.0  # seconds a worker gets to finish after SIGTERM before it is killed


class WorkerFailed(Exception):
    """A worker could not start; the message includes why, as it said on stderr."""


@dataclass
class Worker:
    number: int
    process: asyncio.subprocess.Process
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    url: str
    pending: dict[int, asyncio.Future] = field(default_factory=dict)

    async def call(self, request: dict) -> dict:
        """Send a command and wait for its answer; ConnectionError if the worker goes away first."""
        number = next(_ids)
        answer = asyncio.get_running_loop().create_future()
        self.pending[number] = answer
        self.writer.write(json.dumps({"id": number, **request}).encode() + b"\n")
        await self.writer.drain()
        return await answer

    async def read_answers(self) -> None:
        while line := await self.reader.readline():
            answer = json.loads(line)
            future = self.pending.pop(answer.pop("id"), None)
            if future is not None and not future.done():
                future.set_result(answer)
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ConnectionError(f"worker {self.number} went away"))


_ids = itertools.count(1)


class Supervisor:
    def __init__(self, dist: Distribution, count: int, log_level: str):
        self.dist = dist
        self.count = count
        self.log_level = log_level
        self.workers: dict[int, Worker] = {}
        self.admin = Admin(dist.admin) if dist.admin else None
        self.url = ""
        self._listen = ""
        self._port_holder: socket.socket | None = None
        self._stopping = False
        self._tasks: set[asyncio.Task] = set()
        if self.admin is not None:
            self.admin.add_route("GET", "/status", self._status)
            Invalidations(self.invalidate).add_routes(self.admin)
            self.admin.add_route("GET", "/metrics", self._metrics)

    async def start(self, listen: str | None) -> str:
        """Hold the port, start every worker, then the admin listener; OSError or WorkerFailed if one cannot."""
        host, port = split_listen(listen or self.dist.server.listen)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if port:
            # SO_REUSEPORT would let us join another server's port (another `--workers` one, say)
            # without a word: first make sure nobody listens there.
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((host, port))
        holder = socket.socket(family, socket.SOCK_STREAM)
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            holder.bind((host, port))
        except OSError:
            holder.close()
            raise
        self._port_holder = holder
        port = holder.getsockname()[1]
        self._listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        started = await asyncio.gather(*(self._spawn(n) for n in range(1, self.count + 1)), return_exceptions=True)
        for result in started:
            if isinstance(result, Worker):
                self._adopt(result)
        failed = [r for r in started if isinstance(r, BaseException)]
        if failed:
            raise failed[0]
        self.url = self.workers[1].url
        if self.admin is not None:
            await self.admin.start()
        return self.url

    async def close(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(self._stop(w) for w in self.workers.values()))
        if self.admin is not None:
            await self.admin.close()
        if self._port_holder is not None:
            self._port_holder.close()

    async def invalidate(self, paths: list[str]) -> None:
        """Every worker forgets the paths (and, with Redis, the shared tier and other nodes too)."""
        answers = await asyncio.gather(*(w.call({"invalidate": paths}) for w in list(self.workers.values())), return_exceptions=True)
        # A worker that went away meanwhile took its memory tier with it: nothing is left to forget there.
        down = [a["shared_tier_down"] for a in answers if isinstance(a, dict) and "shared_tier_down" in a]
        if down:
            raise SharedTierDown(down[0])

    async def _spawn(self, number: int) -> Worker:
        parent_end, child_end = socket.socketpair()
        with child_end:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "edgehooks", "--log-level", self.log_level, "serve",
                "--config", str(self.dist.source), "--listen", self._listen, "--worker-control", str(child_end.fileno()),
                pass_fds=(child_end.fileno(),), stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # the parent decides when workers stop, not a terminal's Ctrl-C
            )
        reader, writer = await asyncio.open_unix_connection(sock=parent_end)
        ready = await reader.readline()
        if not ready:
            writer.close()
            said = (await process.stderr.read()).decode(errors="replace").strip()
            await process.wait()
            raise WorkerFailed(f"worker {number} exited with status {process.returncode} before serving: {said}")
        log.info("worker %d (pid %d) serving", number, process.pid)
        return Worker(number, process, reader, writer, json.loads(ready)["ready"])

    def _adopt(self, worker: Worker) -> None:
        self.workers[worker.number] = worker
        self._spawn_task(worker.read_answers())
        self._spawn_task(self._forward_stderr(worker))
        self._spawn_task(self._watch(worker))

    async def _watch(self, worker: Worker) -> None:
        status = await worker.process.wait()
        if self._stopping:
            return
        log.error("worker %d (pid %d) exited with status %s; starting another", worker.number, worker.process.pid, status)
        worker.writer.close()
        while not self._stopping:
            await asyncio.sleep(RESTART_DELAY)
            try:
                self._adopt(await self._spawn(worker.number))
                return
            except (OSError, WorkerFailed) as e:
                log.error("%s; trying again", e)

    async def _forward_stderr(self, worker: Worker) -> None:
        # Workers log to a pipe, not the terminal, so that a worker that fails to start can say why.
        async for line in worker.process.stderr:
            sys.stderr.buffer.write(line)
            sys.stderr.flush()

    async def _stop(self, worker: Worker) -> None:
        if worker.process.returncode is None:
            worker.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(worker.process.wait(), STOP_TIMEOUT)
            except asyncio.TimeoutError:
                log.error("worker %d (pid %d) did not stop within %gs; killing it", worker.number, worker.process.pid, STOP_TIMEOUT)
                worker.process.kill()
                await worker.process.wait()
        worker.writer.close()

    def _spawn_task(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _metrics(self, _: web.Request) -> web.Response:
        answers = await asyncio.gather(*(w.call({"metrics": True}) for w in list(self.workers.values())), return_exceptions=True)
        # A worker that went away meanwhile took its counts with it, as a restarted process's counters reset.
        body = merged(a["metrics"] for a in answers if isinstance(a, dict))
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _status(self, _: web.Request) -> web.Response:
        workers = [{"number": w.number, "pid": w.process.pid} for w in sorted(self.workers.values(), key=lambda w: w.number)]
        return web.json_response({"distribution": str(self.dist.source), "url": self.url, "functions": sorted(self.dist.functions), "workers": workers})


async def serve_as_worker(node: Node, control_fd: int, stop: asyncio.Event) -> None:
    """A worker's side: say it is ready, then answer the parent's commands until `stop` or the parent goes."""
    reader, writer = await asyncio.open_unix_connection(sock=socket.socket(fileno=control_fd))
    writer.write(json.dumps({"ready": node.url}).encode() + b"\n")

    async def answer() -> None:
        while line := await reader.readline():
            command = json.loads(line)
            reply: dict = {"id": command["id"]}
            if "metrics" in command:
                reply["metrics"] = node.metrics.exposition().decode() if node.metrics is not None else ""
            else:
                try:
                    await node.invalidate(command["invalidate"])
                except SharedTierDown as e:
                    reply["shared_tier_down"] = str(e)
            writer.write(json.dumps(reply).encode() + b"\n")
        stop.set()  # the parent is gone

    commands = asyncio.ensure_future(answer())
    await stop.wait()
    commands.cancel()
    writer.close()
