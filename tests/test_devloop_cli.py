"""`edgehooks events`, `invoke` and `check` as a user runs them: real processes, their output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO

BAD_HANDLERS = '''
def read_only(event, context):
    print("about to change Host")
    request = event["Records"][0]["cf"]["request"]
    request["headers"]["host"] = [{"key": "Host", "value": "elsewhere.example"}]
    return request

def crash(event, context):
    raise ValueError("handler bug")
'''


def edgehooks(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgehooks", *args], capture_output=True, text=True, timeout=60, input=stdin, cwd=REPO)


@pytest.mark.parametrize("event_type", ["viewer-request", "origin-request", "origin-response", "viewer-response"])
def test_events_prints_cloudfronts_shape_for_each_type(event_type):
    done = edgehooks("events", event_type, "--uri", "/docs/a.html", "--querystring", "v=2", "--header", "Cookie: session=abc", "--status", "404")
    assert done.returncode == 0, done.stderr
    cf = json.loads(done.stdout)["Records"][0]["cf"]
    assert cf["config"]["eventType"] == event_type and len(cf["config"]["requestId"]) == 56
    assert set(cf["config"]) == {"distributionDomainName", "distributionId", "eventType", "requestId"}
    request = cf["request"]
    assert (request["uri"], request["querystring"], request["clientIp"], request["method"]) == ("/docs/a.html", "v=2", "198.51.100.23", "GET")
    assert request["headers"]["cookie"] == [{"key": "Cookie", "value": "session=abc"}]
    origin_side = event_type.startswith("origin-")
    assert ("origin" in request) == origin_side
    assert ("x-forwarded-for" in request["headers"]) == origin_side  # what CloudFront adds towards the origin
    assert request["headers"]["host"][0]["value"] == ("origin.example.com" if origin_side else "d111111abcdef8.cloudfront.net")
    if event_type.endswith("-response"):
        assert cf["response"]["status"] == "404" and cf["response"]["statusDescription"] == "Not Found"
        assert "content-type" in cf["response"]["headers"]
    else:
        assert "response" not in cf


def test_events_body_is_shown_as_include_body_does_and_bad_flags_exit_2():
    done = edgehooks("events", "viewer-request", "--method", "POST", "--body", "name=alice")
    body = json.loads(done.stdout)["Records"][0]["cf"]["request"]["body"]
    assert body == {"inputTruncated": False, "action": "read-only", "encoding": "base64", "data": "bmFtZT1hbGljZQ=="}
    bad = edgehooks("events", "viewer-request", "--header", "no colon here")
    assert bad.returncode == 2 and "is not a header" in bad.stderr


@pytest.mark.parametrize("target", ["hooks/redirects.py:handler", "hooks/redirects.js:handler", "hooks/redirects.js"])
def test_invoke_a_file_that_passes_prints_log_report_result_and_exits_0(target):
    done = edgehooks("invoke", target, "--event-type", "viewer-request", "--uri", "/old-about")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"invoke redirects ({target.partition(':')[0]}:handler, 128 MB, 3 s) on viewer-request"
    assert lines[1].startswith("START RequestId: ") and lines[1].endswith("Version: 1")
    assert any(line.startswith("REPORT RequestId: ") and "Init Duration: " in line for line in lines)
    assert '"status": "301"' in done.stdout and "PASSED" in done.stdout


def test_invoke_names_the_field_the_rule_and_the_status_of_an_invalid_result(tmp_path):
    (tmp_path / "bad.py").write_text(BAD_HANDLERS)
    done = edgehooks("invoke", f"{tmp_path}/bad.py:read_only", "--event-type", "viewer-request")
    assert done.returncode == 1
    assert "about to change Host" in done.stdout  # the handler's own log line
    assert "FAILED: the viewer would get 502 (LambdaValidationError)" in done.stdout
    assert "field: headers.host" in done.stdout and "read-only header" in done.stdout

    crashed = edgehooks("invoke", f"{tmp_path}/bad.py:crash", "--event-type", "origin-request", "--json")
    assert crashed.returncode == 1
    report = json.loads(crashed.stdout)
    assert report["passed"] is False and report["result"] is None
    assert report["error"]["status"] == 503 and report["error"]["errorType"] == "ValueError" and report["error"]["rule"] == "handler bug"
    assert report["logs"][-1].startswith("REPORT RequestId: ")


def test_invoke_a_configured_function_with_an_event_from_events(tmp_path):
    event = edgehooks("events", "origin-response", "--status", "500").stdout
    done = edgehooks("invoke", "security-headers", "--config", "config/edgehooks.toml", "--event", "-", "--json", stdin=event)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["eventType"] == "origin-response" and report["passed"]
    assert report["result"]["status"] == "500" and "strict-transport-security" in report["result"]["headers"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope", "--event-type", "viewer-request"], "no function 'nope' in"),
        (["missing.py:handler", "--event-type", "viewer-request"], "missing.py: no such file"),
        (["hooks/redirects.py"], "give --event-type"),
        (["hooks/redirects.py", "--event", "/nonexistent.json"], "/nonexistent.json: No such file or directory"),
    ],
)
def test_invoke_usage_errors_exit_2(args, message):
    done = edgehooks("invoke", *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_check_summarises_a_good_config_and_exits_0():
    done = edgehooks("check", "--config", "config/edgehooks.toml")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].endswith("config/edgehooks.toml: OK")
    assert "    redirects v1: python ../hooks/redirects.py:handler; 128 MB, timeout 1 s, concurrency 16" in done.stdout
    assert "    * -> site; viewer-request = redirects, origin-response = security-headers" in done.stdout


def test_check_reports_a_broken_handler_as_serve_does_and_exits_2(tmp_path):
    (tmp_path / "h.py").write_text("def handler(event, context)\n    return None\n")
    config = tmp_path / "edgehooks.toml"
    config.write_text('[origins.o]\nurl = "http://127.0.0.1:9"\n[functions.f]\nhandler = "h.py:handler"\n[[behaviors]]\npath = "*"\norigin = "o"\nviewer-request = "f"\n')
    checked = edgehooks("check", "--config", str(config))
    served = edgehooks("serve", "--config", str(config), "--listen", "127.0.0.1:0")
    assert checked.returncode == served.returncode == 2
    assert checked.stderr == served.stderr and f"{config}:4: functions.f.handler: cannot load h.py:handler: Runtime.UserCodeSyntaxError: Syntax error" in checked.stderr
