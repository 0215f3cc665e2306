"""End to end: edgehooks as a shared cache (RFC 9111, RFC 9213, RFC 5861, CloudFront's knobs) in
front of a real origin whose answers each test scripts. Time passes by moving the pipeline's
clock; the origin dates its answers by the same clock, as a real origin's clock would run."""

from __future__ import annotations

import asyncio
from email.utils import formatdate

from aiohttp import web

RFC = """
[origins.site]
url = "{origin}"

[[behaviors]]
path = "*"
origin = "site"
cache = {{ default_ttl = 0, query_strings = "all" {extra} }}
"""


class Clock:
    def __init__(self, proxy):
        self.offset = 0.0
        self._real = proxy.node.pipeline.clock
        proxy.node.pipeline.clock = self

    def __call__(self) -> float:
        return self._real() + self.offset

    def date(self, offset: float = 0) -> str:
        return formatdate(self() + offset, usegmt=True)


async def start(edgehooks, origin, extra="", **routes):
    for path, handler in routes.items():
        origin.route("/" + path, handler)
    proxy = await edgehooks(RFC.format(origin=origin.url, extra=extra))
    return proxy, Clock(proxy)


def answer(clock_ref, status=200, body="x", **headers):
    """A scripted origin answer dated by the test's clock."""

    async def handler(request):
        fields = {k.replace("_", "-"): v for k, v in headers.items()}
        fields.setdefault("Date", clock_ref[0].date())
        return web.Response(status=status, text=body if status not in (204, 304) else None, headers=fields)

    return handler


async def test_age_counts_upstream_age_and_time_in_cache(edgehooks, origin):
    clock = [None]
    proxy, clock[0] = await start(edgehooks, origin, a=answer(clock, Cache_Control="max-age=600", Age="30"))
    first = await proxy.get("/a")
    assert first.headers["x-cache"] == "Miss from edgehooks" and first.headers["age"] == "30"
    clock[0].offset = 100
    hit = await proxy.get("/a")
    assert hit.headers["x-cache"] == "Hit from edgehooks" and 130 <= int(hit.headers["age"]) <= 132
    assert hit.headers["date"] == first.headers["date"]  # a cache never rewrites Date
    clock[0].offset = 571  # 30 + 571 > 600
    assert (await proxy.get("/a")).headers["x-cache"] == "Miss from edgehooks"


async def test_age_beyond_max_age_is_stale_on_arrival(edgehooks, origin):
    clock = [None]
    proxy, clock[0] = await start(edgehooks, origin, a=answer(clock, Cache_Control="max-age=10", Age="15"))
    await proxy.get("/a")
    assert (await proxy.get("/a")).headers["x-cache"] == "Miss from edgehooks"
    assert origin.hits("/a") == 2


async def test_nothing_without_freshness_when_default_ttl_is_0_but_last_modified_is_heuristic(edgehooks, origin):
    clock = [None]
    proxy, clock[0] = await start(
        edgehooks,
        origin,
        plain=answer(clock),
        old=answer(clock, Last_Modified=formatdate(0, usegmt=True)),
        created=answer(clock, status=201, Last_Modified=formatdate(0, usegmt=True)),
    )
    for path, second in [("/plain", "Miss"), ("/old", "Hit"), ("/created", "Miss")]:
        await proxy.get(path)
        assert (await proxy.get(path)).headers["x-cache"] == f"{second} from edgehooks", path


async def test_statuses_other_than_200_are_cached_when_the_response_allows(edgehooks, origin):
    clock = [None]
    routes = {f"s{status}": answer(clock, status=status, Cache_Control="max-age=60") for status in (203, 204, 301, 302, 307, 404, 410, 500, 503)}
    proxy, clock[0] = await start(edgehooks, origin, **routes)
    for path in routes:
        first = await proxy.get("/" + path)
        second = await proxy.get("/" + path)
        assert second.headers["x-cache"] == "Hit from edgehooks" and second.status_code == first.status_code, path
        assert origin.hits("/" + path) == 1


