"""The admin listener: the operator's side door (invalidations, metrics, …), never the viewers'.

It is a separate aiohttp server on its own socket, so no path on the public listener can reach
it; it is off unless `[admin]` is configured, listens on loopback by default, and every request
must carry the configured bearer token. Features add their routes with `add_route` before start.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from .distribution import AdminSettings
from .listen import bind

log = logging.getLogger("edgehooks.admin")

PREFIX = "/_edgehooks"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Admin:
    def __init__(self, settings: AdminSettings):
        self.settings = settings
        self._token = settings.token.encode()
        self.app = web.Application(middlewares=[self._authorize])
        self.runner: web.AppRunner | None = None
        self.url = ""

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Serve `handler` at PREFIX + path, e.g. add_route("POST", "/invalidations", ...)."""
        self.app.router.add_route(method, PREFIX + path, handler)

    async def start(self) -> str:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        self.url = await bind(self.runner, self.settings.listen)
        return self.url

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @web.middleware
    async def _authorize(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        # compare_digest: how long the comparison takes must not tell how much of a guess was right.
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self._token):
            log.warning("admin: refused %s %s from %s: missing or wrong token", request.method, request.path, request.remote)
            return web.json_response(
                {"error": "a valid admin token is required (Authorization: Bearer <token>)"},
                status=401, headers={"WWW-Authenticate": 'Bearer realm="edgehooks admin"'},
            )
        return await handler(request)
