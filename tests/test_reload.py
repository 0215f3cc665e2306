"""`edgehooks serve --reload`: edits take over under load, without a failed request."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time

import httpx

CONFIG = """
[origins.site]
path = "site"
[functions.f]
handler = "h.py:handler"
[[behaviors]]
path = "*"
origin = "site"
viewer-request = "f"
"""

# Slow enough that a reload always finds requests in flight on the old version.
HANDLER = '''
import time

def handler(event, context):
    time.sleep(0.05)
    return {"status": "200", "body": "%s " + context.function_version}
'''


async def test_edits_reload_under_load_and_a_broken_edit_keeps_the_old_version(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "edgehooks.toml").write_text(CONFIG)
    handler = tmp_path / "h.py"
    handler.write_text(HANDLER % "A")
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "edgehooks", "serve", "--reload", "--config", str(tmp_path / "edgehooks.toml"), "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=log.open("w"), text=True,
    )  # fmt: skip
    try:
        url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        answers: list[tuple[int, str]] = []
        running = True

        async def viewer() -> None:
            async with httpx.AsyncClient(base_url=url, timeout=20) as client:
                while running:
                    response = await client.get("/")
                    answers.append((response.status_code, response.text))

        async def until(text: str, timeout: float = 20.0) -> None:
            deadline = time.monotonic() + timeout
            while not any(body == text for _, body in answers[-20:]):
                assert time.monotonic() < deadline, f"{text!r} never served; last: {answers[-3:]}"
                await asyncio.sleep(0.05)

        viewers = [asyncio.create_task(viewer()) for _ in range(4)]
        await until("A 1")
        handler.write_text(HANDLER % "B")  # new code: version 2
        await until("B 2")

        handler.write_text(HANDLER.replace("def handler(event, context):", "def handler(event, context)") % "C")
        deadline = time.monotonic() + 20
        while "reload failed, still serving the previous version" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            await asyncio.sleep(0.05)
        served_after_break = len(answers)
        await asyncio.sleep(0.5)
        assert {body for _, body in answers[served_after_break:]} == {"B 2"}
        assert "Syntax error in module 'h'" in log.read_text()

        handler.write_text(HANDLER % "D")  # fixed: the next version (the broken edit got no number)
        await until("D 3")

        # The config changes to a function in a new file, which is then watched too.
        (tmp_path / "g.py").write_text(HANDLER % "G")
        (tmp_path / "edgehooks.toml").write_text(CONFIG.replace('viewer-request = "f"', 'viewer-request = "g"') + '[functions.g]\nhandler = "g.py:handler"\n')
        await until("G 1")
        (tmp_path / "g.py").write_text(HANDLER % "H")
        await until("H 2")
        running = False
        await asyncio.gather(*viewers)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert process.returncode == 0
    assert all(status == 200 for status, _ in answers), [a for a in answers if a[0] != 200][:5]
    assert {body for _, body in answers} == {"A 1", "B 2", "D 3", "G 1", "H 2"}
    text = log.read_text()
    assert "reloaded" in text and "f v1 -> v2" in text and "f v2 -> v3" in text
    assert "Version: 3" in text  # the START lines carry the version