async def test_response_directives(edgehooks, origin):
    clock = [None]
    routes = {
        "private": answer(clock, Cache_Control="private, max-age=3600"),
        "nostore": answer(clock, Cache_Control="max-age=3600, nO-sToRe"),
        "smaxage": answer(clock, Cache_Control="max-age=3600, s-maxage=0"),
        "quoted": answer(clock, Cache_Control='extension="max-age=3600", max-age=0'),
        "spaced": answer(clock, Cache_Control="max-age =3600"),
        "cdn": answer(clock, Cache_Control="no-store", CDN_Cache_Control="max-age=3600"),
        "cdnshort": answer(clock, Cache_Control="max-age=3600", CDN_Cache_Control="max-age=0"),
        "ours": answer(clock, CDN_Cache_Control="no-store", Edgehooks_CDN_Cache_Control="max-age=3600"),
        "badcdn": answer(clock, Cache_Control="no-store", CDN_Cache_Control="max-age=3600, &&&"),
    }
    proxy, clock[0] = await start(edgehooks, origin, **routes)
    expected = {"private": 2, "nostore": 2, "smaxage": 2, "quoted": 2, "spaced": 2, "cdn": 1, "cdnshort": 2, "ours": 1, "badcdn": 2}
    for path in routes:
        await proxy.get("/" + path)
        await proxy.get("/" + path)
        assert origin.hits("/" + path) == expected[path], path


async def test_qualified_no_cache_and_connection_fields_are_not_stored(edgehooks, origin):
    async def a(request):
        return web.Response(text="x", headers={"Cache-Control": 'no-cache="X-A", max-age=60', "X-A": "1", "X-B": "2", "Connection": "x-c", "X-C": "3"})

    proxy, _ = await start(edgehooks, origin, a=a)
    first = await proxy.get("/a")
    assert first.headers["x-a"] == "1"  # the viewer of the miss gets everything the origin may send on
    hit = await proxy.get("/a")
    assert hit.headers["x-cache"] == "Hit from edgehooks" and hit.headers["x-b"] == "2"
    assert "x-a" not in hit.headers and "x-c" not in hit.headers


async def test_authorization_is_stored_only_when_the_response_allows(edgehooks, origin):
    clock = [None]
    proxy, clock[0] = await start(edgehooks, origin, plain=answer(clock, Cache_Control="max-age=60"), public=answer(clock, Cache_Control="public, max-age=60"))
    for path, hits in [("/plain", 2), ("/public", 1)]:
        await proxy.get(path, headers={"Authorization": "Basic eDp5"})
        await proxy.get(path, headers={"Authorization": "Basic eDp5"})
        assert origin.hits(path) == hits, path


async def test_request_directives(edgehooks, origin):
    clock = [None]
    proxy, clock[0] = await start(edgehooks, origin, a=answer(clock, Cache_Control="max-age=100"))
    await proxy.get("/a")
    clock[0].offset = 50
    assert (await proxy.get("/a", headers={"Cache-Control": "max-age=60"})).headers["x-cache"] == "Hit from edgehooks"
    assert (await proxy.get("/a", headers={"Cache-Control": "min-fresh=60"})).headers["x-cache"] == "Miss from edgehooks"
    clock[0].offset = 150  # the refetched copy is now 100 s old: stale
    assert (await proxy.get("/a", headers={"Cache-Control": "max-stale=60"})).headers["x-cache"] == "Hit from edgehooks"
    assert (await proxy.get("/a", headers={"Cache-Control": "no-cache"})).headers["x-cache"] == "Miss from edgehooks"
    assert (await proxy.get("/a", headers={"Pragma": "no-cache"})).headers["x-cache"] == "Miss from edgehooks"
    assert origin.hits("/a") == 4


async def test_request_no_store_keeps_the_answer_out_of_the_cache(edgehooks, origin):
    clock = [None]
    proxy, clock[0] = await start(edgehooks, origin, a=answer(clock, Cache_Control="max-age=100"))
    await proxy.get("/a", headers={"Cache-Control": "no-store"})
    assert (await proxy.get("/a")).headers["x-cache"] == "Miss from edgehooks"
    assert (await proxy.get("/a", headers={"Cache-Control": "no-store"})).headers["x-cache"] == "Hit from edgehooks"  # §5.2.1.5: what is stored may serve it


