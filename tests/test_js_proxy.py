"""The shipped distributions end to end, through the proxy on real sockets: each Python config and
its JavaScript twin (config/*-js.toml) must give a viewer the same answers."""

from __future__ import annotations

import base64

import httpx
import pytest

from edgehooks import config
from edgehooks.server import Node
from tests.conftest import repo_path

pytestmark = pytest.mark.timeout(120)

# Headers that differ per node or per response whatever the hooks do (Server-Timing: durations).
PER_RESPONSE = {"date", "x-amz-cf-id", "age", "server", "via", "server-timing"}

AUTH = {"Authorization": "Basic " + base64.b64encode(b"demo:edgehooks").decode()}
WRONG = {"Authorization": "Basic " + base64.b64encode(b"demo:nope").decode()}

REQUESTS = {
    "edgehooks": [
        ("/", {}),
        ("/index.html", {}),
        ("/index.html", {}),  # a hit: the security headers were cached with the object
        ("/old-about", {}),
        ("/blog", {}),
        ("/about.html", {}),
        ("/app/settings/profile", {}),
        ("/app/", {}),
        ("/private/index.html", {}),
        ("/private/index.html", WRONG),
        ("/private/index.html", AUTH),
        ("/missing.html", {}),
    ],
    "experiments": [
        ("/style.css?Q=x&utm_source=newsletter&b=2", {}),
        ("/style.css?b=2&q=x", {}),  # the same cache entry as the line above: a hit
        ("/", {"Cookie": "variant=a"}),
        ("/", {"Cookie": "variant=b"}),
        ("/index.html", {"Cookie": "theme=dark; variant=b"}),
    ],
}


async def answers(name: str, requests: list[tuple[str, dict]]) -> list[tuple[int, dict, bytes]]:
    node = Node.build(config.load(repo_path("config", f"{name}.toml")))
    url = await node.start("127.0.0.1:0")
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            seen = []
            for path, headers in requests:
                r = await client.get(path, headers=headers)
                kept = {k: v for k, v in r.headers.multi_items() if k not in PER_RESPONSE}
                seen.append((r.status_code, kept, r.content))
            return seen
    finally:
        await node.close()


@pytest.mark.parametrize("name", REQUESTS)
async def test_the_javascript_twin_serves_the_same_answers(name):
    python = await answers(name, REQUESTS[name])
    javascript = await answers(f"{name}-js", REQUESTS[name])
    for (path, _), py, js in zip(REQUESTS[name], python, javascript):
        assert js == py, path
    statuses = [status for status, _, _ in python]
    if name == "edgehooks":
        assert statuses == [200, 200, 200, 301, 301, 200, 200, 200, 401, 401, 200, 404]
        assert python[2][1]["x-cache"] == "Hit from edgehooks" and python[2][1]["x-frame-options"] == "DENY"
    else:
        assert python[1][1]["x-cache"] == "Hit from edgehooks"


async def test_a_new_viewer_gets_a_sticky_variant_from_the_javascript_hooks():
    node = Node.build(config.load(repo_path("config", "experiments-js.toml")))
    url = await node.start("127.0.0.1:0")
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            first = await client.get("/")
            variant = first.cookies["variant"]
            again = await client.get("/", headers={"Cookie": f"variant={variant}"})
    finally:
        await node.close()
    assert variant in ("a", "b") and first.text == again.text
    assert "set-cookie" not in again.headers


@pytest.mark.parametrize(
    "source, status, kind",
    [
        ("exports.handler = async () => { throw new Error('bug'); };", 503, "LambdaExecutionError"),
        ("exports.handler = () => { for (;;) {} };", 503, "LambdaExecutionError"),
        ("exports.handler = (event) => event.Records[0].cf.request;", 502, "LambdaValidationError"),  # no callback, no promise: null
        ("exports.handler = async () => ({ status: '700' });", 502, "LambdaValidationError"),
    ],
)
async def test_javascript_failures_get_cloudfronts_status_through_the_proxy(edgehooks, origin, source, status, kind):
    proxy = await edgehooks(
        f"""
        [origins.site]
        url = "{origin.url}"
        [functions.f]
        handler = "h.js:handler"
        timeout = "1s"
        [[behaviors]]
        path = "/fail/*"
        origin = "site"
        viewer-request = "f"
        [[behaviors]]
        path = "*"
        origin = "site"
        """,
        {"h.js": source},
    )
    r = await proxy.get("/fail/x")
    assert (r.status_code, r.headers["x-cache"]) == (status, f"{kind} from edgehooks")
    assert (await proxy.get("/ok")).status_code == 200
    assert (await proxy.get("/fail/y")).status_code == status
