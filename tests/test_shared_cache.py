"""The Redis tier with a real redis-server and two real nodes: shared hits, invalidations that
reach every node, and a node that keeps serving while Redis is gone."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
from aiohttp import web

from edgehooks.cache import redis_store
from edgehooks.cache.entry import Entry

TOKEN = "shared-cache-token-0123456789"

CONFIG = """
[cache]
redis = "{redis}"

[origins.site]
url = "{origin}"

[admin]
listen = "127.0.0.1:0"
token = "%s"

[[behaviors]]
path = "*"
origin = "site"
""" % TOKEN


async def start(edgehooks, origin, redis_server):
    node = await edgehooks(CONFIG.replace("{redis}", redis_server.url).replace("{origin}", origin.url))
    node.client.headers["Host"] = "www.example.com"  # nodes of one site: one Host, so one cache key
    return node


async def invalidate(proxy, *paths: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=proxy.node.admin.url, headers={"Authorization": f"Bearer {TOKEN}"}) as admin:
        return await admin.post("/_edgehooks/invalidations", json={"paths": list(paths)})


async def eventually(check, what: str, seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.05)):
        result = check()
        if await result if asyncio.iscoroutine(result) else result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {seconds}s: {what}")


def versioned(origin):
    """/page answers "v1", then "v2" once the test says so."""
    state = {"version": "v1"}

    async def page(_):
        return web.Response(text=state["version"], headers={"Cache-Control": "max-age=600"})

    origin.route("/page", page)
    return state


async def two_nodes_holding_v1(edgehooks, origin, redis_server):
    """Nodes a and b with /page ("v1") in Redis and in b's memory; the origin then answers "v2"."""
    state = versioned(origin)
    a = await start(edgehooks, origin, redis_server)
    b = await start(edgehooks, origin, redis_server)
    assert (await a.get("/page")).headers["x-cache"] == "Miss from edgehooks"
    await eventually(lambda: redis_server.entries() == 1, "node a's background write reaches Redis")
    assert (await b.get("/page")).headers["x-cache"] == "Hit from edgehooks"  # a miss on a is a hit on b
    assert origin.hits("/page") == 1
    assert (await b.get("/page")).text == "v1"  # now from b's own memory tier
    state["version"] = "v2"
    return a, b


async def eventually_v2(node, what: str) -> None:
    async def sees_v2() -> bool:
        return (await node.get("/page")).text == "v2"

    await eventually(sees_v2, what)


async def test_a_miss_on_one_node_is_a_hit_on_the_other_and_invalidations_reach_both(redis_server, edgehooks, origin):
    a, b = await two_nodes_holding_v1(edgehooks, origin, redis_server)
    answer = await invalidate(a, "/pa*")
    assert answer.status_code == 201 and answer.json()["Invalidation"]["Status"] == "Completed"
    assert (await a.get("/page")).text == "v2"
    await eventually_v2(b, "the invalidation reaches node b's memory tier over pub/sub")


async def test_a_successful_post_on_one_node_makes_every_node_forget_the_target(redis_server, edgehooks, origin):
    a, b = await two_nodes_holding_v1(edgehooks, origin, redis_server)
    assert (await a.request("POST", "/page", content=b"changed")).status_code == 200  # RFC 9111 §4.4 on node a
    await eventually_v2(b, "the deletion reaches node b's memory tier over pub/sub")


async def test_redis_down_the_nodes_keep_serving_and_say_so_once(redis_server, edgehooks, origin, caplog):
    caplog.set_level(logging.WARNING, logger="edgehooks.cache.redis")
    a = await start(edgehooks, origin, redis_server)
    assert [(await a.get("/kept")).headers["x-cache"] for _ in range(2)] == ["Miss from edgehooks", "Hit from edgehooks"]

    redis_server.kill()
    answers = [await a.get(path) for path in ("/kept", "/new", "/new", "/other")]
    assert [r.status_code for r in answers] == [200] * 4
    assert [r.headers["x-cache"].split()[0] for r in answers] == ["Hit", "Miss", "Hit", "Miss"]
    b = await start(edgehooks, origin, redis_server)  # Redis down at start: serve anyway
    assert (await b.get("/new")).status_code == 200
    down = [r for r in caplog.records if "is unreachable" in r.getMessage()]
    assert len(down) == 2, "once per node"

    # Invalidating now reaches only this node, and says so.
    refused = await invalidate(a, "/kept")
    assert refused.status_code == 503 and "invalidated on this node only" in refused.json()["error"]
    assert (await a.get("/kept")).headers["x-cache"] == "Miss from edgehooks"

    redis_server.start()

    async def both_back() -> bool:
        return len([r for r in caplog.records if "is back:" in r.getMessage()]) == 2

    await eventually(both_back, "both nodes notice Redis is back")
    # Invalidations sent while it was down never arrived, so memory was emptied; the tier is shared again.
    assert (await a.get("/new")).headers["x-cache"] == "Miss from edgehooks"

    await eventually(lambda: redis_server.entries() == 1, "node a stores in Redis again")
    assert (await b.get("/new")).headers["x-cache"] == "Hit from edgehooks"
    assert (await invalidate(a, "/new")).status_code == 201


async def test_the_redis_tier_invalidates_through_its_index_in_batches(redis_server, monkeypatch):
    monkeypatch.setattr(redis_store, "INVALIDATION_BATCH", 7)
    store = redis_store.RedisStore(redis_server.url, "test:E1", timeout=5)
    await store.start()
    try:
        entry = Entry(200, "OK", [("Content-Type", "text/plain")], b"x", time.time(), 0.0, 60.0)
        keys = [f"h\x00/d/{i}\x00" for i in range(20)] + ["h\x00/d/0\x00\x00accept-language=de", "h\x00/e/1\x00", "h\x00/d\x00"]
        for key in keys:
            await store.put(key, entry)
        assert await store.invalidate(["/d/*"]) == 21  # three batches of names, every variant
        assert await store.invalidate(["/d/*"]) == 0
        assert [await store.get(k) is not None for k in keys[-3:]] == [False, True, True]
        assert await store.invalidate(["/*"]) == 2
        assert redis_server.entries() == 0
    finally:
        await store.close()