async def test_only_if_cached_without_a_stored_response_is_504(edgehooks, origin):
    clock = [None]
    proxy, clock[0] = await start(edgehooks, origin, a=answer(clock, Cache_Control="max-age=100"))
    r = await proxy.get("/a", headers={"Cache-Control": "only-if-cached"})
    assert r.status_code == 504 and origin.hits("/a") == 0
    await proxy.get("/a")
    r = await proxy.get("/a", headers={"Cache-Control": "only-if-cached"})
    assert r.status_code == 200 and r.headers["x-cache"] == "Hit from edgehooks"


async def test_vary_selects_variants_and_star_never_matches(edgehooks, origin):
    async def negotiated(request):
        return web.Response(text=f"foo={request.headers.get('Foo')}", headers={"Cache-Control": "max-age=60", "Vary": "Foo"})

    async def star(request):
        return web.Response(text="x", headers={"Cache-Control": "max-age=60", "Vary": "*"})

    proxy, _ = await start(edgehooks, origin, v=negotiated, star=star)
    assert (await proxy.get("/v", headers={"Foo": "1"})).text == "foo=1"
    assert (await proxy.get("/v", headers={"Foo": "2"})).text == "foo=2"
    for foo in ("1", "2"):  # a newer variant does not push out an older one
        r = await proxy.get("/v", headers={"Foo": foo})
        assert r.headers["x-cache"] == "Hit from edgehooks" and r.text == f"foo={foo}"
    await proxy.get("/v", headers={"Foo": "a,b"})
    hit = await proxy.get("/v", headers={"Foo": "a , b"})  # normalised: whitespace around elements is no difference
    assert hit.headers["x-cache"] == "Hit from edgehooks" and hit.text == "foo=a,b"
    r = await proxy.get("/v")
    assert r.headers["x-cache"] == "Miss from edgehooks" and r.text == "foo=None"
    assert origin.hits("/v") == 4
    await proxy.get("/star")
    assert (await proxy.get("/star")).headers["x-cache"] == "Miss from edgehooks"


async def test_unsafe_methods_invalidate_target_location_and_every_variant(edgehooks, origin):
    async def page(request):
        return web.Response(text=f"{request.path} {request.headers.get('Foo')}", headers={"Cache-Control": "max-age=600", "Vary": "Foo"})

    async def change(request):
        if request.method == "PATCH":
            return web.Response(status=500, text="failed")
        return web.Response(status=201, text="ok", headers={"Location": "/other", "Content-Location": f"{origin.url}/third"})

    proxy, _ = await start(edgehooks, origin, page=page, other=page, third=page, far=page)
    origin.route("/page", lambda r: change(r) if r.method not in ("GET", "HEAD") else page(r))
    for path in ("/page", "/other", "/third"):
        for foo in ("1", "2"):
            await proxy.get(path, headers={"Foo": foo})
    await proxy.request("PATCH", "/page", content=b"x")  # a failed change invalidates nothing
    assert (await proxy.get("/page", headers={"Foo": "1"})).headers["x-cache"] == "Hit from edgehooks"
    await proxy.request("POST", "/page", content=b"x", headers={"Foo": "1"})
    for path in ("/page", "/other"):
        for foo in ("1", "2"):
            assert (await proxy.get(path, headers={"Foo": foo})).headers["x-cache"] == "Miss from edgehooks", (path, foo)
    # The Content-Location names the origin's host, not this one's: another site's URI is left alone.
    assert (await proxy.get("/third", headers={"Foo": "1"})).headers["x-cache"] == "Hit from edgehooks"
    # An unknown method invalidates too.
    async def search(request):
        return web.Response(text="ok") if request.method == "M-SEARCH" else await page(request)

    origin.route("/page", search)
    await proxy.request("M-SEARCH", "/page")
    assert (await proxy.get("/page", headers={"Foo": "1"})).headers["x-cache"] == "Miss from edgehooks"


