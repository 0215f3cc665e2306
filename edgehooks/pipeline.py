"""The data path: one viewer request through behaviors, hooks, cache and origin, top to bottom.

    match behavior → viewer-request → cache lookup ─ fresh hit ─────────────────┐
                                        └ miss → origin-request → origin fetch  │
                                                 → origin-response → store      │
                                                 → viewer-response ◄────────────┘

Which hooks run after a generated response, and what is cached, follow CloudFront
(../shared/lambda-edge-reference.md §0): a viewer-request answer goes straight back, uncached,
without viewer-response; an origin-request answer is cached and skips origin-response;
viewer-response is skipped for statuses >= 400 and its changes are never cached.

The front ends (the aiohttp server, the mitmproxy addon) only translate to and from `Request` and
`Response`; collaborators are the function runtimes, the `Cache` and the `Origins`.
"""

from __future__ import annotations

import base64
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from . import events, paths, servertiming, validation
from .cache import Entry, Store, cache_key
from .cache import freshness
from .distribution import Behavior, Distribution, HookBinding
from .errors import FunctionError
from .events import EventContext
from .messages import Body, Request, Response, get_header, read_body, without
from .origin import OriginError, Origins
from .runtimes import Runtime

log = logging.getLogger("edgehooks.pipeline")

# Besides the disallowed ones, what CloudFront does not pass to an origin (reference §3.3).
ORIGIN_SIDE_REMOVED = frozenset({"host", "x-forwarded-for", "via", "te", "x-http-method-override"})
# Headers that frameworks let override the URL, host or scheme. Sent to the origin while absent
# from the cache key, they let one viewer poison the entry everyone gets; they pass only when
# the behavior keys on them.
UNKEYED_OVERRIDES = frozenset(
    {"x-forwarded-host", "x-forwarded-server", "x-forwarded-scheme", "x-forwarded-port", "x-host", "x-original-url", "x-rewrite-url"}
)

# How much of a request body include-body shows a function (reference §1.4).
BODY_EXPOSURE = {"viewer-request": 40 * 1024, "origin-request": 1024 * 1024}


class HookRun(NamedTuple):
    """One function invocation as the pipeline saw it."""

    hook: str  # the hook point
    function: str
    ms: float  # at the pipeline, without the cold start: what this hook added to the request
    init_ms: float | None = None  # the cold start, when this invocation started a new environment
    error: str | None = None  # the FunctionError kind (LambdaExecutionError, LambdaLimitExceeded, …)


@dataclass
class Timing:
    """Where one request's time went, for Server-Timing and metrics."""

    hooks: list[HookRun] = field(default_factory=list)
    origin_ms: float | None = None


@dataclass
class Outcome:
    response: Response
    x_cache: str  # CloudFront's X-Cache word: Hit, Miss, LambdaGeneratedResponse, …
    request_id: str
    timing: Timing
    behavior: Behavior | None = None


