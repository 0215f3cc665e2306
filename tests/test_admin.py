"""The admin listener: off unless configured, its own socket, a bearer token on every request."""

from __future__ import annotations

import httpx

TOKEN = "s3cret-admin-token-0123"

CONFIG = f"""
[origins.site]
url = "{{origin}}"

[admin]
listen = "127.0.0.1:0"
token_env = "EDGEHOOKS_TEST_ADMIN_TOKEN"

[[behaviors]]
path = "*"
origin = "site"
cache = false
"""


async def test_admin_needs_the_token_and_is_not_on_the_public_listener(edgehooks, origin, monkeypatch):
    monkeypatch.setenv("EDGEHOOKS_TEST_ADMIN_TOKEN", TOKEN)
    proxy = await edgehooks(CONFIG.format(origin=origin.url))
    assert proxy.node.admin.url.startswith("http://127.0.0.1:")
    async with httpx.AsyncClient(base_url=proxy.node.admin.url) as admin:
        missing = await admin.get("/_edgehooks/status")
        wrong = await admin.get("/_edgehooks/status", headers={"Authorization": f"Bearer {TOKEN[:-1]}x"})
        basic = await admin.get("/_edgehooks/status", headers={"Authorization": f"Basic {TOKEN}"})
        right = await admin.get("/_edgehooks/status", headers={"Authorization": f"Bearer {TOKEN}"})
    assert [missing.status_code, wrong.status_code, basic.status_code] == [401, 401, 401]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert right.status_code == 200 and right.json()["url"] == proxy.url

    # The public listener has no admin paths: this one is just another path for the origin.
    public = await proxy.get("/_edgehooks/status", headers={"Authorization": f"Bearer {TOKEN}"})
    assert public.text == "origin saw GET /_edgehooks/status"


async def test_no_admin_section_no_admin_listener(edgehooks, origin):
    proxy = await edgehooks(CONFIG.format(origin=origin.url).replace('[admin]\nlisten = "127.0.0.1:0"\ntoken_env = "EDGEHOOKS_TEST_ADMIN_TOKEN"\n', ""))
    assert proxy.node.admin is None
