"""Published versions, pins and weighted splits: `edgehooks publish`, then the proxy serving them."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import httpx
import pytest

from edgehooks import canary, config, versions
from edgehooks.distribution import ConfigError, HookBinding

HANDLER = '''
def handler(event, context):
    return {"status": "200", "body": "%s " + context.function_version,
            "headers": {"cache-control": [{"key": "Cache-Control", "value": "no-store"}]}}
'''

CONFIG = """
[origins.site]
url = "http://127.0.0.1:9"
[functions.f]
handler = "h.py:handler"
[[behaviors]]
path = "/pinned"
origin = "site"
viewer-request = "f:1"
[[behaviors]]
path = "/cookie"
origin = "site"
viewer-request = { function = "f", versions = { "1" = 70, "latest" = 30 }, sticky_cookie = "uid" }
[[behaviors]]
path = "*"
origin = "site"
viewer-request = { function = "f", versions = { "1" = 50, "2" = 50 } }
"""


def publish(config) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgehooks", "publish", "f", "--config", str(config)], capture_output=True, text=True, timeout=60)


def invoke(function: str, config) -> subprocess.CompletedProcess:
    args = ["invoke", function, "--config", str(config), "--event-type", "viewer-request"]
    return subprocess.run([sys.executable, "-m", "edgehooks", *args], capture_output=True, text=True, timeout=60)


async def test_publish_then_pin_and_split(tmp_path, edgehooks):
    (tmp_path / "h.py").write_text(HANDLER % "old")
    config = tmp_path / "edgehooks.toml"
    config.write_text('[origins.site]\nurl = "http://127.0.0.1:9"\n[functions.f]\nhandler = "h.py:handler"\n[[behaviors]]\npath = "*"\norigin = "site"\n')
    first = publish(config)
    assert first.returncode == 0 and first.stdout.startswith("published f version 1 ") and '"f:1"' in first.stdout
    assert (tmp_path / ".edgehooks/versions/f/1/h.py").read_text() == HANDLER % "old"
    again = publish(config)
    assert again.returncode == 0 and again.stdout.startswith("f: this code is already version 1")

    # The live file changes: it becomes version 2, while a pin keeps serving the published 1.
    proxy = await edgehooks(CONFIG, {"h.py": HANDLER % "new"})
    assert (await proxy.get("/pinned")).text == "old 1"
    assert (await proxy.get("/pinned")).text == "old 1"

    # A sticky cookie: each viewer stays on its version; 600 viewers split about 70/30.
    seen = {}
    for uid in range(600):
        seen[uid] = (await proxy.get("/cookie", headers={"Cookie": f"theme=dark; uid={uid}"})).text
    counts = Counter(seen.values())
    assert set(counts) == {"old 1", "new 2"}
    # Binomial(600, 0.7): sd ≈ 11.2; 5 sd either side.
    assert 420 - 56 <= counts["old 1"] <= 420 + 56, counts
    for uid in range(0, 600, 37):
        assert (await proxy.get("/cookie", headers={"Cookie": f"uid={uid}"})).text == seen[uid]

    # invoke runs a published version, as the split would, before traffic moves to it.
    pinned = invoke("f:1", config)
    assert pinned.returncode == 0 and '"body": "old 1"' in pinned.stdout and "Version: 1" in pinned.stdout
    unknown = invoke("f:9", config)
    assert unknown.returncode == 2 and 'unknown version 9 of function "f"; published: 1, live code: 2' in unknown.stderr


async def test_without_a_cookie_the_split_is_sticky_per_client_ip(tmp_path, edgehooks):
    (tmp_path / ".edgehooks/versions/f/1").mkdir(parents=True)
    (tmp_path / ".edgehooks/versions/f/1/h.py").write_text(HANDLER % "old")
    proxy = await edgehooks(CONFIG, {"h.py": HANDLER % "new"})
    answers = {}
    for last in range(1, 41):
        transport = httpx.AsyncHTTPTransport(local_address=f"127.0.0.{last}")
        async with httpx.AsyncClient(base_url=proxy.url, transport=transport) as client:
            answers[last] = {(await client.get("/")).text for _ in range(3)}
    assert all(len(seen) == 1 for seen in answers.values())  # one version per viewer address
    assert {seen.pop() for seen in answers.values()} == {"old 1", "new 2"}  # and both are in use


def test_buckets_are_uniform_and_choose_follows_the_weights():
    counts = Counter(canary.bucket("f", f"198.51.100.{i % 256}/{i}") for i in range(20000))
    assert set(counts) == set(range(100))
    assert all(200 - 70 <= n <= 200 + 70 for n in counts.values())  # Binomial(20000, 0.01): sd ≈ 14
    hook = HookBinding("f", targets=(("f:1", 90), ("f", 10)))
    picks = Counter(canary.choose(hook, _event(f"10.0.{i // 256}.{i % 256}")) for i in range(5000))
    assert 4500 - 110 <= picks["f:1"] <= 4500 + 110, picks  # sd ≈ 21
    assert canary.choose(HookBinding("f", targets=(("f:3", 100),)), _event("10.0.0.1")) == "f:3"


def _event(client_ip: str) -> dict:
    return {"Records": [{"cf": {"request": {"clientIp": client_ip, "headers": {}}}}]}


def test_a_reloading_process_runs_pins_from_the_published_file_and_live_code_from_a_frozen_copy(tmp_path):
    (tmp_path / ".edgehooks/versions/f/1").mkdir(parents=True)
    (tmp_path / ".edgehooks/versions/f/1/h.py").write_text(HANDLER % "old")
    (tmp_path / "h.py").write_text(HANDLER % "new")
    (tmp_path / "edgehooks.toml").write_text(CONFIG)
    numbering = versions.Numbering(tmp_path / "copies")
    dist = config.load(tmp_path / "edgehooks.toml", numbering)
    pinned, live = dist.functions["f:1"], dist.functions["f"]
    assert (pinned.version, pinned.code, pinned.handler_file) == ("1", None, (tmp_path / ".edgehooks/versions/f/1/h.py").resolve())
    assert live.version == "2" and live.code.read_text() == HANDLER % "new" and live.code.parent.parent == tmp_path / "copies" / "f"
    (tmp_path / "h.py").write_text(HANDLER % "newer")
    assert live.code.read_text() == HANDLER % "new"  # the running version's code stays as it was
    # Version 2 was never published: once the live code moves on, a split that names it is an error.
    with pytest.raises(ConfigError, match=r":17: behaviors\[2\].viewer-request.versions.2: unknown version 2 .* live code: 3"):
        config.load(tmp_path / "edgehooks.toml", numbering)
