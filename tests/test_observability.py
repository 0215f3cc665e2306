"""What operators and browsers see of the proxy's work: /metrics after real traffic through real
handlers, Server-Timing, and the log formats of a real `edgehooks serve` process."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import textwrap

import httpx
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from edgehooks import servertiming
from tests.conftest import repo_path

TOKEN = "metrics-token-0123456789"

HANDLERS = {
    "h.py": """
    import time

    def tag(event, context):
        request = event["Records"][0]["cf"]["request"]
        if request["uri"] == "/boom":
            raise ValueError("handler bug")
        if request["uri"] == "/invalid":
            return {"status": "700"}
        if request["uri"] == "/slow":
            time.sleep(1.5)
        return request

    def stamp(event, context):
        response = event["Records"][0]["cf"]["response"]
        response["headers"]["x-stamp"] = [{"key": "X-Stamp", "value": "1"}]
        return response
    """
}

CONFIG = """
[server]
server_timing = {server_timing}

[origins.site]
url = "{origin}"

[admin]
listen = "127.0.0.1:0"
token = "{token}"

[functions.tag]
handler = "h.py:tag"
concurrency = 1

[functions.stamp]
handler = "h.py:stamp"

[[behaviors]]
path = "/cached/*"
origin = "site"
origin-response = "stamp"

