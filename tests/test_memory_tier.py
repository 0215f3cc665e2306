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
        return web.Response(body=b"s" * 14_000, headers={"Cache-Control": "max-age=600"})

    origin.route("/big", big)
    for i in range(6):
        origin.route(f"/s{i}", sized)
    proxy = await edgehooks(CONFIG.replace("{origin}", origin.url))

    answers = [await proxy.get("/big") for _ in range(2)]
    assert [len(a.content) for a in answers] == [30_000, 30_000]
    assert [a.headers["x-cache"] for a in answers] == ["Miss from edgehooks"] * 2, "over max_object_size: never stored"

    for i in range(4):  # 4 × 14 KB and their headers fill most of the 64 KiB
        await proxy.get(f"/s{i}")
    assert (await proxy.get("/s0")).headers["x-cache"] == "Hit from edgehooks"  # now the most recently used
    await proxy.get("/s4")  # no room: the least recently used (/s1) goes
    assert proxy.node.pipeline.store.bytes_used <= 64 * 1024
    assert [(await proxy.get(f"/s{i}")).headers["x-cache"].split()[0] for i in (0, 2, 3, 4, 1)] == ["Hit", "Hit", "Hit", "Hit", "Miss"]


def test_the_byte_bound_counts_what_entries_really_take():
    # A bound that counts only the text of small responses held several times max_size (found by
    # bench/soak: the proxy grew 20 MB over 5 minutes with a 4 MB cache of small objects).
    import asyncio
    import tracemalloc

    from edgehooks.cache import Entry, MemoryStore

    def response(i: int) -> Entry:
        # Fresh strings, as the HTTP parser makes them for every response.
        headers = [(f"Content-Type{''}", f"text/plain; charset=utf-8 {i}"), (f"Date{''}", f"Mon, 23 Nov 2026 08:00:{i % 60:02d} GMT"),
                   (f"Cache-Control{''}", f"max-age={i}"), (f"Server{''}", f"Python/3.11 aiohttp/{i}"), (f"ETag{''}", f'"{i:016x}"')]
        return Entry(200, "OK", headers, b"x" * (i % 300), 1.0, 0.0, 60.0, family=f"example.org\x00/cold/{i}\x00\x00")

    store = MemoryStore(10**9)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]

        async def fill() -> None:
            for i in range(3000):
                await store.put(f"example.org\x00/cold/{i}\x00\x00", response(i))

        asyncio.run(fill())
        real = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert 0.8 < store.bytes_used / real < 1.6, (store.bytes_used, real)


async def test_a_fill_that_began_before_an_invalidation_covering_it_is_not_kept():
    from edgehooks.cache import Entry, MemoryStore
    from edgehooks.cache.invalidation_paths import Matcher
    from edgehooks.cache.memory import REMEMBERED_DROPS

    store = MemoryStore(10**6)
    entry = Entry(200, "OK", [], b"v1", 1.0, 0.0, 60.0)
    page, other = "example.org\x00/page.html\x00", "example.org\x00/other.html\x00"

    began = store.generation
    await store.invalidate(["/page.html"])
    assert not await store.put(page, entry, since=began)  # what the origin said before may be what was dropped
    assert await store.put(other, entry, since=began)  # not covered
    assert await store.put(page, entry, since=store.generation)  # asked after the invalidation
    assert await store.get(page) is not None and await store.get(other) is not None

    began = store.generation
    await store.delete(page)  # an unsafe method's own invalidation counts too
    assert not await store.put(page, entry, since=began)

    began = store.generation
    for _ in range(REMEMBERED_DROPS + 1):
        store.drop(Matcher(["/else.html"]))
    # Older than every invalidation remembered: it cannot be told apart from one they covered.
    assert not await store.put(other, entry, since=began)
    assert await store.put(other, entry, since=began + 1)
