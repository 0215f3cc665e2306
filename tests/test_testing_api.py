"""`edgehooks.testing` itself: what users' own hook tests get back when a handler fails."""

from __future__ import annotations

import os
import subprocess
import sys

from edgehooks import testing

from conftest import repo_path

HANDLERS = '''
import logging

def add_via(event, context):
    logging.getLogger().warning("adding via")
    response = event["Records"][0]["cf"]["response"]
    response["headers"]["via"] = [{"key": "Via", "value": "me"}]
    return response

def crash(event, context):
    raise KeyError("uri")

def version(event, context):
    return {"status": "200", "body": context.function_version + " " + context.function_name}
'''


def test_an_invalid_result_names_field_rule_and_502(tmp_path):
    (tmp_path / "h.py").write_text(HANDLERS)
    result = testing.run(f"{tmp_path}/h.py:add_via", "viewer-response")
    assert not result.passed and result.status == 502 and result.field == "headers.via"
    assert "read-only" in result.error.message
    assert result.response["headers"]["via"][0]["value"] == "me"  # what it returned is still there to look at
    assert any("adding via" in line for line in result.logs)


def test_a_crash_is_503_with_the_error_in_the_log(tmp_path):
    (tmp_path / "h.py").write_text(HANDLERS)
    result = testing.run(f"{tmp_path}/h.py:crash", "origin-request")
    assert result.status == 503 and result.returned is None and result.error.error_type == "KeyError"
    assert any('"errorType": "KeyError"' in line for line in result.logs)
    assert result.report.startswith("REPORT RequestId: ") and "Memory Size: 128 MB" in result.report


async def test_run_async_in_an_async_test_with_limits(tmp_path):
    (tmp_path / "h.py").write_text(HANDLERS)
    result = await testing.run_async(f"{tmp_path}/h.py:version", "viewer-request", memory_mb=128, timeout=1)
    assert result.passed and result.response["body"] == "1 us-east-1.h"


def test_a_wat_module_and_a_prebuilt_event():
    event = testing.make_event("viewer-request", uri="/x", headers=[("X-A", "1"), ("X-A", "2")])
    assert [e["value"] for e in event["Records"][0]["cf"]["request"]["headers"]["x-a"]] == ["1", "2"]
    result = testing.run(str(repo_path("hooks", "wasm", "hello.wat")), "viewer-request", event=event)
    assert result.passed and result.event is event


def test_the_pytest_plugin_fixture_finds_hooks_next_to_the_test(tmp_path):
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "h.py").write_text(HANDLERS)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mine.py").write_text(
        "def test_it(edgehooks_run):\n"
        "    result = edgehooks_run('../hooks/h.py:add_via', 'viewer-response')\n"
        "    assert result.status == 502 and result.field == 'headers.via'\n"
    )
    # An installed edgehooks registers it through its pytest11 entry point; here it is named, and
    # the other plugins stay out (loading them all takes seconds).
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "edgehooks.pytest_plugin", str(tmp_path / "tests" / "test_mine.py")],
        capture_output=True, text=True, timeout=120, cwd="/", env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )  # fmt: skip
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