class Pipeline:
    def __init__(self, dist: Distribution, functions: dict[str, Runtime], store: Store, origins: Origins):
        self.dist = dist
        self.functions = functions
        self.store = store
        self.origins = origins
        self.via = f"1.1 {os.urandom(16).hex()}.edgehooks (edgehooks)"
        self._origin_objects = {name: events.origin_object(spec) for name, spec in dist.origins.items()}
        self.clock: Callable[[], float] = time.time

    async def handle(self, viewer_request: Request) -> Outcome:
        behavior = paths.select(self.dist.behaviors, viewer_request.uri)
        ctx = EventContext(self.dist.server.domain_name, self.dist.server.distribution_id, new_request_id())
        timing = Timing()
        try:
            response, x_cache = await self._serve(behavior, ctx, viewer_request, timing)
        except FunctionError as e:
            log.warning("%s %s: %s%s", ctx.request_id, e.kind, e.message, f" (field {e.field})" if getattr(e, "field", None) else "")
            if timing.hooks:  # the error is the last hook's: its run, or its result's validation
                timing.hooks[-1] = timing.hooks[-1]._replace(error=e.kind)
            response, x_cache = error_response(e.status, e.cause, ctx.request_id), e.kind
        except OriginError as e:
            log.warning("%s origin error: %s", ctx.request_id, e)
            response, x_cache = error_response(e.status, str(e), ctx.request_id), "Error"
        response.headers = without(response.headers, "via", "x-cache", "x-amz-cf-id") + [
            ("Via", self.via),
            ("X-Cache", f"{x_cache} from edgehooks"),
            ("X-Amz-Cf-Id", ctx.request_id),
        ]
        if self.dist.server.server_timing:
            response.headers.append(("Server-Timing", servertiming.header(timing, x_cache)))
        return Outcome(response, x_cache, ctx.request_id, timing, behavior)

    async def _serve(self, behavior: Behavior, ctx: EventContext, request: Request, timing: Timing) -> tuple[Response, str]:
        hook = behavior.hooks.get("viewer-request")
        if hook:
            answer = await self._request_hook("viewer-request", hook, ctx, request, None, timing)
            if isinstance(answer, Response):
                return answer, "LambdaGeneratedResponse"  # straight back: not cached, no viewer-response
            request, _ = answer
        root = self.dist.server.default_root_object
        if root and request.uri == "/":
            # After viewer-request, before the cache key, as CloudFront applies DefaultRootObject.
            request.uri = "/" + root.lstrip("/")

        response, x_cache = await self._cached_or_fetched(behavior, ctx, request, timing)

        hook = behavior.hooks.get("viewer-response")
        if hook and response.status < 400:
            response = await self._response_hook("viewer-response", hook, ctx, request, response, None, timing)
        return response, x_cache

    async def _cached_or_fetched(self, behavior: Behavior, ctx: EventContext, request: Request, timing: Timing) -> tuple[Response, str]:
        key = cache_key(behavior.cache, request) if behavior.cache.enabled else None
        if key is not None and request.method in ("GET", "HEAD"):
            entry = await self.store.get(key)
            now = self.clock()
            if entry is not None and entry.fresh(now):
                return _from_entry(entry, now, request.method), "Hit"
        # Only GET responses are stored: a HEAD answer has no body to serve later GETs with.
        storing = key is not None and request.method == "GET"

        origin_request, origin = self._origin_facing(behavior, request)
        hook = behavior.hooks.get("origin-request")
        if hook:
            answer = await self._request_hook("origin-request", hook, ctx, origin_request, origin, timing)
            if isinstance(answer, Response):
                # Cached like an origin answer; origin-response does not run for it.
                return await self._store(storing, key, behavior, request.method, answer), "LambdaGeneratedResponse"
            origin_request, origin = answer

        started = time.perf_counter()
        response = await self.origins.fetch(origin, _on_the_wire(origin_request, origin, ctx.request_id))
        timing.origin_ms = (time.perf_counter() - started) * 1000

        hook = behavior.hooks.get("origin-response")
        if hook:
            response = await self._response_hook("origin-response", hook, ctx, origin_request, response, origin, timing)
        return await self._store(storing, key, behavior, request.method, response), "Miss"

    def _origin_facing(self, behavior: Behavior, request: Request) -> tuple[Request, dict]:
        """The request as CloudFront sends it on: origin's Host, X-Forwarded-For and Via added, the
        headers CloudFront removes on the origin side gone (reference §3.3)."""
        origin = self._origin_objects[behavior.origin]
        forwarded = get_header(request.headers, "x-forwarded-for")
        removed = ORIGIN_SIDE_REMOVED | (UNKEYED_OVERRIDES - {h.lower() for h in behavior.cache.headers})
        kept = [(k, v) for k, v in request.headers if not events.is_disallowed(k) and k.lower() not in removed]
        headers = [("Host", _origin_host(origin))] + kept
        headers.append(("X-Forwarded-For", f"{forwarded}, {request.client_ip}" if forwarded else request.client_ip))
        via = get_header(request.headers, "via")
        headers.append(("Via", f"{via}, {self.via}" if via else self.via))
        return Request(request.method, request.uri, request.querystring, headers, request.client_ip, request.body, request.http_version), origin

    async def _request_hook(
        self, event_type: str, hook: HookBinding, ctx: EventContext, request: Request, origin: dict | None, timing: Timing
    ):
        """Run a request hook; return the request and origin to go on with, or a generated Response."""
        body = None
        truncated = False
        if hook.include_body and _has_body(request):
            # The whole body is kept: read-only action forwards the original, not the truncated copy.
            request.body = await read_body(request.body)
            limit = BODY_EXPOSURE[event_type]
            body, truncated = request.body[:limit], len(request.body) > limit
        event = events.request_event(event_type, ctx, request, origin=origin, body=body, body_truncated=truncated)
        result = await self._invoke(hook, event_type, event, timing)
        update = validation.check_request_result(event_type, event, result)
        if isinstance(update, Response):
            return update
        headers, body = update.headers, request.body
        if update.body is not None:
            # Content-Length is read-only for the function; CloudFront recomputes it (reference §2.4).
            headers, body = without(headers, "content-length", "transfer-encoding") + [("Content-Length", str(len(update.body)))], update.body
        changed = Request(request.method, update.uri, update.querystring, headers, request.client_ip, body, request.http_version)
        return changed, update.origin or origin

    async def _response_hook(
        self, event_type: str, hook: HookBinding, ctx: EventContext, request: Request, response: Response, origin: dict | None, timing: Timing
    ) -> Response:
        event = events.response_event(event_type, ctx, request, response, origin=origin)
        result = await self._invoke(hook, event_type, event, timing)
        update = validation.check_response_result(event_type, event, result)
        body = response.body if update.body is None else update.body
        if update.body is not None:
            await _discard(response.body)
        return Response(update.status, update.reason, update.headers, body)

    async def _invoke(self, hook: HookBinding, event_type: str, event: dict, timing: Timing):
        started = time.perf_counter()
        init_ms = None
        try:
            invocation = await self.functions[hook.function].invoke(event, hook=event_type)
            init_ms = invocation.init_ms
        except FunctionError as e:
            init_ms = e.init_ms
            raise
        finally:
            ms = (time.perf_counter() - started) * 1000 - (init_ms or 0.0)
            timing.hooks.append(HookRun(event_type, hook.function, ms, init_ms))
        return invocation.result

    async def _store(self, storing: bool, key: str | None, behavior: Behavior, method: str, response: Response) -> Response:
        """Cache the response if its headers and the behavior allow; the body is stored as it streams by."""
        ttl = freshness.ttl(method, response.status, response.headers, behavior.cache) if storing else None
        if ttl is None or key is None:
            return response
        received = self.clock()

        async def keep(body: bytes) -> None:
            entry = Entry(response.status, response.reason, response.headers, body, received, freshness.initial_age(response.headers), ttl)
            await self.store.put(key, entry)

        limit = self.dist.cache.max_object_size
        if isinstance(response.body, (bytes, bytearray)):
            if len(response.body) <= limit:
                await keep(bytes(response.body))
            return response
        return Response(response.status, response.reason, response.headers, _tee(response.body, keep, limit))


