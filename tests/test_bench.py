"""`edgehooks bench` as a user runs it: a real process loading a real proxy with real handlers."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import subprocess
import sys
from xml.etree import ElementTree

import pytest

from edgehooks.loadtest import results
from edgehooks.loadtest.driver import Sample
from edgehooks.servertiming import Metric
from test_observability import HANDLERS  # tag: /boom raises

CONFIG = """
[server]
server_timing = true

[origins.site]
url = "{origin}"

[functions.tag]
handler = "h.py:tag"
memory_mb = 256
timeout = "5s"

[[behaviors]]
path = "*"
origin = "site"
origin-request = "tag"
cache = false
"""


async def bench(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "edgehooks", "bench", *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def proxy(edgehooks, origin, tmp_path):
    return await edgehooks(CONFIG.format(origin=origin.url), HANDLERS)


async def test_bench_reports_hooks_cold_starts_and_cost(proxy, origin, tmp_path):
    page = tmp_path / "report.html"
    code, out, err = await bench(
        f"{proxy.url}/page", "--requests", "30", "--concurrency", "4", "--json", "--html", str(page), "--config", str(tmp_path / "edgehooks.toml")
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["requests"] == 30 == origin.hits("/page")
    assert report["statuses"] == {"200": 30} and report["errors"] == {}
    assert report["cache"] == {"Miss": 30}
    assert 0 < report["latency_ms"]["p50"] <= report["latency_ms"]["p90"] <= report["latency_ms"]["p99"] <= report["latency_ms"]["max"]
    hook = report["hooks"]["origin-request"]
    assert hook["invocations"] == 30
    # Every environment the proxy started was a cold start some response reported.
    assert hook["cold_starts"] == proxy.node.pipeline.functions["tag"].alive >= 1

    tag = report["cost"]["functions"]["tag"]
    assert tag["memory_mb"] == 256 and tag["invocations"] == 30 and tag["billed_ms"] >= 30  # at least 1 ms each
    assert tag["gb_seconds"] == pytest.approx(256 / 1024 * tag["billed_ms"] / 1000, abs=1e-6)
    assert tag["request_usd"] == pytest.approx(30 * 0.60 / 1e6)
    assert report["cost"]["per_million_viewer_requests_usd"] == pytest.approx(report["cost"]["total_usd"] / 30 * 1e6, rel=1e-3)

    html = page.read_text()
    assert html.count("<svg") == 2 and "<h2>origin-request</h2>" in html  # the whole request, then the hook
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        bars = ElementTree.fromstring(svg).findall("{http://www.w3.org/2000/svg}rect")
        assert sum(int(bar.find("{http://www.w3.org/2000/svg}title").text) for bar in bars) == 30  # every sample in a bar
    assert "<script" not in html and "src=" not in html and "href=" not in html  # one self-contained page


async def test_bench_text_report_and_exit_status_on_errors(proxy, tmp_path):
    code, out, _ = await bench(f"{proxy.url}/boom", "-n", "5", "-c", "2")
    assert code == 1
    assert "errors        503: 5" in out and "LambdaExecutionError: 5" in out

    code, out, _ = await bench(f"{proxy.url}/fine", "-n", "5")
    assert code == 0 and "statuses      200: 5" in out and "tag" in out and "per million viewer requests" in out


@pytest.mark.parametrize("ci", [None, "true"])
async def test_progress_bar_only_on_a_terminal_outside_ci(proxy, ci):
    env = {k: v for k, v in os.environ.items() if k != "CI"} | ({"CI": ci} if ci else {})
    leader, follower = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "edgehooks", "bench", f"{proxy.url}/bar", "-n", "20", stdout=subprocess.PIPE, stderr=follower, env=env
    )
    os.close(follower)
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    terminal = b""
    while chunk := await asyncio.to_thread(_read_pty, leader):
        terminal += chunk
    os.close(leader)
    assert process.returncode == 0 and b"20 requests in" in out
    assert (b"] 100%  20 requests  0 errors" in terminal) == (ci is None)


def _read_pty(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the other side is closed and everything has been read
        return b""


async def test_bench_counts_unanswered_requests_as_errors(unused_tcp_port):
    code, out, _ = await bench(f"http://127.0.0.1:{unused_tcp_port}/", "-n", "3", "--json")
    report = json.loads(out)
    assert code == 1 and report["requests"] == 3 and report["errors"] == {"ClientConnectorError": 3}


async def test_open_loop_rate_is_bounded_by_the_duration(proxy):
    # Starts on a fixed schedule: 0, 20, …, 180 ms within 0.2 s — ten requests, however fast they are answered.
    code, out, err = await bench(f"{proxy.url}/paced", "--rate", "50", "--duration", "200ms", "--json")
    assert code == 0, err
    assert json.loads(out)["requests"] == 10


@pytest.mark.parametrize(
    "argv, message",
    [
        (["http://127.0.0.1:9/", "--concurrency", "0"], "--concurrency/-c: must be more than 0"),
        (["http://127.0.0.1:9/", "--duration", "soon"], "--duration/-d: expected a duration"),
        (["http://127.0.0.1:9/", "--header", "no colon"], '--header/-H: expected "Name: value"'),
        (["127.0.0.1:8080/"], "url: expected an http:// or https:// URL"),
    ],
)
async def test_bench_usage_errors_exit_2(argv, message):
    code, _, err = await bench(*argv)
    assert code == 2 and message in err


def test_percentiles_are_values_that_were_seen():
    ordered = [float(n) for n in range(1, 101)]
    assert [results.percentile(ordered, p) for p in (50, 90, 99, 100)] == [50.0, 90.0, 99.0, 100.0]
    assert results.percentile([7.0], 99) == 7.0 and results.percentile([], 50) == 0.0


def test_cost_follows_the_reference_example():
    # Reference §7.4: 10 M × 50 ms × 128 MB = 62,500 GB-s ≈ $3.13 + $6.00; here one ten-thousandth of it.
    bill = results.cost({"f": [50] * 1000}, {"f": 128}, 1000)
    f = bill["functions"]["f"]
    assert f["gb_seconds"] == pytest.approx(6.25)
    assert f["compute_usd"] == pytest.approx(6.25 * 0.00005001)
    assert f["request_usd"] == pytest.approx(0.0006)
    assert bill["per_million_viewer_requests_usd"] == pytest.approx((3.125625 + 6.0) / 10, rel=1e-4)


def test_summary_bills_from_server_timing_without_the_cold_start():
    timing = [Metric("viewer-request-init", 80.0, "f"), Metric("viewer-request", 1.2, "f"), Metric("cache", None, "Miss"), Metric("origin", 3.0, None)]
    summary = results.summarize("u", [Sample(200, 0.09, timing), Sample(200, 0.01, timing[1:])], 1.0, {})
    assert summary["hooks"]["viewer-request"]["cold_starts"] == 1
    assert summary["cost"]["functions"]["f"]["billed_ms"] == 4  # ceil(1.2) twice; init not billed
    assert summary["cache"] == {"Miss": 2}
