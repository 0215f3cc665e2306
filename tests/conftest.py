"""Fixtures that run the real thing: a scriptable origin server and edgehooks on real sockets."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import textwrap
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis
from aiohttp import web

from edgehooks import config, runtimes
from edgehooks.distribution import FunctionSpec
from edgehooks.server import Node

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Origin:
    """An origin on a real port; tests script its answers per path and read what it received."""

    url: str = ""
    routes: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]] = field(default_factory=dict)
    received: list[dict] = field(default_factory=list)

    def route(self, path: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> None:
        self.routes[path] = handler

    def hits(self, path: str) -> int:
        return sum(1 for r in self.received if r["path"] == path)


@pytest.fixture
async def origin():
    async with serve_origin() as state:
        yield state


@contextlib.asynccontextmanager
async def serve_origin(tls: ssl.SSLContext | None = None):
    """An `Origin` on a real port for the block; HTTPS with `tls`."""
    state = Origin()

    async def dispatch(request: web.BaseRequest) -> web.StreamResponse:
        body = await request.content.read()  # read() would stop at aiohttp's 1 MiB client_max_size
        state.received.append(
            {"method": request.method, "path": request.path, "query": request.raw_path.partition("?")[2], "headers": dict(request.headers), "raw_headers": request.raw_headers, "body": body}
        )
        handler = state.routes.get(request.path)
        if handler is None:
            return web.Response(text=f"origin saw {request.method} {request.path_qs}", headers={"Cache-Control": "max-age=60"})
        return await handler(request)

    runner = web.ServerRunner(web.Server(dispatch))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    state.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


@dataclass
class Proxy:
    node: Node
    url: str
    client: httpx.AsyncClient

    async def get(self, path: str, **kw) -> httpx.Response:
        return await self.client.get(path, **kw)

    async def request(self, method: str, path: str, **kw) -> httpx.Response:
        return await self.client.request(method, path, **kw)


@pytest.fixture
async def edgehooks(tmp_path):
    """Start edgehooks from a TOML text (and handler files) written into tmp_path."""
    started: list[Proxy] = []

    async def start(toml: str, handlers: dict[str, str] | None = None) -> Proxy:
        for name, source in (handlers or {}).items():
            (tmp_path / name).write_text(textwrap.dedent(source))
        path = tmp_path / "edgehooks.toml"
        path.write_text(textwrap.dedent(toml))
        node = Node.build(config.load(path))
        url = await node.start("127.0.0.1:0")
        proxy = Proxy(node, url, httpx.AsyncClient(base_url=url, timeout=30))
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        await proxy.client.aclose()
        await proxy.node.close()


@pytest.fixture
async def start_runtime():
    """Check, create and start a function's runtime on its own, as the proxy would; closed after the test."""
    started: list[runtimes.Runtime] = []

    async def start(spec: FunctionSpec) -> runtimes.Runtime:
        assert runtimes.check(spec) is None
        runtime = runtimes.create(spec)
        await runtime.start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        await runtime.close()


def repo_path(*parts: str) -> Path:
    return REPO.joinpath(*parts)


@dataclass
class RedisServer:
    """A real redis-server on a free loopback port, in its own folder; tests kill and restart it."""

    folder: Path
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if not self.port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def entries(self) -> int:
        """How many cache entries it holds, in any namespace."""
        with redis.Redis(port=self.port) as client:
            return len(client.keys("*:e:*"))

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: tests/run installs it (apt-get install redis-server)")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    yield server
    server.kill()