def _from_entry(entry: Entry, now: float, method: str) -> Response:
    headers = without(entry.headers, "age") + [("Age", str(int(entry.age(now))))]
    return Response(entry.status, entry.reason, headers, b"" if method == "HEAD" else entry.body)


async def _tee(body: AsyncIterator[bytes], keep: Callable[[bytes], Awaitable[None]], limit: int) -> AsyncIterator[bytes]:
    """Pass a streamed body through, keeping a copy only if it arrives whole and within `limit`."""
    parts: list[bytes] | None = []
    size = 0
    async for chunk in body:
        if parts is not None:
            size += len(chunk)
            if size <= limit:
                parts.append(chunk)
            else:
                parts = None
        yield chunk
    if parts is not None:
        await keep(b"".join(parts))


async def _discard(body: Body) -> None:
    if not isinstance(body, (bytes, bytearray)):
        async for _ in body:
            pass


def _has_body(request: Request) -> bool:
    return request.body != b"" and (
        get_header(request.headers, "content-length") not in (None, "0") or get_header(request.headers, "transfer-encoding") is not None
    )


def _on_the_wire(request: Request, origin: dict, request_id: str) -> Request:
    """Add what functions never see: the origin's custom headers and CloudFront's request id."""
    custom = next(iter(origin.values())).get("customHeaders", {})
    extra = events.cf_to_headers(custom) + [("X-Amz-Cf-Id", request_id)]
    return Request(request.method, request.uri, request.querystring, request.headers + extra, request.client_ip, request.body, request.http_version)


def _origin_host(origin: dict) -> str:
    if "s3" in origin:
        return origin["s3"]["domainName"]
    custom = origin["custom"]
    default_port = 443 if custom["protocol"] == "https" else 80
    host = custom["domainName"]
    return host if custom["port"] == default_port else f"{host}:{custom['port']}"


def new_request_id() -> str:
    # CloudFront's ids are 56 characters of base64 ending in "==": 40 random bytes give that.
    return base64.urlsafe_b64encode(os.urandom(40)).decode()


def error_response(status: int, cause: str, request_id: str) -> Response:
    """CloudFront's own error page (reference §5.2)."""
    title = f"{status} ERROR"
    html = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n'
        f'<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">\n<TITLE>ERROR: The request could not be satisfied</TITLE>\n'
        f"</HEAD><BODY>\n<H1>{title}</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size=\"1px\">\n{_html_escape(cause)}\n"
        f"<BR clear=\"all\">\n<HR noshade size=\"1px\">\n<PRE>\nGenerated by edgehooks\nRequest ID: {request_id}\n</PRE>\n</BODY></HTML>\n"
    ).encode()
    return Response(status, "", [("Server", "edgehooks"), ("Content-Type", "text/html"), ("Cache-Control", "no-store")], html)


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
