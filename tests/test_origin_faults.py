"""Origin faults as CloudFront reports them: 502 for a broken origin, 504 for a slow one, and a
response cut off mid-body is never cached. The origin here is a raw TCP server that misbehaves
on purpose."""

from __future__ import annotations

import asyncio

import httpx
import pytest

CONFIG = """
[origins.bad]
url = "http://127.0.0.1:{port}"
read_timeout = "1s"

[[behaviors]]
path = "*"
origin = "bad"
"""

HEAD_200 = b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"


@pytest.fixture
async def raw_origin():
    """start(script) → port; `script(reader, writer)` plays one connection; counts connections."""
    servers = []

    async def start(script) -> tuple[int, list[int]]:
        connections = [0]

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections[0] += 1
            await reader.readuntil(b"\r\n\r\n")
            try:
                await script(writer)
            finally:
                writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        servers.append(server)
        return server.sockets[0].getsockname()[1], connections

    yield start
    for server in servers:
        server.close()


async def reset_mid_body(writer):
    writer.write(HEAD_200 + b"Content-Length: 1000\r\n\r\n" + b"x" * 10)
    await writer.drain()


async def truncated_chunked(writer):
    writer.write(HEAD_200 + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
    await writer.drain()


async def slow_body(writer):
    writer.write(HEAD_200 + b"Content-Length: 10\r\n\r\nabc")
    await writer.drain()
    await asyncio.sleep(5)


@pytest.mark.parametrize("script", [reset_mid_body, truncated_chunked, slow_body], ids=["reset mid-body", "truncated chunked", "slow body"])
async def test_body_cut_off_reaches_viewer_as_broken_and_is_never_cached(edgehooks, raw_origin, script):
    port, connections = await raw_origin(script)
    proxy = await edgehooks(CONFIG.format(port=port))
    for attempt in (1, 2):
        with pytest.raises(httpx.TransportError):
            await proxy.get("/file")
        assert connections[0] == attempt  # the second request went to the origin again: nothing cached


async def garbage(writer):
    writer.write(b"HELLO THERE\r\n\r\n")
    await writer.drain()


async def close_without_answer(writer):
    pass


async def slow_headers(writer):
    await asyncio.sleep(5)


@pytest.mark.parametrize(
    "script, status",
    [(garbage, 502), (close_without_answer, 502), (slow_headers, 504)],
    ids=["invalid response", "closed without an answer", "slow headers"],
)
async def test_origin_failures_before_headers(edgehooks, raw_origin, script, status):
    port, _ = await raw_origin(script)
    proxy = await edgehooks(CONFIG.format(port=port))
    r = await proxy.get("/x")
    assert r.status_code == status
    assert r.headers["x-cache"] == "Error from edgehooks"
