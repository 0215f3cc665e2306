"""The four hook points through the running proxy: what each may change, short-circuits, and
every error path, with the proxy serving everyone else afterwards."""

from __future__ import annotations

import pytest
from aiohttp import web

# One handler file with a function per scenario; each test wires the ones it needs.
HANDLERS = {
    "h.py": '''
import json, time

COUNT = {"n": 0}

def add_request_header(event, context):
    request = event["Records"][0]["cf"]["request"]
    request["headers"]["x-from-viewer-request"] = [{"key": "X-From-Viewer-Request", "value": "1"}]
    request["uri"] = request["uri"].replace("/rewrite-me", "/rewritten")
    return request

def generate(event, context):
    cf = event["Records"][0]["cf"]
    return {"status": "200", "statusDescription": "OK",
            "headers": {"content-type": [{"key": "Content-Type", "value": "text/plain"}],
                        "cache-control": [{"key": "Cache-Control", "value": "max-age=300"}]},
            "body": "generated at " + cf["config"]["eventType"]}

def record_origin_request(event, context):
    request = event["Records"][0]["cf"]["request"]
    request["headers"]["x-origin-event"] = [{"key": "X-Origin-Event", "value": json.dumps(sorted(request["origin"]))}]
    return request

def add_response_header(event, context):
    response = event["Records"][0]["cf"]["response"]
    response["headers"]["x-from-origin-response"] = [{"key": "X-From-Origin-Response", "value": response["status"]}]
    return response

def count_viewer_response(event, context):
    COUNT["n"] += 1
    response = event["Records"][0]["cf"]["response"]
    response["headers"]["x-delivery"] = [{"value": str(COUNT["n"])}]
    return response

def not_found_to_ok(event, context):
    response = event["Records"][0]["cf"]["response"]
    if response["status"] == "404":
        response["status"] = 200
        response["statusDescription"] = "OK"
        response["body"] = "friendly"
        response["headers"]["cache-control"] = [{"key": "Cache-Control", "value": "max-age=60"}]
    return response

def raise_error(event, context):
    raise ValueError("handler bug")

def sleep_forever(event, context):
    time.sleep(60)

def return_none(event, context):
    return None

def crlf_header(event, context):
    request = event["Records"][0]["cf"]["request"]
    request["headers"]["x-evil"] = [{"key": "X-Evil", "value": "a\\r\\nInjected: 1"}]
    return request

def change_read_only(event, context):
    request = event["Records"][0]["cf"]["request"]
    request["headers"]["host"] = [{"key": "Host", "value": "elsewhere.example"}]
    return request

def add_disallowed(event, context):
    response = event["Records"][0]["cf"]["response"]
    response["headers"]["x-cache"] = [{"key": "X-Cache", "value": "forged"}]
    return response

def bad_status(event, context):
    return {"status": "700"}

def exit_process(event, context):
    import os
    os._exit(3)

def echo_body(event, context):
    request = event["Records"][0]["cf"]["request"]
    import base64
    seen = base64.b64decode(request["body"]["data"]).decode()
    request["body"] = {"action": "replace", "encoding": "text", "data": seen.upper()}
    return request
''',
}


def distribution(origin_url: str, timeout: str = "2s", **hooks: str) -> str:
    functions = "".join(f'[functions.{name}]\nhandler = "h.py:{name}"\ntimeout = "{timeout}"\n' for name in set(hooks.values()))
    wiring = "".join(f'{point.replace("_", "-")} = "{name}"\n' for point, name in hooks.items())
    return f'[origins.site]\nurl = "{origin_url}"\n{functions}[[behaviors]]\npath = "*"\norigin = "site"\n{wiring}'


async def test_viewer_request_changes_reach_origin_and_key_the_cache(edgehooks, origin):
    proxy = await edgehooks(distribution(origin.url, viewer_request="add_request_header"), HANDLERS)
    r = await proxy.get("/rewrite-me")
    assert r.text == "origin saw GET /rewritten"
    assert origin.received[-1]["headers"]["X-From-Viewer-Request"] == "1"
    # The key is computed after viewer-request: /rewritten is now cached under the rewritten URI.
    assert (await proxy.get("/rewritten")).headers["x-cache"] == "Hit from edgehooks"


async def test_viewer_request_short_circuit_skips_origin_cache_and_viewer_response(edgehooks, origin):
    proxy = await edgehooks(distribution(origin.url, viewer_request="generate", viewer_response="count_viewer_response"), HANDLERS)
    for _ in range(2):
        r = await proxy.get("/anything")
        assert r.text == "generated at viewer-request"
        assert r.headers["x-cache"] == "LambdaGeneratedResponse from edgehooks"
        assert "x-delivery" not in r.headers
    assert origin.received == []


