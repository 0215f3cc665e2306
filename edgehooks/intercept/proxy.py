"""mitmproxy run as a library with the edgehooks addon: what `edgehooks intercept` starts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from mitmproxy import addons, master, options

from .addon import EdgeHooks

DEFAULT_CONFDIR = "~/.mitmproxy"  # mitmproxy's own: a CA the browser already trusts is reused
CA_CERT = "mitmproxy-ca-cert.pem"


class StartError(Exception):
    pass


@dataclass
class Settings:
    config: str
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    hosts: str = ""  # comma-separated; empty: every host
    cache: bool = False
    confdir: str = DEFAULT_CONFDIR
    upstream_ca: str | None = None
    insecure: bool = False


@dataclass
class Interceptor:
    master: master.Master
    run: asyncio.Task
    url: str  # the proxy to point a browser at

    @property
    def ca_cert(self) -> Path:
        return Path(self.master.options.confdir).expanduser() / CA_CERT

    async def stop(self) -> None:
        self.master.shutdown()
        await self.run


async def start(settings: Settings) -> Interceptor:
    """Start mitmproxy on the running loop; raises mitmproxy's OptionsError for bad settings."""
    opts = options.Options(listen_host=settings.listen_host, listen_port=settings.listen_port, confdir=settings.confdir)
    proxy = master.Master(opts)
    edgehooks = EdgeHooks()
    proxy.addons.add(*addons.default_addons(), edgehooks)
    opts.update(
        edgehooks_config=settings.config,
        edgehooks_hosts=settings.hosts,
        edgehooks_cache=settings.cache,
        ssl_insecure=settings.insecure,
        ssl_verify_upstream_trusted_ca=settings.upstream_ca,
        # The pipeline fetches from the origin itself: mitmproxy need not connect upstream
        # before it knows whether the request is one of ours.
        connection_strategy="lazy",
    )
    run = asyncio.create_task(proxy.run())
    ready = asyncio.create_task(edgehooks.started.wait())
    await asyncio.wait([run, ready], return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        ready.cancel()
        await run  # raises what stopped it
    listening = proxy.addons.get("proxyserver").listen_addrs()
    if not listening:
        # mitmproxy has logged why (a port in use, say) and would serve nothing.
        proxy.shutdown()
        await run
        raise StartError(f"cannot listen on {settings.listen_host}:{settings.listen_port}")
    host, port, *_ = listening[0]
    shown = f"[{host}]" if ":" in host else host
    return Interceptor(proxy, run, f"http://{shown}:{port}")
