"""Answers from memory are written by edgehooks.wire, not aiohttp: the framing a viewer relies on
(keep-alive per HTTP version, lengths for HEAD and 304, the Date and Server a response lacks, a
large body to a slow reader) on real sockets, and header injection refused."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from edgehooks.messages import Response
from edgehooks.wire import whole_response

CACHED = """
[origins.site]
url = "{origin}"

[origins.folder]
path = "{folder}"

[[behaviors]]
path = "/files/*"
origin = "folder"

[[behaviors]]
path = "*"
origin = "site"
"""


async def _exchange(url: str, data: str) -> bytes:
    """Send raw requests (with the Host the cache keys on, as {host}) and read until the proxy closes the connection."""
    authority = url.removeprefix("http://")
    host, port = authority.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(data.replace("{host}", authority).encode())
    try:
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


def _split(answer: bytes) -> tuple[bytes, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode().split("\r\n")
    return status.encode(), {k.lower(): v for k, _, v in (line.partition(": ") for line in lines)}, body


@pytest.fixture
async def proxy(edgehooks, origin, tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.txt").write_text("from the folder")
    proxy = await edgehooks(CACHED.format(origin=origin.url, folder=tmp_path))
    await proxy.get("/page")  # stored: every answer below is a hit
    await proxy.get("/files/a.txt")
    return proxy


async def test_http_1_0_keep_alive_and_close(proxy):
    # Two HTTP/1.0 requests on one connection: the first asks to keep it and is told so, the
    # second does not ask, so the connection ends after it.
    answer = await _exchange(proxy.url, "GET /page HTTP/1.0\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\nGET /page HTTP/1.0\r\nHost: {host}\r\n\r\n")
    first, second = answer.split(b"HTTP/1.0 200 OK\r\n")[1:]
    assert b"Connection: keep-alive\r\n" in first and b"X-Cache: Hit from edgehooks" in first
    assert b"Connection:" not in second and second.endswith(b"origin saw GET /page")


async def test_http_1_1_close_is_said_and_done(proxy):
    status, headers, body = _split(await _exchange(proxy.url, "GET /page HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"))
    assert status == b"HTTP/1.1 200 OK" and headers["connection"] == "close" and headers["x-cache"] == "Hit from edgehooks"
    assert body == b"origin saw GET /page" and headers["content-length"] == str(len(body))


async def test_head_keeps_the_length_without_a_body(proxy):
    status, headers, body = _split(await _exchange(proxy.url, "HEAD /page HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"))
    assert status == b"HTTP/1.1 200 OK" and headers["content-length"] == str(len("origin saw GET /page")) and body == b""


async def test_not_modified_has_no_length_nor_body(proxy):
    etag = (await proxy.get("/files/a.txt")).headers["etag"]
    raw = "GET /files/a.txt HTTP/1.1\r\nHost: {host}\r\nIf-None-Match: %s\r\nConnection: close\r\n\r\n" % etag
    status, headers, body = _split(await _exchange(proxy.url, raw))
    assert status == b"HTTP/1.1 304 Not Modified" and "content-length" not in headers and body == b""


async def test_a_response_without_date_gets_one(proxy):
    r = await proxy.get("/files/a.txt")
    assert r.headers["x-cache"] == "Hit from edgehooks" and r.headers["date"].endswith(" GMT") and r.text == "from the folder"


async def test_a_large_hit_reaches_a_slow_reader_whole(proxy, origin):
    big = bytes(range(256)) * 16 * 1024  # 4 MiB: far past the transport's write buffer

    async def large(_: web.Request) -> web.Response:
        return web.Response(body=big, headers={"Cache-Control": "max-age=60"})

    origin.route("/big", large)
    await proxy.get("/big")
    authority = proxy.url.removeprefix("http://")
    host, port = authority.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port), limit=1024)
    writer.write(f"GET /big HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n".encode())
    await asyncio.sleep(0.3)  # the proxy has filled the socket and waits for this reader
    received = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    assert b"X-Cache: Hit from edgehooks" in received and received.endswith(big)
    assert (await proxy.get("/page")).status_code == 200  # it served others meanwhile, and still does


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b", "a\n\rb", "a\x7f"])
def test_control_characters_in_a_field_are_refused(value):
    with pytest.raises(ValueError):
        whole_response((1, 1), "GET", Response(200, "OK", [("X-A", value)], b"body"), True)


def test_a_tab_is_fine():
    assert b"X-A: a\tb\r\n" in whole_response((1, 1), "GET", Response(200, "OK", [("X-A", "a\tb")], b"body"), True)
