"""End to end: edgehooks on a real port in front of a real origin, with real worker processes."""

from __future__ import annotations

import asyncio

from aiohttp import web

PLAIN = """
[origins.site]
url = "{origin}"

[[behaviors]]
path = "*"
origin = "site"
"""


async def test_forwards_any_method_with_path_query_and_body_intact(edgehooks, origin):
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    for method in ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "FOO"]:
        # A path per method: a HEAD after a cacheable GET of the same path is a cache hit.
        r = await proxy.request(method, f"/a%20b/{method}?x=1&y=%2F&x=2", content=b"payload" if method in ("POST", "PUT", "PATCH", "FOO") else None)
        assert r.status_code == 200, method
        seen = origin.received[-1]
        assert (seen["method"], seen["path"], seen["query"]) == (method, f"/a b/{method}", "x=1&y=%2F&x=2")
        if method in ("POST", "PUT", "PATCH", "FOO"):
            assert seen["body"] == b"payload"


async def test_large_bodies_stream_both_ways_unchanged(edgehooks, origin):
    blob = bytes(range(256)) * (6 * 4096)  # 6 MiB

    async def echo(request):
        return web.Response(body=origin.received[-1]["body"], headers={"Cache-Control": "no-store"})  # dispatch read it

    origin.route("/echo", echo)
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    r = await proxy.request("PUT", "/echo", content=blob)
    assert r.status_code == 200 and r.content == blob