async def test_origin_request_short_circuit_is_cached_and_skips_origin_response(edgehooks, origin):
    proxy = await edgehooks(
        distribution(origin.url, origin_request="generate", origin_response="add_response_header", viewer_response="count_viewer_response"), HANDLERS
    )
    first = await proxy.get("/gen")
    assert first.text == "generated at origin-request" and first.headers["x-cache"] == "LambdaGeneratedResponse from edgehooks"
    assert "x-from-origin-response" not in first.headers and first.headers["x-delivery"] == "1"
    second = await proxy.get("/gen")
    assert second.text == first.text and second.headers["x-cache"] == "Hit from edgehooks" and second.headers["x-delivery"] == "2"
    assert origin.received == []


async def test_origin_request_sees_origin_and_origin_facing_headers(edgehooks, origin):
    proxy = await edgehooks(distribution(origin.url, origin_request="record_origin_request"), HANDLERS)
    await proxy.get("/o")
    seen = origin.received[-1]["headers"]
    assert seen["X-Origin-Event"] == '["custom"]'


async def test_origin_response_changes_are_cached_viewer_response_changes_never(edgehooks, origin):
    proxy = await edgehooks(distribution(origin.url, origin_response="add_response_header", viewer_response="count_viewer_response"), HANDLERS)
    a = await proxy.get("/p")
    b = await proxy.get("/p")
    assert a.headers["x-from-origin-response"] == b.headers["x-from-origin-response"] == "200"
    assert (a.headers["x-cache"], b.headers["x-cache"]) == ("Miss from edgehooks", "Hit from edgehooks")
    assert (a.headers["x-delivery"], b.headers["x-delivery"]) == ("1", "2")
    assert origin.hits("/p") == 1


async def test_origin_response_runs_on_errors_and_may_fix_them_viewer_response_skips_4xx(edgehooks, origin):
    async def missing(request):
        return web.Response(status=404, text="nope")

    async def gone(request):
        return web.Response(status=410, text="gone", headers={"Cache-Control": "no-store"})

    origin.route("/missing", missing)
    origin.route("/gone", gone)
    proxy = await edgehooks(distribution(origin.url, origin_response="not_found_to_ok", viewer_response="count_viewer_response"), HANDLERS)
    r = await proxy.get("/missing")
    assert (r.status_code, r.text) == (200, "friendly")
    assert "x-delivery" in r.headers  # decided on the status being sent (reference §0.1 default)
    r = await proxy.get("/gone")
    assert r.status_code == 410 and "x-delivery" not in r.headers


async def test_include_body_replace_reaches_origin(edgehooks, origin):
    proxy = await edgehooks(
        f"""
        [origins.site]
        url = "{origin.url}"
        [functions.echo_body]
        handler = "h.py:echo_body"
        [[behaviors]]
        path = "*"
        origin = "site"
        viewer-request = {{ function = "echo_body", include_body = true }}
        """,
        HANDLERS,
    )
    await proxy.request("POST", "/form", content=b"name=alice")
    assert origin.received[-1]["body"] == b"NAME=ALICE"


@pytest.mark.parametrize(
    "point, function, status, kind",
    [
        ("viewer_request", "raise_error", 503, "LambdaExecutionError"),
        ("origin_request", "raise_error", 503, "LambdaExecutionError"),
        ("origin_response", "raise_error", 503, "LambdaExecutionError"),
        ("viewer_response", "raise_error", 503, "LambdaExecutionError"),
        ("viewer_request", "sleep_forever", 503, "LambdaExecutionError"),
        ("origin_response", "sleep_forever", 503, "LambdaExecutionError"),
        ("viewer_request", "exit_process", 503, "LambdaExecutionError"),
        ("viewer_request", "return_none", 502, "LambdaValidationError"),
        ("origin_request", "return_none", 502, "LambdaValidationError"),
        ("viewer_request", "crlf_header", 502, "LambdaValidationError"),
        ("viewer_request", "change_read_only", 502, "LambdaValidationError"),
        ("origin_response", "add_disallowed", 502, "LambdaValidationError"),
        ("viewer_response", "add_disallowed", 502, "LambdaValidationError"),
        ("viewer_request", "bad_status", 502, "LambdaValidationError"),
    ],
)
async def test_failing_handlers_get_cloudfronts_status_and_the_proxy_keeps_serving(edgehooks, origin, point, function, status, kind):
    async def plain(request):
        return web.Response(text="fine", headers={"Cache-Control": "no-store"})

    origin.route("/ok", plain)
    proxy = await edgehooks(
        f"""
        [origins.site]
        url = "{origin.url}"
        [functions.{function}]
        handler = "h.py:{function}"
        timeout = "1s"
        [[behaviors]]
        path = "/fail/*"
        origin = "site"
        {point.replace("_", "-")} = "{function}"
        cache = false
        [[behaviors]]
        path = "*"
        origin = "site"
        """,
        HANDLERS,
    )
    r = await proxy.get("/fail/x")
    assert r.status_code == status
    assert r.headers["x-cache"] == f"{kind} from edgehooks"
    ok = await proxy.get("/ok")
    assert (ok.status_code, ok.text) == (200, "fine")
    # The failing function recovers for the next event: a fresh environment if the last one died.
    assert (await proxy.get("/fail/y")).status_code == status
