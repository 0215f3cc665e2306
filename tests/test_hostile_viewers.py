"""Hostile viewers on raw sockets: each malformed or smuggling request gets a 400 (or a closed
connection) and causes no origin request; path tricks and unkeyed headers cannot poison the cache."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
from aiohttp import web

PLAIN = """
[origins.site]
url = "{origin}"

[[behaviors]]
path = "/private/*"
origin = "site"
cache = false

[[behaviors]]
path = "*"
origin = "site"
"""


async def _raw(url: str, data: bytes) -> bytes:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(data)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(65536), 10)
    finally:
        writer.close()


async def _restarted(proxy, **settings) -> tuple[str, int]:
    """The proxy's node started again with other viewer-connection settings (read at accept time)."""
    for name, value in settings.items():
        setattr(proxy.node, name, value)
    await proxy.node.close()
    proxy.url = await proxy.node.start("127.0.0.1:0")
    host, port = proxy.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


REJECTED = {
    "Content-Length with Transfer-Encoding": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
    "two Content-Lengths": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
    "obs-fold": b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
    "bare LF": b"GET / HTTP/1.1\nHost: a\n\n",
    "invalid chunk size": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    "Content-Length +4": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +4\r\n\r\nabcd",
    "Content-Length -1": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
    "request line over 8 KiB": b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
    "header over 8 KiB": b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
    "invalid method": b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
    "target not a path": b"GET foo HTTP/1.1\r\nHost: a\r\n\r\n",
    "space in a header name": b"GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n",
    "NUL in a header value": b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n",
    "HTTP/0.9": b"GET /\r\n\r\n",
    "dot segments above the root": b"GET /../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n",
    "encoded dot segments above the root": b"GET /%2e%2E/%2e%2e/etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n",
    "ftp absolute-form": b"GET ftp://a/x HTTP/1.1\r\nHost: a\r\n\r\n",
}


@pytest.mark.parametrize("raw", REJECTED.values(), ids=REJECTED.keys())
async def test_rejected_with_400_and_no_origin_request(edgehooks, origin, raw):
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    answer = await _raw(proxy.url, raw)
    assert answer == b"" or answer.split(b"\r\n", 1)[0].split(b" ")[1] == b"400", answer[:200]
    assert origin.received == []
    assert (await proxy.get("/still-serving")).status_code == 200


async def test_dot_segments_are_resolved_before_behaviors(edgehooks, origin):
    # /public/../private/x is /private/x: the origin sees that, and the uncached behavior applies.
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    for _ in range(2):
        await _raw(proxy.url, b"GET /public/%2e%2e/private/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert [r["path"] for r in origin.received] == ["/private/x", "/private/x"]


async def test_absolute_form_target_uses_its_host(edgehooks, origin):
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    answer = await _raw(proxy.url, b"GET http://site.example/abs?q=1 HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200")
    assert (origin.received[-1]["path"], origin.received[-1]["query"]) == ("/abs", "q=1")


async def test_unkeyed_override_headers_cannot_poison_the_cache(edgehooks, origin):
    async def reflect(request):
        host = request.headers.get("X-Forwarded-Host", "site.example")
        return web.Response(text=f'<script src="//{host}/app.js">', headers={"Cache-Control": "max-age=60"})

    origin.route("/page", reflect)
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    poisoned = await proxy.get("/page", headers={"X-Forwarded-Host": "evil.example", "X-Original-URL": "/admin"})
    assert "evil.example" not in poisoned.text
    assert "x-forwarded-host" not in {k.lower() for k in origin.received[-1]["headers"]}
    assert "evil.example" not in (await proxy.get("/page")).text


async def test_override_header_in_the_cache_key_is_forwarded(edgehooks, origin):
    async def reflect(request):
        return web.Response(text=request.headers.get("X-Forwarded-Host", "none"), headers={"Cache-Control": "max-age=60"})

    origin.route("/page", reflect)
    keyed = PLAIN.format(origin=origin.url).replace('path = "*"\norigin = "site"', 'path = "*"\norigin = "site"\ncache = { headers = ["X-Forwarded-Host"] }')
    proxy = await edgehooks(keyed)
    assert (await proxy.get("/page", headers={"X-Forwarded-Host": "a.example"})).text == "a.example"
    assert (await proxy.get("/page", headers={"X-Forwarded-Host": "b.example"})).text == "b.example"


async def test_slowloris_headers_are_cut_off(edgehooks, origin):
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    host, port = await _restarted(proxy, header_timeout=0.5)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n")
    closed = False
    for i in range(40):  # up to ~4 s of trickling, far past the 0.5 s deadline
        await asyncio.sleep(0.1)
        try:
            writer.write(b"X-%d: y\r\n" % i)
            await writer.drain()
        except ConnectionError:
            closed = True
            break
        if reader.at_eof():
            closed = True
            break
    writer.close()
    assert closed and origin.received == []


async def test_a_later_request_on_a_kept_connection_gets_its_own_header_deadline(edgehooks, origin):
    # The first request is answered at once; the second trickles from 0.3 s on, so its deadline
    # falls after the one the connection started with, which must not close it early nor let it live.
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    host, port = await _restarted(proxy, header_timeout=0.5)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"GET /first HTTP/1.1\r\nHost: a\r\n\r\n")
    assert (await reader.readuntil(b"origin saw GET /first")).startswith(b"HTTP/1.1 200")
    await asyncio.sleep(0.3)
    started = asyncio.get_running_loop().time()
    writer.write(b"GET /second HTTP/1.1\r\nHost: a\r\n")
    for i in range(40):
        await asyncio.sleep(0.05)
        if reader.at_eof() or writer.is_closing():
            break
        writer.write(b"X-%d: y\r\n" % i)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, without an answer
    lasted = asyncio.get_running_loop().time() - started
    writer.close()
    assert lasted > 0.45, lasted  # its own 0.5 s, not what was left of the connection's first (0.2 s)
    assert [r["path"] for r in origin.received] == ["/first"]


