"""CloudFront's CreateInvalidation and GetInvalidation as JSON on the admin listener.

    POST /_edgehooks/invalidations      {"paths": ["/images/*", "/index.html"], "CallerReference": "deploy-42"}
    GET  /_edgehooks/invalidations/ID

The body may also be CloudFront's own InvalidationBatch ({"Paths": {"Quantity": 2, "Items": [...]},
"CallerReference": ...}), so `aws cloudfront create-invalidation --invalidation-batch` files work.
An invalidation is applied before the answer, so its Status is always "Completed". A repeated
CallerReference with the same paths answers the first invalidation again, with other paths 409,
as CloudFront does.
"""

from __future__ import annotations

import base64
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from .admin import PREFIX, Admin
from .cache import SharedTierDown
from .cache.invalidation_paths import BadPath, normalize_all

KEPT = 1000  # invalidations remembered for GET, newest first out last

Apply = Callable[[list[str]], Awaitable[None]]


def parse_batch(body: Any) -> tuple[list[str], str | None]:
    """(paths as given, CallerReference) from a request body, or BadPath saying what is wrong."""
    if not isinstance(body, dict):
        raise BadPath('the body must be a JSON object such as {"paths": ["/index.html"]}')
    batch = body.get("InvalidationBatch", body)
    if not isinstance(batch, dict):
        raise BadPath('"InvalidationBatch" must be an object with "Paths" and "CallerReference"')
    unknown = set(batch) - {"paths", "Paths", "CallerReference"}
    if unknown:
        raise BadPath(f"unknown field {sorted(unknown)[0]!r}; expected \"paths\" (or \"Paths\") and optionally \"CallerReference\"")
    paths = batch.get("paths", batch.get("Paths"))
    if isinstance(paths, dict):  # CloudFront's {"Quantity": n, "Items": [...]}
        items = paths.get("Items")
        if isinstance(items, list) and paths.get("Quantity", len(items)) != len(items):
            raise BadPath(f'"Paths.Quantity" is {paths.get("Quantity")!r} but "Paths.Items" has {len(items)} paths')
        paths = items
    reference = batch.get("CallerReference")
    if reference is not None and (not isinstance(reference, str) or not reference):
        raise BadPath('"CallerReference" must be a non-empty string')
    return paths, reference


class Invalidations:
    """The routes, and the invalidations they made; `apply` does the work (a store's or all workers')."""

    def __init__(self, apply: Apply):
        self._apply = apply
        self._made: OrderedDict[str, dict] = OrderedDict()
        self._by_reference: dict[str, str] = {}

    def add_routes(self, admin: Admin) -> None:
        admin.add_route("POST", "/invalidations", self._create)
        admin.add_route("GET", "/invalidations/{id}", self._get)

    async def _create(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError as e:
            return _error(400, f"the body is not JSON: {e}")
        try:
            paths, reference = parse_batch(body)
            normalized = normalize_all(paths)
        except BadPath as e:
            return _error(400, f"invalid invalidation request: {e}")
        earlier = self._made.get(self._by_reference.get(reference or "", ""))
        if earlier is not None:
            if earlier["InvalidationBatch"]["Paths"]["Items"] == paths:
                return _answer(earlier, 201)
            return _error(409, f"CallerReference {reference!r} was already used with other paths (invalidation {earlier['Id']})")
        try:
            await self._apply(normalized)
        except SharedTierDown as e:
            return _error(503, str(e))
        invalidation = {
            "Id": _new_id(),
            "Status": "Completed",
            "CreateTime": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "InvalidationBatch": {"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": reference or _new_id()},
        }
        self._remember(invalidation)
        return _answer(invalidation, 201)

    async def _get(self, request: web.Request) -> web.Response:
        invalidation = self._made.get(request.match_info["id"])
        if invalidation is None:
            return _error(404, f"no invalidation {request.match_info['id']!r} here (this node keeps the last {KEPT})")
        return _answer(invalidation, 200)

    def _remember(self, invalidation: dict) -> None:
        self._made[invalidation["Id"]] = invalidation
        self._by_reference[invalidation["InvalidationBatch"]["CallerReference"]] = invalidation["Id"]
        while len(self._made) > KEPT:
            _, old = self._made.popitem(last=False)
            self._by_reference.pop(old["InvalidationBatch"]["CallerReference"], None)


def _new_id() -> str:
    # CloudFront's ids: "I" and 13 upper-case letters and digits.
    return "I" + base64.b32encode(os.urandom(10)).decode()[:13]


def _answer(invalidation: dict, status: int) -> web.Response:
    return web.json_response({"Invalidation": invalidation}, status=status, headers={"Location": f"{PREFIX}/invalidations/{invalidation['Id']}"})


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
