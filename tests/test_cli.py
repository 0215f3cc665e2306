"""The `edgehooks` command as a user runs it: a real process, the repository's default config."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

import httpx
import pytest
import uvloop


from edgehooks import loop


def _start(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "edgehooks", "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/"
    )
    line = process.stdout.readline()
    if "serving" not in line:
        process.kill()
        raise AssertionError(f"no URL line: {line!r} {process.stderr.read()}")
    return process, line.rsplit(" ", 1)[1].strip()


@pytest.fixture
def served():
    started: list[subprocess.Popen] = []

    def start(*args: str) -> str:
        process, url = _start(*args)
        started.append(process)
        return url

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_serve_default_config_from_anywhere(served):
    url = served("--listen", "127.0.0.1:0")
    with httpx.Client(base_url=url, timeout=20) as client:
        home = client.get("/")
        assert home.status_code == 200 and "edgehooks" in home.text.lower()
        assert home.headers["x-cache"] in ("Miss from edgehooks", "Hit from edgehooks")
        assert home.headers["strict-transport-security"]  # security-headers at origin-response
        assert client.get("/").headers["x-cache"] == "Hit from edgehooks"
        assert client.get("/private/").status_code == 401  # basic-auth at viewer-request
        assert client.get("/app/some/route").status_code == 200  # spa-index at origin-request


def test_config_error_exits_2_naming_file_line_and_key(tmp_path):
    bad = tmp_path / "edgehooks.toml"
    bad.write_text('[server]\nlisten = "127.0.0.1:0"\n\n[origins.site]\nurl = "http://127.0.0.1:9"\ncolour = "blue"\n')
    done = subprocess.run([sys.executable, "-m", "edgehooks", "serve", "--config", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"{bad}:6: origins.site.colour:" in done.stderr


def test_busy_port_is_a_clear_error(served):
    url = served("--listen", "127.0.0.1:0")
    port = url.rsplit(":", 1)[1]
    done = subprocess.run(
        [sys.executable, "-m", "edgehooks", "serve", "--listen", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "cannot listen on" in done.stderr


def test_serve_runs_on_uvloop_where_it_is_installed():
    async def running() -> type:
        return type(asyncio.get_running_loop())

    assert loop.run(running()) is uvloop.Loop
