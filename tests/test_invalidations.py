"""POST /_edgehooks/invalidations on one node: CloudFront's answers, and the memory tier forgetting."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiohttp import web

TOKEN = "invalidate-token-0123456789"

CONFIG = f"""
[origins.site]
url = "{{origin}}"

[admin]
listen = "127.0.0.1:0"
token = "{TOKEN}"

[[behaviors]]
path = "*"
origin = "site"
cache = {{ query_strings = "all" }}
"""


@pytest.fixture
async def node(edgehooks, origin):
    proxy = await edgehooks(CONFIG.replace("{origin}", origin.url))
    async with httpx.AsyncClient(base_url=proxy.node.admin.url, headers={"Authorization": f"Bearer {TOKEN}"}) as admin:
        proxy.admin = admin
        yield proxy


async def x_cache(proxy, *targets: str) -> list[str]:
    return [(await proxy.get(t)).headers["x-cache"].split()[0] for t in targets]


async def test_paths_and_wildcards_drop_what_they_cover(node, origin):
    targets = ("/index.html", "/img/a.png?v=1", "/img/b.png", "/imgs.html", "/other.html")
    assert await x_cache(node, *targets) == ["Miss"] * 5
    assert await x_cache(node, *targets) == ["Hit"] * 5

    answer = await node.admin.post("/_edgehooks/invalidations", json={"paths": ["/img/*", "/index.html"]})
    assert answer.status_code == 201
    invalidation = answer.json()["Invalidation"]
    assert invalidation["Status"] == "Completed" and invalidation["Id"].startswith("I") and len(invalidation["Id"]) == 14
    assert invalidation["InvalidationBatch"]["Paths"] == {"Quantity": 2, "Items": ["/img/*", "/index.html"]}
    assert invalidation["CreateTime"].endswith("Z")
    assert answer.headers["Location"] == f"/_edgehooks/invalidations/{invalidation['Id']}"

    assert await x_cache(node, *targets) == ["Miss", "Miss", "Miss", "Hit", "Hit"]
    assert origin.hits("/img/a.png") == 2 and origin.hits("/other.html") == 1

    again = await node.admin.get(answer.headers["Location"])
    assert again.status_code == 200 and again.json() == answer.json()


async def test_caller_reference_makes_a_retry_safe(node):
    first = await node.admin.post("/_edgehooks/invalidations", json={"paths": ["/a"], "CallerReference": "deploy-1"})
    retry = await node.admin.post("/_edgehooks/invalidations", json={"Paths": {"Quantity": 1, "Items": ["/a"]}, "CallerReference": "deploy-1"})
    other = await node.admin.post("/_edgehooks/invalidations", json={"paths": ["/b"], "CallerReference": "deploy-1"})
    assert first.status_code == retry.status_code == 201
    assert retry.json()["Invalidation"]["Id"] == first.json()["Invalidation"]["Id"]
    assert other.status_code == 409 and "already used with other paths" in other.json()["error"]


@pytest.mark.parametrize(
    "body, message",
    [
        (b"paths=/a", "the body is not JSON"),
        (b'{"paths": []}', '"paths" must be a non-empty list'),
        (b'{"paths": ["/images/*.jpg"]}', "the wildcard is only allowed as the last character"),
        (b'{"paths": ["index.html"]}', "must begin with /"),
        (b'{"path": ["/a"]}', "unknown field 'path'"),
    ],
)
async def test_bad_requests_are_400_saying_why(node, body, message):
    answer = await node.admin.post("/_edgehooks/invalidations", content=body)
    assert answer.status_code == 400 and message in answer.json()["error"]


async def test_needs_the_token_and_unknown_ids_are_404(node):
    async with httpx.AsyncClient(base_url=node.node.admin.url) as anonymous:
        refused = await anonymous.post("/_edgehooks/invalidations", json={"paths": ["/*"]})
    assert refused.status_code == 401
    assert (await node.admin.get("/_edgehooks/invalidations/INOSUCHTHING00")).status_code == 404


async def test_an_invalidation_made_while_a_fill_streams_in_wins(node, origin):
    # The origin has sent half of /slow when the invalidation comes: the rest of that answer
    # predates the invalidation too, so it serves its viewer but is not stored.
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Cache-Control": "max-age=60"})
        await response.prepare(request)
        await response.write(b"old ")
        await release.wait()
        await response.write(b"content")
        return response

    origin.route("/slow", slow)
    fetching = asyncio.ensure_future(node.get("/slow"))
    while not origin.hits("/slow"):
        await asyncio.sleep(0.01)
    assert (await node.admin.post("/_edgehooks/invalidations", json={"paths": ["/slow"]})).status_code == 201
    release.set()
    assert (await fetching).text == "old content"
    assert await x_cache(node, "/slow", "/slow") == ["Miss", "Hit"]
    assert origin.hits("/slow") == 2
