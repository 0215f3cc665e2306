"""The data path: one viewer request through behaviors, hooks, cache and origin, top to bottom.

    match behavior → viewer-request → cache lookup ─ fresh hit (or stale, when allowed) ──────┐
                                        │ (the same key being fetched: wait, look again)    │
                                        └ miss/stale → origin-request → origin fetch        │
                                                       (conditional when something is stored)│
                                                     → origin-response → store / 304 freshens│
                                                     → viewer-response ◄─────────────────────┘

The caching rules (RFC 9111, 9213, 5861 and CloudFront's TTLs) are pure functions in cache/;
this module only decides when to ask them and what to do with the answer.

Which hooks run after a generated response, and what is cached, follow CloudFront
(../shared/lambda-edge-reference.md §0): a viewer-request answer goes straight back, uncached,
without viewer-response; an origin-request answer is cached and skips origin-response;
viewer-response is skipped for statuses >= 400 and its changes are never cached.

The front ends (the aiohttp server, the mitmproxy addon) only translate to and from `Request` and
`Response`; collaborators are the function runtimes, the `Cache` and the `Origins`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from . import canary, events, ids, paths, servertiming, validation
from .cache import Entry, Store, cache_key, conditional, freshness, invalidation, ranges, vary
from .cache.vary import selecting_values, vary_names
from .collapsing import Flights
from .distribution import Behavior, Distribution, HookBinding
from .errors import FunctionError
from .events import EventContext
from .messages import Body, Headers, Request, Response, get_header, read_body, strip_hop_by_hop, without
from .origin import OriginError, Origins, read_timeout
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
    ms: float  # what this hook added to the request (its event, run and checks), without the cold start
    init_ms: float | None = None  # the cold start, when this invocation started a new environment
    error: str | None = None  # the FunctionError kind (LambdaExecutionError, LambdaLimitExceeded, …)


@dataclass
class Timing:
    """Where one request's time went, for Server-Timing and metrics."""

    hooks: list[HookRun] = field(default_factory=list)
    origin_ms: float | None = None
    # What the X-Cache word does not tell: "stale" (a stored response served past its freshness,
    # which CloudFront still calls a Hit) or "collapsed" (it waited for another request's fetch).
    cache: str | None = None

    def failed(self, kind: str) -> None:
        """Mark the last hook run with a FunctionError's kind: the error is its run's, or its result's."""
        if self.hooks:
            self.hooks[-1] = self.hooks[-1]._replace(error=kind)


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
        self.flights = Flights()
        self._background: set[asyncio.Task] = set()
        # Told of each background refresh (stale-while-revalidate): no viewer waits for it, so
        # no Outcome carries its hook runs and origin fetch.
        self.on_refresh: Callable[[Behavior, Timing, str], None] | None = None

    async def handle(self, viewer_request: Request, origin: dict | None = None) -> Outcome:
        """`origin` (an event's origin object) replaces the behavior's: a forward proxy's front end
        passes the site the viewer asked for."""
        behavior = paths.select(self.dist.behaviors, viewer_request.uri)
        ctx = EventContext(self.dist.server.domain_name, self.dist.server.distribution_id, ids.request_id())
        timing = Timing()
        try:
            origin = origin or self._origin_objects[behavior.origin]
            response, x_cache = await self._serve(behavior, ctx, viewer_request, origin, timing)
        except FunctionError as e:
            log.warning("%s %s: %s%s", ctx.request_id, e.kind, e.message, f" (field {e.field})" if getattr(e, "field", None) else "")
            timing.failed(e.kind)
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

    async def _serve(self, behavior: Behavior, ctx: EventContext, request: Request, origin: dict, timing: Timing) -> tuple[Response, str]:
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

        response, x_cache = await self._cached_or_fetched(behavior, ctx, request, origin, timing)

        hook = behavior.hooks.get("viewer-response")
        if hook and response.status < 400:
            response = await self._response_hook("viewer-response", hook, ctx, request, response, None, timing)
        return response, x_cache

    async def _cached_or_fetched(
        self, behavior: Behavior, ctx: EventContext, request: Request, origin: dict, timing: Timing
    ) -> tuple[Response, str]:
        if request.method not in ("GET", "HEAD"):
            response, x_cache = await self._fetched(behavior, ctx, request, origin, timing)
            await self._invalidate(request, response)
            return response, x_cache
        if not behavior.cache.enabled:
            return await self._fetched(behavior, ctx, request, origin, timing)
        key = cache_key(behavior.cache, request)
        wanted = freshness.request_directives(request.headers) if not request.names.isdisjoint(freshness.REQUEST_FIELDS) else {}
        entry = await self._lookup(key, request)
        answer = self._reused(behavior, ctx, request, origin, key, entry, wanted, timing)
        if answer is None and await self.flights.wait(key, read_timeout(origin)):
            # Another request was fetching this key: what it stored may serve this one too.
            timing.cache = "collapsed"
            entry = await self._lookup(key, request)
            answer = self._reused(behavior, ctx, request, origin, key, entry, wanted, timing)
        if answer is not None:
            return answer
        if "only-if-cached" in wanted:
            return error_response(504, "Nothing stored for an only-if-cached request.", ctx.request_id), "Error"
        if request.method == "HEAD":
            return await self._head(behavior, ctx, request, origin, timing, key, entry)
        return await self._validated_or_fetched(behavior, ctx, request, origin, timing, key, entry, wanted)

    def _reused(
        self, behavior: Behavior, ctx: EventContext, request: Request, origin: dict, key: str, entry: Entry | None, wanted: dict, timing: Timing
    ) -> tuple[Response, str] | None:
        """The stored answer when it may be used without asking the origin first."""
        if entry is None:
            return None
        now = self.clock()
        use = freshness.reuse(entry, now, wanted)
        if use == freshness.VALIDATE:
            return None
        if use == freshness.FRESH:
            return _from_entry(entry, now, request), "Hit"
        if use == freshness.REFRESH and not self.flights.busy(key):
            landed = self.flights.lead(key)  # now, so that the next stale hit does not start another
            refresh = Timing()
            self._in_background(behavior, refresh, self._validated_or_fetched(behavior, ctx, request, origin, refresh, key, entry, wanted, landed=landed))
        return self._served_stale(entry, request, timing)

    def _served_stale(self, entry: Entry, request: Request, timing: Timing) -> tuple[Response, str]:
        timing.cache = "stale"  # for metrics and Server-Timing: CloudFront still calls it a Hit
        return _from_entry(entry, self.clock(), request), "Hit"

    async def _validated_or_fetched(
        self,
        behavior: Behavior,
        ctx: EventContext,
        request: Request,
        origin: dict,
        timing: Timing,
        key: str,
        entry: Entry | None,
        wanted: dict,
        landed: Callable[[], None] | None = None,
    ) -> tuple[Response, str]:
        """Go to the origin for a GET, conditionally when a stored response has validators; a 304
        freshens that response, an origin failure may be covered by it (RFC 9111 §4.3, RFC 5861)."""
        landed = landed or self.flights.lead(key)
        handed_over = False  # once _store has the response, it says when the key has landed
        try:
            validating = entry is not None and bool(conditional.validators(entry.headers))
            if validating:
                # Our validators replace the viewer's: the answer must be one this cache can use.
                headers = without(request.headers, "if-none-match", "if-modified-since") + conditional.validators(entry.headers)
                asked = replace(request, headers=headers)
            else:
                asked = request
            since, sent = self.store.generation, self.clock()
            try:
                response, x_cache = await self._fetched(behavior, ctx, asked, origin, timing)
            except OriginError as e:
                if entry is not None and freshness.stale_on_error(entry, self.clock(), wanted):
                    log.warning("%s origin error, serving stale: %s", ctx.request_id, e)
                    return self._served_stale(entry, request, timing)
                if entry is not None and entry.no_stale:
                    raise OriginError(504, f"{e}; the stored response must not be served stale") from e
                raise
            if entry is not None and response.status in freshness.ERROR_STATUSES and freshness.stale_on_error(entry, self.clock(), wanted):
                await _discard(response.body)
                return self._served_stale(entry, request, timing)
            if validating and response.status == 304:
                await _discard(response.body)
                if conditional.validates(entry.headers, response.headers):
                    return await self._freshened(behavior, request, key, entry, response, sent, since), "RefreshHit"
                # §4.3.4: the 304 is about another representation: ask again as the viewer asked.
                since, sent = self.store.generation, self.clock()
                response, x_cache = await self._fetched(behavior, ctx, request, origin, timing)
            handed_over = True
            return await self._store("no-store" not in wanted, key, behavior, request, response, sent, since, landed), x_cache
        finally:
            if not handed_over:
                landed()

    async def _head(
        self, behavior: Behavior, ctx: EventContext, request: Request, origin: dict, timing: Timing, key: str, entry: Entry | None
    ) -> tuple[Response, str]:
        """A HEAD goes through; when its answer describes the stored response, it freshens that
        response as a 304 would (RFC 9111 §4.3.5). It has no body to store."""
        since, sent = self.store.generation, self.clock()
        response, x_cache = await self._fetched(behavior, ctx, request, origin, timing)
        if entry is not None and response.status == entry.status and conditional.same_representation(entry.headers, len(entry.body), response.headers):
            await self._freshened(behavior, request, key, entry, response, sent, since)
        return response, x_cache

    async def _fetched(self, behavior: Behavior, ctx: EventContext, request: Request, origin: dict, timing: Timing) -> tuple[Response, str]:
        """origin-request, the origin, origin-response: what the cache would store."""
        origin_request = origin_facing(request, origin, self.via, behavior.cache.headers)
        hook = behavior.hooks.get("origin-request")
        if hook:
            answer = await self._request_hook("origin-request", hook, ctx, origin_request, origin, timing)
            if isinstance(answer, Response):
                return answer, "LambdaGeneratedResponse"  # cached like an origin answer; origin-response does not run for it
            origin_request, origin = answer

        started = time.perf_counter()
        try:
            response = await self.origins.fetch(origin, _on_the_wire(origin_request, origin, ctx.request_id))
        finally:  # a failed fetch took time too: a timeout is what the origin histogram is for
            timing.origin_ms = (time.perf_counter() - started) * 1000

        hook = behavior.hooks.get("origin-response")
        if hook:
            response = await self._response_hook("origin-response", hook, ctx, origin_request, response, origin, timing)
        return response, "Miss"

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
        started = time.perf_counter()
        event = events.request_event(event_type, ctx, request, origin=origin, body=body, body_truncated=truncated)
        update = await self._hook(hook, event_type, event, validation.check_request_result, timing, started)
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
        started = time.perf_counter()
        event = events.response_event(event_type, ctx, request, response, origin=origin)
        update = await self._hook(hook, event_type, event, validation.check_response_result, timing, started)
        body = response.body if update.body is None else update.body
        if update.body is not None:
            await _discard(response.body)
        return Response(update.status, update.reason, update.headers, body)

    async def _hook(self, hook: HookBinding, event_type: str, event: dict, check: Callable, timing: Timing, started: float):
        """Invoke the function `hook` picks for `event`, and `check` its answer. The HookRun this
        leaves in `timing`, on failure too, times all that the hook added to the request since
        `started`, before the event was built: the event, the run and the checks, without a cold
        start's init."""
        function = canary.choose(hook, event)  # a version's key ("name:3") when the behavior pins or splits
        init_ms = None
        try:
            invocation = await self.functions[function].invoke(event, hook=event_type)
        except FunctionError as e:
            init_ms = e.init_ms
            raise
        else:
            init_ms = invocation.init_ms
            return check(event_type, event, invocation.result)
        finally:
            ms = (time.perf_counter() - started) * 1000 - (init_ms or 0.0)
            timing.hooks.append(HookRun(event_type, function, ms, init_ms))

    async def _store(
        self, stores: bool, key: str, behavior: Behavior, request: Request, response: Response, sent: float, since: int, landed: Callable[[], None]
    ) -> Response:
        """Cache the response to a GET if its headers and the behavior allow; the body is stored as
        it streams by, unless an invalidation since the store's generation `since` covers it.
        `landed` is called once it is stored or known not to be."""
        storing = freshness.storing(response.status, request.headers, response.headers, behavior.cache) if stores else None
        names = vary_names(response.headers)
        if storing is None or names == ["*"]:  # Vary: * never matches a later request (RFC 9111 §4.1)
            landed()
            return response
        received = self.clock()
        headers = without(strip_hop_by_hop(response.headers), *storing.omitted)
        entry = _entry(response.status, response.reason, headers, b"", storing, sent, received)
        entry.vary, entry.selecting = names, selecting_values(request.headers, names)

        async def keep(body: bytes) -> None:
            entry.body = body
            await self._put(key, entry, since)

        limit = self.dist.cache.max_object_size
        if isinstance(response.body, (bytes, bytearray)):
            try:
                if len(response.body) <= limit:
                    await keep(bytes(response.body))
            finally:
                landed()
            return response
        return Response(response.status, response.reason, response.headers, _tee(response.body, keep, limit, landed))

    async def _freshened(self, behavior: Behavior, request: Request, key: str, entry: Entry, not_modified: Response, sent: float, since: int) -> Response:
        """The stored response updated by the origin's 304 (RFC 9111 §4.3.4), stored again when it still may be."""
        headers = conditional.freshened(entry.headers, not_modified.headers)
        received = self.clock()
        storing = freshness.storing(entry.status, request.headers, headers, behavior.cache)
        if storing is not None:
            headers = without(headers, *storing.omitted)
            refreshed = _entry(entry.status, entry.reason, headers, entry.body, storing, sent, received)
            refreshed.vary, refreshed.selecting = entry.vary, entry.selecting
            await self._put(key, refreshed, since)
            return _from_entry(refreshed, received, request)
        return _from_entry(replace(entry, headers=headers, stored_at=received, age_at_store=freshness.initial_age(headers, sent, received)), received, request)

    async def _lookup(self, key: str, request: Request) -> Entry | None:
        """The stored response this request selects: the primary entry, or the variant its Vary
        fields select (RFC 9111 §4.1)."""
        entry = await self.store.get(key)
        if entry is None or not entry.vary or vary.matches(entry.vary, entry.selecting, request.headers):
            return entry
        if entry.vary == ["*"]:
            return None
        variant = await self.store.get(vary.variant_key(key, entry.vary, vary.selecting_values(request.headers, entry.vary)))
        return variant if variant is not None and variant.family == entry.family else None

    async def _put(self, key: str, entry: Entry, since: int) -> None:
        """Store under the primary key; a variant also under its secondary key, so that the primary
        says which fields select and holds the latest variant."""
        if entry.vary:
            primary = await self.store.get(key)
            entry.family = primary.family if primary is not None and primary.family else os.urandom(8).hex()
            await self.store.put(vary.variant_key(key, entry.vary, entry.selecting), entry, since)
        await self.store.put(key, entry, since)

    async def _invalidate(self, request: Request, response: Response) -> None:
        """A successful unsafe request makes its target and the URIs its response names stale
        (RFC 9111 §4.4); deleting a primary entry orphans all its variants."""
        host = get_header(request.headers, "host") or ""
        for path, query in invalidation.invalidated(request.method, response.status, host, request.target, response.headers):
            behavior = paths.select(self.dist.behaviors, path)
            if behavior.cache.enabled:
                await self.store.delete(cache_key(behavior.cache, replace(request, uri=path, querystring=query)))

    def _in_background(self, behavior: Behavior, timing: Timing, work: Awaitable) -> None:
        async def run() -> None:
            x_cache = "Error"
            try:
                response, x_cache = await work
                await _discard(response.body)
            except FunctionError as e:
                x_cache = e.kind
                timing.failed(e.kind)
                log.warning("background refresh failed: %s", e)
            except Exception as e:  # a failed refresh leaves the stale entry; the next request retries
                log.warning("background refresh failed: %s", e)
            if self.on_refresh is not None:
                self.on_refresh(behavior, timing, x_cache)

        task = asyncio.create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        """Stop background refreshes."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)


def _entry(status: int, reason: str, headers: Headers, body: bytes, storing: freshness.Storing, sent: float, received: float) -> Entry:
    return Entry(
        status,
        reason,
        headers,
        body,
        stored_at=received,
        age_at_store=freshness.initial_age(headers, sent, received),
        ttl=storing.lifetime,
        no_cache=storing.no_cache,
        no_stale=storing.no_stale,
        stale_while_revalidate=storing.stale_while_revalidate,
        stale_if_error=storing.stale_if_error,
    )


def origin_facing(request: Request, origin: dict, via: str, keyed_headers: tuple[str, ...] = ()) -> Request:
    """The request as CloudFront sends it on: origin's Host, X-Forwarded-For and Via added, the
    headers CloudFront removes on the origin side gone (reference §3.3)."""
    forwarded = get_header(request.headers, "x-forwarded-for")
    removed = ORIGIN_SIDE_REMOVED | (UNKEYED_OVERRIDES - {h.lower() for h in keyed_headers})
    kept = [(k, v) for k, v in request.headers if not events.is_disallowed(k) and k.lower() not in removed]
    headers = [("Host", _origin_host(origin))] + kept
    headers.append(("X-Forwarded-For", f"{forwarded}, {request.client_ip}" if forwarded else request.client_ip))
    previous = get_header(request.headers, "via")
    headers.append(("Via", f"{previous}, {via}" if previous else via))
    return Request(request.method, request.uri, request.querystring, headers, request.client_ip, request.body, request.http_version)


def _from_entry(entry: Entry, now: float, request: Request) -> Response:
    """A stored response as this request gets it: with its current Age, without a body for HEAD,
    as 304 when the request's own conditions hold (RFC 9111 §4.3.2), as 206 for one byte range."""
    age = ("Age", str(int(entry.age(now))))
    if not request.names.isdisjoint(conditional.REQUEST_FIELDS) and conditional.not_modified(request.headers, entry.status, entry.headers):
        return Response(304, "Not Modified", conditional.not_modified_headers(entry.headers) + [age], b"")
    headers, body = without(entry.headers, "age"), entry.body
    span = ranges.byte_range(request.headers, entry.headers, len(body)) if entry.status == 200 and "range" in request.names else None
    if span is not None:
        first, last = span
        return Response(206, "Partial Content", ranges.partial_headers(headers, first, last, len(body)) + [age], b"" if request.method == "HEAD" else body[first : last + 1])
    return Response(entry.status, entry.reason, headers + [age], b"" if request.method == "HEAD" else body)


async def _tee(body: AsyncIterator[bytes], keep: Callable[[bytes], Awaitable[None]], limit: int, done: Callable[[], None]) -> AsyncIterator[bytes]:
    """Pass a streamed body through, keeping a copy only if it arrives whole and within `limit`;
    `done` runs however it ends."""
    try:
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
    finally:
        done()


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