[[behaviors]]
path = "*"
origin = "site"
viewer-request = "tag"
viewer-response = "stamp"
cache = false
"""


async def _metrics(proxy) -> dict[tuple[str, tuple], float]:
    async with httpx.AsyncClient(base_url=proxy.node.admin.url) as admin:
        answer = await admin.get("/_edgehooks/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _value(metrics: dict, name: str, **labels) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_what_real_traffic_did(edgehooks, origin):
    proxy = await edgehooks(CONFIG.format(origin=origin.url, token=TOKEN, server_timing="true"), HANDLERS)
    before = await _metrics(proxy)
    assert _value(before, "edgehooks_function_environments", function="tag") == 0

    # /boom first: a cold start whose invocation fails is still a cold start.
    for path in ("/boom", "/cached/a", "/cached/a", "/cached/a", "/x", "/invalid"):
        await proxy.get(path)
    # concurrency = 1: while /slow holds tag's only environment, the others are throttled.
    slow = asyncio.create_task(proxy.get("/slow"))
    while proxy.node.pipeline.functions["tag"].busy == 0:
        await asyncio.sleep(0.01)
    during = await _metrics(proxy)
    others = await asyncio.gather(*(proxy.get("/y") for _ in range(3)))
    assert (await slow).status_code == 200
    assert [r.status_code for r in others] == [503] * 3
    # A throttled hook never ran: no entry of its own in Server-Timing.
    assert {r.headers["server-timing"] for r in others} == {'cache;desc="LambdaLimitExceeded"'}
    after = await _metrics(proxy)

    assert _value(during, "edgehooks_function_concurrent_executions", function="tag") == 1
    assert _value(after, "edgehooks_function_concurrent_executions", function="tag") == 0
    assert _value(after, "edgehooks_function_environments", function="tag") == 1
    tag = {"function": "tag", "hook": "viewer-request"}
    # /x, /boom, /invalid, /slow ran; the three throttled ones did not.
    assert _value(after, "edgehooks_function_invocations_total", **tag) == 4
    assert _value(after, "edgehooks_function_throttles_total", **tag) == 3
    assert _value(after, "edgehooks_function_errors_total", **tag, kind="LambdaExecutionError") == 1
    assert _value(after, "edgehooks_function_errors_total", **tag, kind="LambdaValidationError") == 1
    assert _value(after, "edgehooks_function_duration_seconds_count", **tag) == 4
    assert _value(after, "edgehooks_function_duration_seconds_sum", **tag) >= 1.5  # /slow slept 1.5 s
    assert _value(after, "edgehooks_function_init_duration_seconds_count", **tag) == 1  # one environment, one cold start

    # stamp: origin-response once for the cached path; viewer-response for /x and /slow (< 400).
    assert _value(after, "edgehooks_function_invocations_total", function="stamp", hook="origin-response") == 1
    assert _value(after, "edgehooks_function_invocations_total", function="stamp", hook="viewer-response") == 2

    cached, default = {"behavior": "/cached/*"}, {"behavior": "*"}
    assert _value(after, "edgehooks_cache_results_total", **cached, result="Miss", detail="") == 1
    assert _value(after, "edgehooks_cache_results_total", **cached, result="Hit", detail="") == 2
    assert _value(after, "edgehooks_cache_results_total", **default, result="LambdaLimitExceeded", detail="") == 3
    assert _value(after, "edgehooks_origin_duration_seconds_count", **cached) == 1
    assert _value(after, "edgehooks_origin_duration_seconds_count", **default) == 2  # /x and /slow
    assert _value(after, "edgehooks_responses_total", **cached, status="2xx") == 3
    assert _value(after, "edgehooks_responses_total", **default, status="5xx") == 5  # 503 ×4, 502 ×1
    assert _value(after, "edgehooks_responses_total", **default, status="2xx") == 2
    assert _value(after, "edgehooks_request_duration_seconds_count", **default) == 7


async def test_stale_collapsed_and_background_refreshes_are_told_apart(edgehooks, origin):
    """X-Cache says Hit for a stale copy, as CloudFront does; metrics and Server-Timing say more."""
    proxy = await edgehooks(CONFIG.format(origin=origin.url, token=TOKEN, server_timing="true"), HANDLERS)
    release = asyncio.Event()

    async def slow(request):
        await release.wait()
        return web.Response(text="x", headers={"Cache-Control": "max-age=60, stale-while-revalidate=600"})

    origin.route("/cached/slow", slow)
    first = asyncio.create_task(proxy.get("/cached/slow"))
    while not origin.hits("/cached/slow"):
        await asyncio.sleep(0.01)
    second = asyncio.create_task(proxy.get("/cached/slow"))  # waits for the first one's fetch
    while sum(proxy.node.inflight.values()) < 2:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # from its cache lookup to the wait: no I/O, a few turns of the loop
    release.set()
    cache_entries = [[m.desc for m in servertiming.parse((await r).headers["server-timing"]) if m.name == "cache"] for r in (first, second)]
    assert cache_entries == [["Miss"], ["Hit (collapsed)"]]

    real = proxy.node.pipeline.clock
    proxy.node.pipeline.clock = lambda: real() + 120  # past max-age, within stale-while-revalidate
    stale = await proxy.get("/cached/slow")
    assert stale.headers["x-cache"] == "Hit from edgehooks"
    assert 'cache;desc="Hit (stale)"' in stale.headers["server-timing"]
    while origin.hits("/cached/slow") < 2 or proxy.node.pipeline._background:
        await asyncio.sleep(0.01)

    metrics = await _metrics(proxy)
    cached = {"behavior": "/cached/*"}
    assert _value(metrics, "edgehooks_cache_results_total", **cached, result="Hit", detail="collapsed") == 1
    assert _value(metrics, "edgehooks_cache_results_total", **cached, result="Hit", detail="stale") == 1
    assert _value(metrics, "edgehooks_cache_background_refreshes_total", **cached, result="Miss") == 1
    # origin-response ran for the first fetch and for the background refresh, which no viewer waited for.
    assert _value(metrics, "edgehooks_function_invocations_total", function="stamp", hook="origin-response") == 2
    assert _value(metrics, "edgehooks_origin_duration_seconds_count", **cached) == 2


async def test_metrics_need_the_admin_token(edgehooks, origin):
    proxy = await edgehooks(CONFIG.format(origin=origin.url, token=TOKEN, server_timing="false"), HANDLERS)
    async with httpx.AsyncClient(base_url=proxy.node.admin.url) as admin:
        assert (await admin.get("/_edgehooks/metrics")).status_code == 401


async def test_server_timing_names_each_hook_the_cache_and_the_origin(edgehooks, origin):
    proxy = await edgehooks(CONFIG.format(origin=origin.url, token=TOKEN, server_timing="true"), HANDLERS)
    first = servertiming.parse((await proxy.get("/x")).headers["server-timing"])
    second = servertiming.parse((await proxy.get("/x")).headers["server-timing"])
    await proxy.get("/cached/b")
    hit = servertiming.parse((await proxy.get("/cached/b")).headers["server-timing"])
    failed = servertiming.parse((await proxy.get("/boom")).headers["server-timing"])

    assert [(m.name, m.desc) for m in first] == [
        ("viewer-request-init", "tag"), ("viewer-request", "tag"), ("viewer-response-init", "stamp"),
        ("viewer-response", "stamp"), ("cache", "Miss"), ("origin", None),
    ]  # fmt: skip
    assert all(m.dur is not None and m.dur >= 0 for m in first if m.name != "cache")
    # Warm environments: no init entries the second time.
    assert [m.name for m in second] == ["viewer-request", "viewer-response", "cache", "origin"]
    assert [(m.name, m.desc) for m in hit] == [("cache", "Hit")]
    assert [(m.name, m.desc) for m in failed] == [("viewer-request", "tag"), ("cache", "LambdaExecutionError")]


async def test_server_timing_times_a_failed_origin_fetch_too(edgehooks, unused_tcp_port):
    proxy = await edgehooks(CONFIG.format(origin=f"http://127.0.0.1:{unused_tcp_port}", token=TOKEN, server_timing="true"), HANDLERS)
    refused = await proxy.get("/cached/x")
    assert refused.status_code == 502
    assert [(m.name, m.desc) for m in servertiming.parse(refused.headers["server-timing"])] == [("cache", "Error"), ("origin", None)]


async def test_server_timing_is_off_unless_configured(edgehooks, origin):
    proxy = await edgehooks(CONFIG.format(origin=origin.url, token=TOKEN, server_timing="false"), HANDLERS)
    assert "server-timing" not in (await proxy.get("/x")).headers


def test_server_timing_parser_reads_quoted_descriptions_and_skips_junk():
    parsed = servertiming.parse('a;dur=1.5, b;desc="x, \\"y\\"";dur=2 , ;junk, c;dur=oops, d garbage, e')
    assert parsed == [
        servertiming.Metric("a", 1.5, None),
        servertiming.Metric("b", 2.0, 'x, "y"'),
        servertiming.Metric("c", None, None),
        servertiming.Metric("e", None, None),
    ]


async def test_json_logs_and_a_log_file_per_function(tmp_path, origin):
    (tmp_path / "h.py").write_text(textwrap.dedent(HANDLERS["h.py"]))
    (tmp_path / "edgehooks.toml").write_text(textwrap.dedent(CONFIG.format(origin=origin.url, token=TOKEN, server_timing="false")))
    logs = tmp_path / "logs"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "edgehooks", "--log-format", "json", "--log-dir", str(logs),
        "serve", "--config", str(tmp_path / "edgehooks.toml"), "--listen", "127.0.0.1:0",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        url = (await process.stdout.readline()).decode().rsplit(" ", 1)[1].strip()
        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            assert (await client.get("/x")).status_code == 200
            assert (await client.get("/boom")).status_code == 503
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 20)
    stderr = err.decode()

    lines = [json.loads(line) for line in stderr.splitlines()]  # every stderr line is JSON
    access = [entry["record"] for entry in lines if entry["type"] == "access"]
    assert [(a["method"], a["target"], a["status"], a["result"]) for a in access] == [
        ("GET", "/x", 200, "Miss"), ("GET", "/boom", 503, "LambdaExecutionError"),
    ]  # fmt: skip
    assert all(a["duration_ms"] >= 0 and len(a["request_id"]) == 56 for a in access)
    assert not any("function" in entry for entry in lines)  # function lines went to their files

    tag = [json.loads(line) for line in (logs / "tag.log").read_text().splitlines()]
    assert {entry["function"] for entry in tag} == {"tag"}
    types = [entry["type"] for entry in tag]
    # /x printed nothing; /boom's lines (the traceback, then Lambda's error object) sit between START and END.
    assert types[:4] == ["platform.start", "platform.runtimeDone", "platform.report", "platform.start"]
    assert types[-2:] == ["platform.runtimeDone", "platform.report"] and set(types[4:-2]) == {"function"}
    first, failed = tag[2]["record"], tag[-1]["record"]
    assert first["status"] == "success" and failed["status"] == "failure"
    assert set(first["metrics"]) == {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB", "initDurationMs"}
    assert first["metrics"]["memorySizeMB"] == 128 and first["metrics"]["billedDurationMs"] >= 1
    assert "initDurationMs" not in failed["metrics"]
    assert json.loads(tag[-3]["record"]["message"])["errorType"] == "ValueError"
    assert (logs / "stamp.log").exists()


@pytest.mark.parametrize(
    "function",
    [f'wasm = "{repo_path("hooks", "wasm", "add_header.fast.wasm")}"', f'handler = "{repo_path("hooks", "security_headers.js")}:handler"'],
    ids=["wasm", "node"],
)
async def test_every_runtime_reports_the_same_metrics(edgehooks, origin, function):
    proxy = await edgehooks(
        f"""
        [server]
        server_timing = true
        [origins.site]
        url = "{origin.url}"
        [admin]
        listen = "127.0.0.1:0"
        token = "{TOKEN}"
        [functions.f]
        {function}
        [[behaviors]]
        path = "*"
        origin = "site"
        origin-response = "f"
        cache = false
        """
    )
    timings = [servertiming.parse((await proxy.get(f"/{n}")).headers["server-timing"]) for n in range(2)]
    metrics = await _metrics(proxy)
    f = {"function": "f", "hook": "origin-response"}
    assert _value(metrics, "edgehooks_function_invocations_total", **f) == 2
    assert _value(metrics, "edgehooks_function_init_duration_seconds_count", **f) == 1
    assert _value(metrics, "edgehooks_function_environments", function="f") == 1
    assert [m.name for m in timings[0]] == ["origin-response-init", "origin-response", "cache", "origin"]
    assert [m.name for m in timings[1]] == ["origin-response", "cache", "origin"]
