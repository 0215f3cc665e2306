"""`edgehooks serve --workers N` as a user runs it: N real processes on one port (SO_REUSEPORT)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "workers-admin-token-0123456789"

CONFIG = f"""
[server]
listen = "127.0.0.1:0"

[origins.site]
path = "site"

[admin]
listen = "127.0.0.1:0"
token = "{TOKEN}"

[[behaviors]]
path = "*"
origin = "site"
"""


class Served:
    def __init__(self, tmp_path: Path, *args: str):
        self.log = tmp_path / "stderr.txt"
        with self.log.open("wb") as log:
            # stderr to a file: the access log of every worker goes there and must never fill a pipe.
            self.process = subprocess.Popen([sys.executable, "-m", "edgehooks", "serve", *args], stdout=subprocess.PIPE, stderr=log, text=True)
        self.url = self._line("serving").rsplit(" ", 1)[1]
        self.admin = httpx.Client(base_url=self._line("admin").rsplit(" ", 1)[1], headers={"Authorization": f"Bearer {TOKEN}"}) if "--config" in args else None

    def _line(self, word: str) -> str:
        line = self.process.stdout.readline()
        if word not in line:
            self.process.kill()
            raise AssertionError(f"expected a {word} line, got {line!r}; stderr: {self.log.read_text()}")
        return line.strip()

    def get(self, path: str) -> httpx.Response:
        # A new connection each time, so the kernel picks a worker each time.
        with httpx.Client(base_url=self.url, timeout=20) as client:
            return client.get(path)

    def pids(self) -> list[int]:
        return [w["pid"] for w in self.admin.get("/_edgehooks/status").json()["workers"]]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@pytest.fixture
def served(tmp_path):
    started: list[Served] = []

    def start(*args: str) -> Served:
        started.append(Served(tmp_path, *args))
        return started[-1]

    yield start
    for s in started:
        if s.process.poll() is None:
            s.process.kill()
            s.process.wait()


def site(tmp_path: Path, toml: str = CONFIG) -> str:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "page.html").write_text("v1")
    (tmp_path / "edgehooks.toml").write_text(toml)
    return str(tmp_path / "edgehooks.toml")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def until(check, what: str, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds}s: {what}")


def test_workers_share_the_port_and_every_one_hears_invalidations(served, tmp_path):
    config = site(tmp_path)
    proxy = served("--workers", "2", "--config", config)
    pids = proxy.pids()
    assert len(set(pids)) == 2 and all(map(alive, pids))

    # Each worker has its own memory tier: once both have fetched the page, both hold "v1".
    misses = 0
    for _ in range(60):
        answer = proxy.get("/page.html")
        assert answer.text == "v1"
        misses += answer.headers["x-cache"].startswith("Miss")
        if misses == 2:
            break
    assert misses == 2, "connections never reached the second worker"

    (tmp_path / "site" / "page.html").write_text("v2")
    answer = proxy.admin.post("/_edgehooks/invalidations", json={"paths": ["/page.html"]})
    assert answer.status_code == 201
    assert {proxy.get("/page.html").text for _ in range(20)} == {"v2"}, "a worker kept the invalidated copy"

    # A worker that dies is reported and replaced; the others keep serving meanwhile.
    os.kill(pids[0], signal.SIGKILL)
    assert proxy.get("/page.html").status_code == 200

    def replaced() -> list[int] | None:
        now = proxy.pids()
        return now if len(now) == 2 and pids[0] not in now else None

    fresh = until(replaced, "a replacement worker")
    assert all(map(alive, fresh)) and f"pid {pids[0]}) exited with status -9; starting another" in proxy.log.read_text()

    assert proxy.stop() == 0
    assert not any(map(alive, fresh)), "a worker outlived SIGTERM to its parent"


def test_workers_with_the_default_config(served):
    proxy = served("--workers", "2", "--listen", "127.0.0.1:0")
    home = proxy.get("/")
    assert home.status_code == 200 and home.headers["strict-transport-security"]
    assert proxy.stop() == 0


def test_workers_share_one_cache_through_redis(served, tmp_path, redis_server):
    config = site(tmp_path, f'[cache]\nredis = "{redis_server.url}"\n' + CONFIG)
    proxy = served("--workers", "2", "--config", config)
    assert proxy.get("/page.html").headers["x-cache"] == "Miss from edgehooks"
    until(redis_server.entries, "the entry in Redis")
    assert {proxy.get("/page.html").headers["x-cache"] for _ in range(20)} == {"Hit from edgehooks"}
    assert proxy.stop() == 0


def test_bad_worker_count_and_busy_port(served, tmp_path):
    done = subprocess.run([sys.executable, "-m", "edgehooks", "serve", "--workers", "0"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "'0' is not a number of processes" in done.stderr
    proxy = served("--workers", "2", "--listen", "127.0.0.1:0")  # its workers share the port, but with nobody else
    done = subprocess.run(
        [sys.executable, "-m", "edgehooks", "serve", "--workers", "2", "--listen", proxy.url.removeprefix("http://")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "cannot listen on" in done.stderr


def test_metrics_add_up_across_workers(served, tmp_path):
    proxy = served("--workers", "2", "--config", site(tmp_path))
    sent = misses = 0
    while misses < 2 and sent < 60:  # a new connection each, until both workers have served (a miss each)
        sent += 1
        misses += proxy.get("/page.html").headers["x-cache"].startswith("Miss")
    assert misses == 2, "connections never reached the second worker"
    exposition = proxy.admin.get("/_edgehooks/metrics")
    assert exposition.status_code == 200
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition.text)
        for sample in family.samples
    }
    results = {labels: value for (name, labels), value in samples.items() if name == "edgehooks_cache_results_total"}
    # Each worker has its own memory tier: a miss in each, both added up, every request counted once.
    assert sum(results.values()) == sent
    assert results[(("behavior", "*"), ("detail", ""), ("result", "Miss"))] == 2
    assert samples[("edgehooks_request_duration_seconds_count", (("behavior", "*"),))] == sent
    assert not any(name.endswith("_created") for name, _ in samples)
