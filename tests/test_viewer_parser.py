"""llhttp parses viewers' requests until one uses a method it does not know; the connection then
moves to the pure-Python parser without losing or misreading a request (edgehooks/viewer_parser.py)."""

from __future__ import annotations

import asyncio
import re

from tests.test_proxy import PLAIN


async def _exchange(url: str, *writes: bytes) -> bytes:
    """Each write on one connection, waiting for an answer after each but the last; all answers."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    answers = b""
    try:
        for data in writes[:-1]:
            writer.write(data)
            answers += await asyncio.wait_for(reader.readuntil(b"edgehooks)\r\n"), 10)  # the Via line
        writer.write(writes[-1])
        return answers + await asyncio.wait_for(reader.read(), 10)  # the last write says Connection: close
    finally:
        writer.close()


def _statuses(answers: bytes) -> list[bytes]:
    return re.findall(rb"HTTP/1\.1 (\d{3}) ", answers)  # bodies end without a line break


async def test_extension_method_pipelined_after_a_known_one_in_one_packet(edgehooks, origin):
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    answers = await _exchange(proxy.url, b"GET /a HTTP/1.1\r\nHost: a\r\n\r\nFOO /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert _statuses(answers) == [b"200", b"200"]
    assert [(r["method"], r["path"]) for r in origin.received] == [("GET", "/a"), ("FOO", "/b")]


async def test_extension_method_after_a_request_with_a_body_then_known_methods_again(edgehooks, origin):
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    answers = await _exchange(
        proxy.url,
        b"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        b"FOO /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
        b"GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    assert _statuses(answers) == [b"200", b"200", b"200"]
    assert [(r["method"], r["path"], r["body"]) for r in origin.received] == [("POST", "/a", b"hello"), ("FOO", "/b", b"abc"), ("GET", "/c", b"")]


async def test_invalid_method_is_still_refused_after_the_move(edgehooks, origin):
    proxy = await edgehooks(PLAIN.format(origin=origin.url))
    answers = await _exchange(proxy.url, b"FOO /a HTTP/1.1\r\nHost: a\r\n\r\n", b"G(T /b HTTP/1.1\r\nHost: a\r\n\r\n")
    assert _statuses(answers)[0] == b"200" and _statuses(answers)[1:] in ([], [b"400"])  # 400 or closed, as on llhttp
    assert [r["path"] for r in origin.received] == ["/a"]
