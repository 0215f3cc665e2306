"""Listening sockets for aiohttp runners: HOST:PORT in, the URL actually bound out."""

from __future__ import annotations

from aiohttp import web


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


async def bind(runner: web.BaseRunner, listen: str, *, reuse_port: bool = False) -> str:
    """Start `runner` (already set up) on `listen`; its URL, with the real port when `listen` asked for 0.
    `reuse_port` lets several processes share the port (SO_REUSEPORT, `serve --workers`)."""
    host, port = split_listen(listen)
    site = web.TCPSite(runner, host, port, reuse_address=True, reuse_port=reuse_port or None)
    await site.start()
    bound = site._server.sockets[0].getsockname()  # type: ignore[union-attr]
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    return f"http://{shown}:{bound[1]}"
