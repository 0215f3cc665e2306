"""`edgehooks invalidate` as a user runs it, against a real node's admin listener."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

TOKEN = "command-line-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(origin_url: str, admin_port: int) -> str:
    return f"""
    [origins.site]
    url = "{origin_url}"

    [admin]
    listen = "127.0.0.1:{admin_port}"
    token_env = "EDGEHOOKS_TEST_CLI_TOKEN"

    [[behaviors]]
    path = "*"
    origin = "site"
    """


async def invalidate(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    # Async: the node under test runs on this event loop, so a blocking subprocess call would stall it.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "edgehooks", "invalidate", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, **(env or {})},
    )
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


async def test_invalidates_with_the_configs_admin_url_and_token(edgehooks, origin, monkeypatch, tmp_path):
    monkeypatch.setenv("EDGEHOOKS_TEST_CLI_TOKEN", TOKEN)
    proxy = await edgehooks(config(origin.url, free_port()))
    assert [(await proxy.get("/a.html")).headers["x-cache"] for _ in range(2)] == ["Miss from edgehooks", "Hit from edgehooks"]

    status, out, err = await invalidate("/a.html", "/img/*", "--config", str(tmp_path / "edgehooks.toml"))
    assert status == 0, err
    assert out.startswith("I") and out.rstrip().endswith("Completed: /a.html, /img/*")
    assert (await proxy.get("/a.html")).headers["x-cache"] == "Miss from edgehooks"


async def test_admin_url_and_token_from_the_environment(edgehooks, origin, monkeypatch):
    monkeypatch.setenv("EDGEHOOKS_TEST_CLI_TOKEN", TOKEN)
    proxy = await edgehooks(config(origin.url, 0))
    status, out, _ = await invalidate("/*", "--admin", proxy.node.admin.url, env={"EDGEHOOKS_ADMIN_TOKEN": TOKEN})
    assert status == 0 and "Completed: /*" in out

    status, _, err = await invalidate("/*", "--admin", proxy.node.admin.url, "--token", "wrong-token-wrong-token")
    assert status == 1 and "refused the token" in err
    status, _, err = await invalidate("/a/*.jpg", "--admin", proxy.node.admin.url, "--token", TOKEN)
    assert status == 1 and "the wildcard is only allowed as the last character" in err


async def test_mistakes_a_user_can_act_on(tmp_path):
    status, _, err = await invalidate("/a")  # the default config has no [admin]
    assert status == 2 and "has no [admin] section" in err
    status, _, err = await invalidate("/a", "--admin", f"http://127.0.0.1:{free_port()}", "--token", TOKEN)
    assert status == 1 and "cannot reach the admin listener" in err
    status, _, err = await invalidate("/a", "--admin", "http://127.0.0.1:9901", env={"EDGEHOOKS_ADMIN_TOKEN": ""})
    assert status == 2 and "--admin needs the token too" in err
    port_zero = tmp_path / "zero.toml"
    port_zero.write_text(config("http://127.0.0.1:9", 0).replace("token_env = \"EDGEHOOKS_TEST_CLI_TOKEN\"", f'token = "{TOKEN}"'))
    status, _, err = await invalidate("/a", "--config", str(port_zero))
    assert status == 2 and "is port 0, chosen at start" in err