async def test_revalidation_304_freshens_stored_headers(edgehooks, origin):
    clock = [None]
    seen = []

    async def a(request):
        seen.append((request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")))
        headers = {"Cache-Control": "max-age=10", "ETag": '"v1"', "Date": clock[0].date(), "Last-Modified": "Tue, 15 Nov 1994 12:45:26 GMT"}
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers=headers | {"X-Version": "new", "Cache-Control": "max-age=3600"})
        return web.Response(text="body", headers=headers | {"X-Version": "old"})

    proxy, clock[0] = await start(edgehooks, origin, a=a)
    await proxy.get("/a")
    clock[0].offset = 20
    refreshed = await proxy.get("/a", headers={"If-None-Match": '"viewer"'})
    assert refreshed.status_code == 200 and refreshed.text == "body"
    assert refreshed.headers["x-cache"] == "RefreshHit from edgehooks" and refreshed.headers["x-version"] == "new"
    assert seen[-1] == ('"v1"', "Tue, 15 Nov 1994 12:45:26 GMT")  # the cache's validators, not the viewer's
    clock[0].offset = 100  # fresh again for an hour from the 304
    hit = await proxy.get("/a")
    assert hit.headers["x-cache"] == "Hit from edgehooks" and hit.headers["x-version"] == "new" and hit.text == "body"
    assert len(seen) == 2


async def test_a_304_for_another_representation_does_not_freshen(edgehooks, origin):
    clock = [None]
    answers = iter([("200", '"v1"'), ("304", '"v2"'), ("200", '"v2"')])

    async def a(request):
        status, etag = next(answers)
        return web.Response(status=int(status), text=None if status == "304" else f"body {etag}", headers={"Cache-Control": "max-age=10", "ETag": etag, "Date": clock[0].date()})

    proxy, clock[0] = await start(edgehooks, origin, a=a)
    await proxy.get("/a")
    clock[0].offset = 20
    r = await proxy.get("/a")  # RFC 9111 §4.3.4: not used to freshen; asked again unconditionally
    assert r.status_code == 200 and r.text == 'body "v2"' and r.headers["x-cache"] == "Miss from edgehooks"
    assert origin.hits("/a") == 3
    assert (await proxy.get("/a")).headers["x-cache"] == "Hit from edgehooks"


async def test_viewer_conditionals_are_answered_from_a_fresh_entry(edgehooks, origin):
    clock = [None]
    lm = formatdate(0, usegmt=True)
    proxy, clock[0] = await start(edgehooks, origin, a=answer(clock, Cache_Control="max-age=60", ETag='"abc"', Last_Modified=lm, Content_Type="text/plain"))
    await proxy.get("/a")
    r = await proxy.get("/a", headers={"If-None-Match": 'W/"abc", "x"'})
    assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == '"abc"' and "age" in r.headers
    assert "content-type" not in r.headers and r.headers["x-cache"] == "Hit from edgehooks"
    assert (await proxy.get("/a", headers={"If-Modified-Since": lm})).status_code == 304
    assert (await proxy.get("/a", headers={"If-None-Match": '"zzz"', "If-Modified-Since": lm})).status_code == 200
    assert (await proxy.request("HEAD", "/a", headers={"If-None-Match": '"abc"'})).status_code == 304
    assert origin.hits("/a") == 1


async def test_stale_if_error_and_must_revalidate(edgehooks, origin):
    clock = [None]
    state = {"down": False}

    def flaky(cc):
        async def handler(request):
            if state["down"]:
                return web.Response(status=503, text="down")
            return web.Response(text=f"good {cc}", headers={"Cache-Control": cc, "Date": clock[0].date()})

        return handler

    proxy, clock[0] = await start(
        edgehooks,
        origin,
        sie=flaky("max-age=10, stale-if-error=60"),
        plain=flaky("max-age=10"),
        strict=flaky("max-age=10, must-revalidate"),
    )
    for path in ("/sie", "/plain", "/strict"):
        await proxy.get(path)
    state["down"] = True
    clock[0].offset = 30
    for path in ("/sie", "/plain"):
        r = await proxy.get(path)
        assert r.status_code == 200 and r.text.startswith("good") and r.headers["x-cache"] == "Hit from edgehooks", path
        assert int(r.headers["age"]) >= 30
    assert (await proxy.get("/strict")).status_code == 503  # the origin's own answer: never the stale one
    clock[0].offset = 100  # beyond stale-if-error's minute
    assert (await proxy.get("/sie")).status_code == 503


async def test_origin_down_serves_stale_but_never_a_must_revalidate_one(edgehooks, origin):
    clock = [None]
    proxy, clock[0] = await start(edgehooks, origin, plain=answer(clock, Cache_Control="max-age=10"), strict=answer(clock, Cache_Control="max-age=10, proxy-revalidate"))
    await proxy.get("/plain")
    await proxy.get("/strict")

    async def hang_up(request):
        request.transport.close()  # the connection drops before any answer
        return web.Response()

    origin.route("/plain", hang_up)
    origin.route("/strict", hang_up)
    clock[0].offset = 30
    r = await proxy.get("/plain")
    assert r.status_code == 200 and r.headers["x-cache"] == "Hit from edgehooks"
    assert (await proxy.get("/strict")).status_code == 504  # RFC 9111 §5.2.2.2: an error, never the stale one


async def test_stale_while_revalidate_serves_stale_and_refreshes_in_the_background(edgehooks, origin):
    clock = [None]
    version = {"n": 0}

    async def a(request):
        version["n"] += 1
        return web.Response(text=f"v{version['n']}", headers={"Cache-Control": "max-age=10, stale-while-revalidate=60", "Date": clock[0].date()})

    proxy, clock[0] = await start(edgehooks, origin, a=a)
    await proxy.get("/a")
    clock[0].offset = 30
    stale = await proxy.get("/a")
    assert stale.text == "v1" and stale.headers["x-cache"] == "Hit from edgehooks"
    for _ in range(100):
        if origin.hits("/a") == 2 and not proxy.node.pipeline._background:
            break
        await asyncio.sleep(0.02)
    fresh = await proxy.get("/a")
    assert fresh.text == "v2" and fresh.headers["x-cache"] == "Hit from edgehooks"
    assert origin.hits("/a") == 2


async def test_background_refresh_does_not_outlive_the_node(edgehooks, origin):
    clock = [None]
    started, release = asyncio.Event(), asyncio.Event()

    async def a(request):
        if origin.hits("/a") > 1:
            started.set()
            await release.wait()
        return web.Response(text="x", headers={"Cache-Control": "max-age=1, stale-while-revalidate=600", "Date": clock[0].date()})

    proxy, clock[0] = await start(edgehooks, origin, a=a)
    await proxy.get("/a")
    clock[0].offset = 5
    assert (await proxy.get("/a")).headers["x-cache"] == "Hit from edgehooks"
    await asyncio.wait_for(started.wait(), 10)
    tasks = set(proxy.node.pipeline._background)
    assert tasks
    await proxy.node.close()
    release.set()
    assert all(t.done() for t in tasks) and not proxy.node.pipeline._background


async def test_concurrent_misses_make_one_origin_fetch(edgehooks, origin):
    async def slow(request):
        await asyncio.sleep(0.3)
        return web.Response(text="shared", headers={"Cache-Control": "max-age=60"})

    proxy, _ = await start(edgehooks, origin, slow=slow)
    results = await asyncio.gather(*(proxy.get("/slow") for _ in range(10)))
    assert all(r.status_code == 200 and r.text == "shared" for r in results)
    assert origin.hits("/slow") == 1
    assert sorted(r.headers["x-cache"] for r in results) == ["Hit from edgehooks"] * 9 + ["Miss from edgehooks"]


async def test_collapsed_waiters_never_get_an_uncacheable_answer_meant_for_another(edgehooks, origin):
    async def personal(request):
        await asyncio.sleep(0.2)
        return web.Response(text=request.headers["X-User"], headers={"Cache-Control": "private, max-age=60"})

    proxy, _ = await start(edgehooks, origin, me=personal)
    results = await asyncio.gather(*(proxy.get("/me", headers={"X-User": f"user{i}"}) for i in range(5)))
    assert [r.text for r in results] == [f"user{i}" for i in range(5)]
    assert origin.hits("/me") == 5


async def test_cookies_in_the_cache_key(edgehooks, origin):
    async def echo(request):
        return web.Response(text=request.headers.get("Cookie", ""), headers={"Cache-Control": "max-age=60"})

    origin.route("/c", echo)
    proxy = await edgehooks(RFC.format(origin=origin.url, extra=', cookies = ["lang"]'))
    assert (await proxy.get("/c", headers={"Cookie": "lang=de; session=1"})).headers["x-cache"] == "Miss from edgehooks"
    hit = await proxy.get("/c", headers={"Cookie": "session=2; lang=de"})
    assert hit.headers["x-cache"] == "Hit from edgehooks" and hit.text == "lang=de; session=1"
    assert (await proxy.get("/c", headers={"Cookie": "lang=fr"})).headers["x-cache"] == "Miss from edgehooks"
    assert (await proxy.get("/c")).headers["x-cache"] == "Miss from edgehooks"


async def test_origin_response_changes_are_stored_viewer_response_runs_on_every_answer(edgehooks, origin):
    origin.route("/a", lambda r: _fresh("origin"))
    proxy = await edgehooks(
        f"""
        [origins.site]
        url = "{origin.url}"
        [functions.stamp]
        handler = "stamp.py:origin"
        [functions.count]
        handler = "stamp.py:viewer"
        [[behaviors]]
        path = "*"
        origin = "site"
        origin-response = "stamp"
        viewer-response = "count"
        """,
        {
            "stamp.py": """
            import itertools
            counter = itertools.count()
            def origin(event, context):
                response = event["Records"][0]["cf"]["response"]
                response["headers"]["x-stamp"] = [{"key": "X-Stamp", "value": str(next(counter))}]
                return response
            def viewer(event, context):
                response = event["Records"][0]["cf"]["response"]
                response["headers"]["x-viewer"] = [{"key": "X-Viewer", "value": "yes"}]
                return response
            """
        },
    )
    first, second = await proxy.get("/a"), await proxy.get("/a")
    assert second.headers["x-cache"] == "Hit from edgehooks"
    assert first.headers["x-stamp"] == second.headers["x-stamp"] == "0"
    assert first.headers["x-viewer"] == second.headers["x-viewer"] == "yes"


async def _fresh(text):
    return web.Response(text=text, headers={"Cache-Control": "max-age=60"})


async def test_head_goes_through_for_a_stale_entry_and_freshens_it(edgehooks, origin):
    clock = [None]
    served = {"cc": "max-age=10", "x": "1"}

    async def a(request):
        return web.Response(text="body", headers={"Cache-Control": served["cc"], "X-Version": served["x"], "ETag": '"e"', "Date": clock[0].date()})

    proxy, clock[0] = await start(edgehooks, origin, a=a)
    await proxy.get("/a")
    clock[0].offset = 20
    served.update(cc="max-age=3600", x="2")
    head = await proxy.request("HEAD", "/a")
    assert head.headers["x-cache"] == "Miss from edgehooks" and origin.received[-1]["method"] == "HEAD"
    hit = await proxy.get("/a")
    assert hit.headers["x-cache"] == "Hit from edgehooks" and hit.headers["x-version"] == "2" and hit.text == "body"
    assert origin.hits("/a") == 2


async def test_byte_ranges_are_served_from_a_stored_response(edgehooks, origin):
    clock = [None]
    proxy, clock[0] = await start(edgehooks, origin, a=answer(clock, body="0123456789A", Cache_Control="max-age=60", ETag='"v1"'))
    await proxy.get("/a")
    for wanted, status, text in [("bytes=0-1", 206, "01"), ("bytes=1-", 206, "123456789A"), ("bytes=-1", 206, "A"), ("bytes=0-1,3-4", 200, "0123456789A")]:
        r = await proxy.get("/a", headers={"Range": wanted})
        assert (r.status_code, r.text, r.headers["x-cache"]) == (status, text, "Hit from edgehooks"), wanted
    r = await proxy.get("/a", headers={"Range": "bytes=-1"})
    assert r.headers["content-range"] == "bytes 10-10/11" and r.headers["content-length"] == "1"
    assert origin.hits("/a") == 1


async def test_a_leader_whose_answer_is_never_read_does_not_hold_its_key_forever(edgehooks, origin):
    """A failing viewer-response drops the origin's streamed answer unread, so it is never stored
    and its fetch never lands; the next request waits at most the origin's read_timeout."""
    origin.route("/a", lambda r: _fresh("x"))
    proxy = await edgehooks(
        f"""
        [origins.site]
        url = "{origin.url}"
        read_timeout = "1s"
        [functions.boom]
        handler = "boom.py:handler"
        [[behaviors]]
        path = "*"
        origin = "site"
        viewer-response = "boom"
        """,
        {"boom.py": "def handler(event, context):\n    raise RuntimeError('boom')\n"},
    )
    assert (await proxy.get("/a")).status_code == 503
    r = await asyncio.wait_for(proxy.get("/a"), 10)
    assert r.status_code == 503 and origin.hits("/a") == 2