@pytest.mark.parametrize("target", [b"p://].[@/", b"http://[/x", b"http://a]b/"])
async def test_a_target_the_url_parser_chokes_on_is_a_400_not_a_dropped_connection(edgehooks, origin, caplog, target):
    # Found by tests/fuzz/request_parsing.py: yarl raised IndexError/ValueError inside aiohttp's
    # parser, which is no parse error to aiohttp, so the connection died with a logged traceback.
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    answer = await _raw(proxy.url, b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    assert answer.split(b"\r\n", 1)[0].split(b" ")[1] == b"400", answer[:200]
    assert origin.received == []
    assert not [r for r in caplog.records if "Fatal error" in r.getMessage()]


async def test_a_flood_of_silent_connections_is_closed_and_others_are_still_served(edgehooks, origin):
    # A connection that never sends a byte held a socket forever: the header deadline only
    # started with the first byte, so silent connections could exhaust the proxy's descriptors.
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    host, port = await _restarted(proxy, header_timeout=0.5)
    silent = [await asyncio.open_connection(host, port) for _ in range(200)]
    async with httpx.AsyncClient(base_url=proxy.url) as client:
        assert (await client.get("/during-the-flood")).status_code == 200
    closed = await asyncio.gather(*(asyncio.wait_for(reader.read(), 5) for reader, _ in silent))
    assert closed == [b""] * len(silent)  # each closed by the proxy, without an answer
    for _, writer in silent:
        writer.close()


async def test_a_trickled_request_body_is_cut_off(edgehooks, origin):
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    host, port = await _restarted(proxy, body_timeout=0.5)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nab")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)  # waits for the proxy to close
    writer.close()
    assert answer == b"" or answer.split(b" ")[1] == b"408", answer[:200]
    assert [r for r in origin.received if r["path"] == "/upload"] == []  # no half body was passed on as whole


async def test_vary_keeps_one_viewers_variant_from_another(edgehooks, origin):
    # The origin answers by a header the behavior does not key on, and says so with Vary: the
    # cache must keep the variants apart, so one viewer's odd header cannot choose what others get.
    async def by_language(request):
        language = request.headers.get("X-Language", "none")
        return web.Response(text=f"page in {language}", headers={"Cache-Control": "max-age=60", "Vary": "x-language"})

    origin.route("/page", by_language)
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    evil = await proxy.get("/page", headers={"X-Language": "<script>evil</script>"})
    english = await proxy.get("/page", headers={"X-Language": "en"})
    again = await proxy.get("/page", headers={"X-Language": "en"})
    bare = await proxy.get("/page")
    assert evil.text == "page in <script>evil</script>"
    assert (english.text, english.headers["x-cache"]) == ("page in en", "Miss from edgehooks")
    assert (again.text, again.headers["x-cache"]) == ("page in en", "Hit from edgehooks")
    assert bare.text == "page in none"
    assert origin.hits("/page") == 3


async def test_a_viewer_that_leaves_before_its_answer_costs_no_error_log(edgehooks, origin, caplog):
    answered = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        answered.set()
        return web.Response(text="late", headers={"Cache-Control": "no-store"})

    origin.route("/slow", slow)
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    host, port = proxy.url.removeprefix("http://").rsplit(":", 1)
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
    await writer.drain()
    writer.close()  # gone before the origin answers
    await asyncio.wait_for(answered.wait(), 5)
    await asyncio.sleep(0.2)  # the proxy's attempt to answer
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
    assert (await proxy.get("/still-serving")).status_code == 200
