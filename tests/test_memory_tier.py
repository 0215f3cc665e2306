"""The memory tier: bounded in bytes, least recently used out first, big objects streamed through."""

from __future__ import annotations

from aiohttp import web

CONFIG = """
[cache]
max_size = "64KiB"
max_object_size = "20KiB"

[origins.site]
url = "{origin}"

[[behaviors]]
path = "*"
origin = "site"
"""


async def test_bounded_in_bytes_and_big_objects_stream_through_uncached(edgehooks, origin):
    async def big(_):
        return web.Response(body=b"b" * 30_000, headers={"Cache-Control": "max-age=600"})

    async def sized(request):
        return web.Response(body=b"s" * 15_000, headers={"Cache-Control": "max-age=600"})

    origin.route("/big", big)
    for i in range(6):
        origin.route(f"/s{i}", sized)
    proxy = await edgehooks(CONFIG.replace("{origin}", origin.url))

    answers = [await proxy.get("/big") for _ in range(2)]
    assert [len(a.content) for a in answers] == [30_000, 30_000]
    assert [a.headers["x-cache"] for a in answers] == ["Miss from edgehooks"] * 2, "over max_object_size: never stored"

    for i in range(4):  # 4 × 15 KB fill most of the 64 KiB
        await proxy.get(f"/s{i}")
    assert (await proxy.get("/s0")).headers["x-cache"] == "Hit from edgehooks"  # now the most recently used
    await proxy.get("/s4")  # no room: the least recently used (/s1) goes
    assert proxy.node.pipeline.store.bytes_used <= 64 * 1024
    assert [(await proxy.get(f"/s{i}")).headers["x-cache"].split()[0] for i in (0, 2, 3, 4, 1)] == ["Hit", "Hit", "Hit", "Hit", "Miss"]