async def test_hop_by_hop_dropped_and_via_xff_added(edgehooks, origin):
    async def answer(request):
        return web.Response(text="ok", headers={"Connection": "x-secret", "X-Secret": "1", "Keep-Alive": "timeout=5", "X-Kept": "yes"})

    origin.route("/h", answer)
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    r = await proxy.get("/h", headers={"Connection": "keep-alive, x-drop-me", "X-Drop-Me": "1", "X-Forwarded-For": "203.0.113.9", "TE": "trailers", "X-Keep": "1"})
    seen = origin.received[-1]["headers"]
    assert "X-Drop-Me" not in seen and "TE" not in seen and seen["X-Keep"] == "1"
    assert seen["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"
    assert seen["Via"].endswith("(edgehooks)")
    assert seen["Host"] == origin.url.removeprefix("http://")
    assert "x-secret" not in r.headers and "keep-alive" not in r.headers and r.headers["x-kept"] == "yes"
    assert r.headers["via"].endswith("(edgehooks)")


async def test_origin_unreachable_is_502_and_slow_origin_is_504(edgehooks, origin):
    async def slow(request):
        await asyncio.sleep(3)
        return web.Response(text="late")

    origin.route("/slow", slow)
    proxy = await edgehooks(
        f"""
        [origins.site]
        url = "{origin.url}"
        read_timeout = "1s"
        [origins.down]
        url = "http://127.0.0.1:9"
        [[behaviors]]
        path = "/down/*"
        origin = "down"
        [[behaviors]]
        path = "*"
        origin = "site"
        """
    )
    r = await proxy.get("/down/x")
    assert r.status_code == 502 and r.headers["x-cache"] == "Error from edgehooks"
    r = await proxy.get("/slow")
    assert r.status_code == 504 and r.headers["x-cache"] == "Error from edgehooks"
    assert (await proxy.get("/fine")).status_code == 200


async def test_cache_hit_miss_age_and_query_keying(edgehooks, origin):
    proxy = await edgehooks(
        f"""
        [origins.site]
        url = "{origin.url}"
        [[behaviors]]
        path = "/q/*"
        origin = "site"
        cache = {{ query_strings = ["v"] }}
        [[behaviors]]
        path = "*"
        origin = "site"
        """
    )
    first = await proxy.get("/page")
    second = await proxy.get("/page")
    assert first.headers["x-cache"] == "Miss from edgehooks"
    assert second.headers["x-cache"] == "Hit from edgehooks" and second.text == first.text
    assert int(second.headers["age"]) >= 0
    assert origin.hits("/page") == 1
    # The default behavior's policy ignores query strings; /q/* keys on "v" only.
    assert (await proxy.get("/page?a=1")).headers["x-cache"] == "Hit from edgehooks"
    await proxy.get("/q/x?v=1&junk=1")
    assert (await proxy.get("/q/x?v=1&junk=2")).headers["x-cache"] == "Hit from edgehooks"
    assert (await proxy.get("/q/x?v=2")).headers["x-cache"] == "Miss from edgehooks"
    assert (await proxy.request("HEAD", "/page")).headers["x-cache"] == "Hit from edgehooks"


async def test_cache_control_basics(edgehooks, origin):
    for path, cc in {"/nostore": "no-store", "/private": "private, max-age=60", "/nocache": "no-cache", "/zero": "max-age=0"}.items():

        async def answer(request, cc=cc):
            return web.Response(text="x", headers={"Cache-Control": cc})

        origin.route(path, answer)

    async def expires(request):
        return web.Response(text="x", headers={"Expires": "Thu, 01 Jan 2037 00:00:00 GMT", "Date": "Thu, 01 Jan 2037 00:00:00 GMT"})

    origin.route("/expired", expires)
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    for path in ["/nostore", "/private", "/nocache", "/zero", "/expired"]:
        await proxy.get(path)
        assert (await proxy.get(path)).headers["x-cache"] == "Miss from edgehooks", path
        assert origin.hits(path) == 2


async def test_behavior_ttls_bound_the_origin(edgehooks, origin):
    async def long(request):
        return web.Response(text="x", headers={"Cache-Control": "max-age=99999"})

    async def nostore(request):
        return web.Response(text="x", headers={"Cache-Control": "no-store"})

    origin.route("/long", long)
    origin.route("/nostore", nostore)
    proxy = await edgehooks(
        f"""
        [origins.site]
        url = "{origin.url}"
        [[behaviors]]
        path = "*"
        origin = "site"
        cache = {{ min_ttl = 30, default_ttl = 60, max_ttl = 100 }}
        """
    )
    # With min_ttl > 0 even no-store is kept for min_ttl, as CloudFront does.
    await proxy.get("/nostore")
    assert (await proxy.get("/nostore")).headers["x-cache"] == "Hit from edgehooks"
    await proxy.get("/long")
    proxy.node.pipeline.clock = lambda real=proxy.node.pipeline.clock: real() + 101
    assert (await proxy.get("/long")).headers["x-cache"] == "Miss from edgehooks"  # max_ttl cut 99999 to 100


async def test_folder_origin_serves_files_and_blocks_traversal(edgehooks, tmp_path):
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    (site / "docs" / "a.html").write_text("<h1>a</h1>")
    (tmp_path / "secret.txt").write_text("secret")
    proxy = await edgehooks(
        """
        [origins.bucket]
        path = "site"
        [[behaviors]]
        path = "*"
        origin = "bucket"
        """
    )
    r = await proxy.get("/docs/a.html")
    assert r.status_code == 200 and r.text == "<h1>a</h1>" and r.headers["content-type"] == "text/html"
    etag = r.headers["etag"]
    assert (await proxy.get("/docs/missing.html")).status_code == 404
    for attack in ["/../secret.txt", "/docs/..%2f..%2fsecret.txt", "/%2e%2e/secret.txt"]:
        r = await proxy.get(attack)
        assert r.status_code in (400, 404) and "secret" not in r.text, attack
    assert etag.startswith('"')


async def test_many_concurrent_requests_get_their_own_answers(edgehooks, origin):
    async def echo(request):
        await asyncio.sleep(0.01)
        return web.Response(text=request.query["n"], headers={"Cache-Control": "no-store"})

    origin.route("/echo", echo)
    proxy = await edgehooks(
        f"""
        [origins.site]
        url = "{origin.url}"
        [functions.tag]
        handler = "tag.py:handler"
        concurrency = 4
        [[behaviors]]
        path = "*"
        origin = "site"
        viewer-request = "tag"
        cache = {{ query_strings = "all" }}
        """,
        {
            "tag.py": """
            def handler(event, context):
                request = event["Records"][0]["cf"]["request"]
                n = request["querystring"].split("=")[1]
                request["headers"]["x-n"] = [{"key": "X-N", "value": n}]
                return request
            """
        },
    )
    results = await asyncio.gather(*(proxy.get(f"/echo?n={i}") for i in range(80)), return_exceptions=True)
    ok = [r for r in results if not isinstance(r, Exception) and r.status_code == 200]
    throttled = [r for r in results if not isinstance(r, Exception) and r.status_code == 503]
    assert len(ok) + len(throttled) == 80
    assert all(r.text == r.request.url.params["n"] for r in ok)
    assert all(r.headers["x-cache"] == "LambdaLimitExceeded from edgehooks" for r in throttled)
    assert len(ok) >= 4
    by_n = {r["query"].split("=")[1]: r["headers"]["X-N"] for r in origin.received}
    assert all(k == v for k, v in by_n.items())


async def test_error_body_is_cloudfronts_html_page(edgehooks, origin):
    proxy = await edgehooks(
        f"""
        [origins.site]
        url = "{origin.url}"
        [functions.boom]
        handler = "boom.py:handler"
        [[behaviors]]
        path = "*"
        origin = "site"
        viewer-request = "boom"
        """,
        {"boom.py": "def handler(event, context):\n    raise RuntimeError('boom')\n"},
    )
    r = await proxy.get("/x")
    assert r.status_code == 503
    assert r.headers["content-type"] == "text/html" and "503 ERROR" in r.text and r.headers["x-amz-cf-id"] in r.text
