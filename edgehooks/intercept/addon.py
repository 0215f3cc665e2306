"""The mitmproxy addon: a distribution's behaviors and hooks on the traffic for some hosts.

`edgehooks intercept` runs it; mitmproxy users can load this file directly:

    mitmdump -s path/to/edgehooks/intercept/addon.py --set edgehooks_config=edgehooks.toml \\
        --set edgehooks_hosts=example.com

Requests to the named hosts go through the same `Node` and pipeline as `edgehooks serve`, with the
host the viewer asked for as the origin; the pipeline's origin client fetches from it, so nothing
about the request path differs from serve. mitmproxy never connects upstream for these flows:
the answer is set in its `request` hook. mitmproxy's upstream trust options (`ssl_insecure`,
`ssl_verify_upstream_trusted_ca/_confdir`) apply to that origin client too. Other hosts are not
touched: --hosts also sets mitmproxy's `allow_hosts`, so their HTTPS is not even decrypted.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import replace

from mitmproxy import ctx, exceptions, http

# Absolute imports: mitmdump -s loads this file as a top-level script, outside the package.
from edgehooks import config, ids
from edgehooks.distribution import ConfigError
from edgehooks.intercept import hosts, translate
from edgehooks.messages import read_body
from edgehooks.origin import OriginError
from edgehooks.pipeline import error_response
from edgehooks.server import Node
from edgehooks.target import BadTarget

log = logging.getLogger("edgehooks.intercept")

# What the Node is built from: a change while it runs needs a restart.
NODE_OPTIONS = frozenset(
    {"edgehooks_config", "edgehooks_cache", "ssl_insecure", "ssl_verify_upstream_trusted_ca", "ssl_verify_upstream_trusted_confdir"}
)


class EdgeHooks:
    def __init__(self) -> None:
        self.hosts: tuple[str, ...] = ()
        self.node: Node | None = None
        self.started = asyncio.Event()  # set once the node serves: the proxy is ready

    def load(self, loader) -> None:
        loader.add_option("edgehooks_config", str, "", "The distribution (edgehooks TOML file) whose behaviors and hooks to apply.")
        loader.add_option("edgehooks_hosts", str, "", "Comma-separated hosts to apply it to (example.com, *.example.com); empty: all hosts.")
        loader.add_option("edgehooks_cache", bool, False, "Cache as the distribution's behaviors say (default: every request goes to the site).")

    def configure(self, updated: set[str]) -> None:
        if "edgehooks_hosts" in updated:
            try:
                self.hosts = hosts.parse(ctx.options.edgehooks_hosts)
            except ValueError as e:
                raise exceptions.OptionsError(f"edgehooks_hosts: {e}") from None
            if self.hosts:
                ctx.options.update(allow_hosts=hosts.allow_hosts(self.hosts))
        if updated & NODE_OPTIONS:
            if self.started.is_set():
                raise exceptions.OptionsError("edgehooks: restart to change the distribution, its cache or the upstream trust")
            self.node = self._build() if ctx.options.edgehooks_config else None

    async def running(self) -> None:
        if self.node is None:
            log.error("edgehooks: no distribution: set edgehooks_config to an edgehooks TOML file")
            return
        await self.node.open()
        self.started.set()

    async def done(self) -> None:
        if self.node is not None and self.started.is_set():
            self.started.clear()
            await self.node.close()

    async def request(self, flow: http.HTTPFlow) -> None:
        if not self.started.is_set() or flow.response is not None or not hosts.matches(self.hosts, flow.request.host):
            return
        if flow.request.headers.get("upgrade"):
            return  # a WebSocket handshake: hooks do not run on it; mitmproxy passes it on
        try:
            flow.response = await self._answer(flow)
        except OriginError as e:
            # As with serve, a body the origin broke off reaches the viewer broken, not completed.
            log.warning("%s %s: %s", flow.request.method, flow.request.pretty_url, e)
            flow.kill()
        except Exception:
            # Not left to mitmproxy: it would log this and send the request on to the site, as if
            # the distribution had no hooks.
            log.exception("%s %s: edgehooks failed", flow.request.method, flow.request.pretty_url)
            flow.kill()

    async def _answer(self, flow: http.HTTPFlow) -> http.Response:
        try:
            request = translate.to_request(flow)
        except BadTarget as e:
            log.info("%s: 400: %s", flow.client_conn.peername[0], e)
            response = error_response(400, "Bad request.", ids.request_id())
        else:
            response = await self.node.answer(request, translate.origin_of(flow))
        return translate.to_response(flow, response, await read_body(response.body))

    def _build(self) -> Node:
        try:
            dist = config.load(ctx.options.edgehooks_config, origin_from_request=True)
        except ConfigError as e:
            raise exceptions.OptionsError(str(e)) from None
        if not ctx.options.edgehooks_cache:
            for behavior in dist.behaviors:
                behavior.cache = replace(behavior.cache, enabled=False)
        return Node.build(dist, origin_tls())


def origin_tls() -> ssl.SSLContext | bool:
    """mitmproxy's upstream trust options as the origin client's TLS settings."""
    if ctx.options.ssl_insecure:
        return False
    cafile, capath = ctx.options.ssl_verify_upstream_trusted_ca, ctx.options.ssl_verify_upstream_trusted_confdir
    if not (cafile or capath):
        return True
    try:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    except (OSError, ssl.SSLError) as e:
        raise exceptions.OptionsError(f"cannot use {cafile or capath} to verify origins: {e}") from None


addons = [EdgeHooks()]
