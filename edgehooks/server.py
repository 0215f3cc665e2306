"""The viewer-facing HTTP front end: aiohttp in, `Pipeline` through, aiohttp out.

Everything CloudFront-specific lives in the pipeline; this module only translates.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web, web_protocol
from prometheus_client import CONTENT_TYPE_LATEST

from . import ids, runtimes
from .admin import Admin
from .cache import build_store
from .distribution import Distribution
from .invalidations import Invalidations
from .listen import bind
from .metrics import Metrics
from .messages import Request, Response, get_header, strip_hop_by_hop, without
from .origin import Origins
from .pipeline import Outcome, Pipeline, error_response
from .target import BadTarget, split_target
from .viewer_parser import ViewerRequestParser
from .wire import whole_response

log = logging.getLogger("edgehooks.server")
access_log = logging.getLogger("edgehooks.access")


web_protocol.HttpRequestParser = ViewerRequestParser  # type: ignore[misc]


class _ViewerConnection(web_protocol.RequestHandler):
    """aiohttp's connection handler with a deadline for each request's headers.

    aiohttp closes idle keep-alive connections but not one that trickles header lines forever
    (slowloris) nor a new one that never sends a byte (a flood of those exhausts descriptors): a
    viewer gets `header_timeout` seconds from connecting, and from the first byte of each later
    request, to the end of that request's headers.

    A request only moves the deadline (`_due`); the connection's one timer, when it fires early,
    sets itself again for the deadline then due. A timer started and cancelled per request cost
    a cache hit 7% of its time.
    """

    header_timeout = 10.0
    _timer: asyncio.TimerHandle | None = None
    _due: float | None = None  # when the awaited request's headers must be complete; None: none awaited

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        if self._due is None and not self._request_in_progress:
            self._await_headers()
        super().data_received(data)

    def _await_headers(self) -> None:
        self._due = self._loop.time() + self.header_timeout
        if self._timer is None:
            self._timer = self._loop.call_at(self._due, self._deadline)

    def _deadline(self) -> None:
        self._timer = None
        if self._due is None:
            return
        if self._due - self._loop.time() > _EARLY:
            self._timer = self._loop.call_at(self._due, self._deadline)
        else:
            self.force_close()

    async def _handle_request(self, request, start_time, request_handler):  # type: ignore[override]
        self._due = None
        try:
            return await super()._handle_request(request, start_time, request_handler)
        finally:
            self._due = None

    def connection_lost(self, exc: BaseException | None) -> None:
        self._due = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)


# asyncio runs a timer up to its clock's resolution before it is due: that is not early.
_EARLY = 0.01


class _Server(web.Server):
    def __init__(self, handler, *, header_timeout: float, **kwargs):
        super().__init__(handler, **kwargs)
        self._header_timeout = header_timeout

    def __call__(self) -> web_protocol.RequestHandler:
        connection = _ViewerConnection(self, loop=self._loop, **self._kwargs)
        connection.header_timeout = self._header_timeout
        return connection


@dataclass
class Node:
    """One serving edgehooks: its pipeline and the resources behind it.

    A front end other than the aiohttp listener (the mitmproxy addon) uses `open`, `answer` and
    `close`, so what `answer` adds to a request (the access log, …) is the same in both.
    """

    dist: Distribution
    pipeline: Pipeline
    admin: Admin | None = None  # present when [admin] is configured; features add routes before start
    metrics: Metrics | None = None  # kept only where they can be read: on the admin listener
    runner: web.ServerRunner | None = None
    url: str = ""
    header_timeout: float = _ViewerConnection.header_timeout
    body_timeout: float = 60.0  # most seconds between two pieces of a request body (nginx's client_body_timeout)
    # Requests being served per pipeline: a reload closes the old one's runtimes once it has none.
    inflight: Counter = field(default_factory=Counter)

    @classmethod
    def build(cls, dist: Distribution, origin_tls: ssl.SSLContext | bool = True, *, admin: bool = True) -> Node:
        """`admin=False` for a `--workers` process: its parent owns the admin listener."""
        functions = {name: runtimes.create(spec) for name, spec in dist.functions.items()}
        pipeline = Pipeline(dist, functions, build_store(dist), Origins(dist.origins, origin_tls))
        node = cls(dist, pipeline, Admin(dist.admin) if dist.admin and admin else None)
        if dist.admin:  # a --workers worker keeps them too: its parent's admin listener adds them up
            node.metrics = Metrics(dist, lambda: node.pipeline.functions)
            pipeline.on_refresh = node.metrics.observe_refresh
        if node.admin is not None:
            node.admin.add_route("GET", "/status", node._status)
            Invalidations(node.invalidate).add_routes(node.admin)
            node.admin.add_route("GET", "/metrics", node._metrics)
        return node

    async def open(self) -> None:
        """Start what the pipeline needs: the origin client, the cache tiers, the functions, the admin listener."""
        await self.pipeline.origins.start()
        await self.pipeline.store.start()
        await asyncio.gather(*(f.start() for f in self.pipeline.functions.values()))
        if self.admin is not None:
            await self.admin.start()

    async def start(self, listen: str | None = None, *, reuse_port: bool = False) -> str:
        """Serve; `reuse_port` lets several processes share the port (SO_REUSEPORT, `--workers`)."""
        await self.open()
        server = _Server(self._handle, header_timeout=self.header_timeout, access_log=None)
        self.runner = web.ServerRunner(server)
        await self.runner.setup()
        self.url = await bind(self.runner, listen or self.dist.server.listen, reuse_port=reuse_port)
        return self.url

    async def close(self) -> None:
        if self.admin is not None:
            await self.admin.close()
        if self.runner is not None:
            await self.runner.cleanup()
        await self.pipeline.close()  # background refreshes before the functions and origins they use
        await asyncio.gather(*(f.close() for f in self.pipeline.functions.values()))
        await self.pipeline.store.close()
        await self.pipeline.origins.close()

    async def invalidate(self, paths: list[str]) -> None:
        """Drop what the normalized CloudFront paths cover, from this node and every node sharing its cache."""
        await self.pipeline.store.invalidate(paths)

    async def _status(self, _: web.Request) -> web.Response:
        return web.json_response({"distribution": str(self.dist.source), "url": self.url, "functions": sorted(self.dist.functions)})

    async def _metrics(self, _: web.Request) -> web.Response:
        assert self.metrics is not None
        return web.Response(body=self.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def drained(self, pipeline: Pipeline) -> None:
        while self.inflight[pipeline]:
            await asyncio.sleep(0.05)
        del self.inflight[pipeline]

    async def _handle(self, viewer: web.BaseRequest) -> web.StreamResponse | _Written:
        pipeline = self.pipeline  # the one this request started on, even if a reload swaps it
        self.inflight[pipeline] += 1
        try:
            return await self._serve(pipeline, viewer)
        finally:
            self.inflight[pipeline] -= 1

    async def _serve(self, pipeline: Pipeline, viewer: web.BaseRequest) -> web.StreamResponse | _Written:
        if viewer.version.major < 1:  # llhttp reads "GET /" as HTTP/0.9; CloudFront refuses it
            log.info("%s: 400: HTTP/%d.%d", viewer.remote, *viewer.version)
            return await send(viewer, error_response(400, "Bad request.", ids.request_id()))
        try:
            request = to_request(viewer, self.body_timeout)
        except BadTarget as e:
            log.info("%s: 400: %s", viewer.remote, e)
            return await send(viewer, error_response(400, "Bad request.", ids.request_id()))
        return await send(viewer, await self.answer(request, pipeline=pipeline))

    async def answer(self, request: Request, origin: dict | None = None, pipeline: Pipeline | None = None) -> Response:
        """One viewer request through `pipeline` (default: the current one), logged and counted;
        `origin` as in `Pipeline.handle`."""
        started = time.perf_counter()
        outcome = await (pipeline or self.pipeline).handle(request, origin)
        self._record(request, outcome, time.perf_counter() - started)
        return outcome.response

    def _record(self, request: Request, outcome: Outcome, seconds: float) -> None:
        if self.metrics is not None:
            self.metrics.observe(outcome, seconds)
        if access_log.isEnabledFor(logging.INFO):
            fields = {
                "client": request.client_ip, "method": request.method, "target": request.target, "status": outcome.response.status,
                "result": outcome.x_cache, "request_id": outcome.request_id, "duration_ms": round(seconds * 1000, 2),
            }  # fmt: skip
            access_log.info('%(client)s "%(method)s %(target)s" %(status)s %(result)s %(request_id)s %(duration_ms).2fms', fields, extra={"fields": fields})


def to_request(viewer: web.BaseRequest, body_timeout: float) -> Request:
    path, query, authority = split_target(viewer.raw_path)
    headers = strip_hop_by_hop([(k.decode("latin-1"), v.decode("utf-8", "replace")) for k, v in viewer.raw_headers])
    if authority is not None:
        # An absolute-form target names the host; its Host header is to be ignored (RFC 9112 §3.2.2).
        headers = [("Host", authority)] + without(headers, "host")
    body = _paced(viewer, body_timeout) if viewer.body_exists else b""
    peer = viewer.transport.get_extra_info("peername") if viewer.transport else None
    version = f"{viewer.version.major}.{viewer.version.minor}"
    return Request(viewer.method, path, query, headers, peer[0] if peer else "127.0.0.1", body, version)


async def _paced(viewer: web.BaseRequest, timeout: float) -> AsyncIterator[bytes]:
    """The viewer's request body, cut off when it stalls for `timeout` seconds: a trickled upload
    (slow POST) would otherwise hold its connection and an origin connection forever. Closing the
    connection also aborts the upload to the origin, which so never takes half a body as whole."""
    chunks = viewer.content.iter_chunked(64 * 1024)
    while True:
        try:
            chunk = await asyncio.wait_for(anext(chunks), timeout)
        except StopAsyncIteration:
            return
        except asyncio.TimeoutError:
            log.info("%s: request body stalled for %gs: connection closed", viewer.remote, timeout)
            if viewer.transport is not None:
                viewer.transport.close()
            raise ConnectionResetError("the viewer's request body stalled") from None
        yield chunk


class _Written:
    """What aiohttp's connection loop gets back for an answer the handler wrote itself: it only
    asks whether to keep the connection."""

    def __init__(self, keep_alive: bool):
        self.keep_alive = keep_alive

    async def prepare(self, _: web.BaseRequest) -> None:
        pass

    async def write_eof(self, data: bytes = b"") -> None:
        pass


async def send(viewer: web.BaseRequest, response: Response) -> web.StreamResponse | _Written:
    if isinstance(response.body, (bytes, bytearray)):
        # One buffer, one write (one syscall, one packet), without aiohttp's response machinery.
        data = whole_response(viewer.version, viewer.method, response, viewer.keep_alive)
        transport = viewer.transport
        if transport is None or transport.is_closing():
            return _Written(False)  # the viewer left: nobody to answer
        transport.write(data)
        await viewer.writer.drain()  # a large body waits for the viewer to read it
        return _Written(viewer.keep_alive)
    out = web.StreamResponse(status=response.status, reason=response.reason or None)
    for name, value in without(response.headers, "content-length"):
        out.headers.add(name, value)
    length = get_header(response.headers, "content-length")
    if length and length.isdigit():
        out.content_length = int(length)
    try:
        await out.prepare(viewer)
        async for chunk in response.body:
            if viewer.method != "HEAD":
                await out.write(chunk)
        await out.write_eof()
    except ConnectionResetError:  # the viewer left mid-answer: nobody to tell, nothing to log
        await response.body.aclose()  # lets go of the origin's connection (and a cache fill)
        return _Written(False)
    return out
