"""The example handlers in hooks/, each run once in its real runtime through `edgehooks.testing`."""

from __future__ import annotations

import base64

import pytest

from edgehooks import testing

from conftest import repo_path


def hook(name: str) -> str:
    return str(repo_path("hooks", name))


def test_redirects_answers_legacy_urls_and_passes_the_rest():
    moved = testing.run(hook("redirects.py:handler"), "viewer-request", uri="/old-about")
    assert moved.passed and moved.response["status"] == "301"
    assert moved.response["headers"]["location"][0]["value"] == "/about.html"
    other = testing.run(hook("redirects.py:handler"), "viewer-request", uri="/about.html")
    assert other.passed and other.response is None and other.request["uri"] == "/about.html"


@pytest.mark.parametrize(
    "authorization, status",
    [(None, 401), ("Basic " + base64.b64encode(b"demo:wrong").decode(), 401), ("Basic " + base64.b64encode(b"demo:edgehooks").decode(), None)],
)
def test_basic_auth(authorization, status):
    headers = {"Authorization": authorization} if authorization else {}
    result = testing.run(hook("basic_auth.py:handler"), "viewer-request", uri="/private/", headers=headers)
    assert result.passed
    if status is None:
        assert result.response is None and "authorization" not in result.request["headers"]
    else:
        assert int(result.response["status"]) == status and "www-authenticate" in result.response["headers"]


@pytest.mark.parametrize("uri, rewritten", [("/app/settings/profile", "/app/index.html"), ("/docs/", "/docs/index.html"), ("/style.css", "/style.css")])
def test_spa_index_routes_app_paths_to_the_shell(uri, rewritten):
    result = testing.run(hook("spa_index.py:handler"), "origin-request", uri=uri)
    assert result.passed and result.request["uri"] == rewritten
    assert "origin" in result.request  # origin events carry the origin


def test_security_headers_are_added_on_origin_response():
    result = testing.run(hook("security_headers.py:handler"), "origin-response", status=404)
    assert result.passed and result.response["status"] == "404"
    assert result.response["headers"]["strict-transport-security"][0]["value"].startswith("max-age=")
    assert result.response["headers"]["x-frame-options"] == [{"key": "X-Frame-Options", "value": "DENY"}]


def test_normalize_query_sorts_lowercases_and_drops_tracking():
    result = testing.run(hook("normalize_query.py:handler"), "viewer-request", querystring="B=2&utm_source=x&a=1")
    assert result.passed and result.request["querystring"] == "a=1&b=2"


def test_ab_split_keeps_a_viewer_on_its_variant_and_cookies_new_ones():
    kept = testing.run(hook("ab_split.py:viewer_request"), "viewer-request", uri="/", headers={"Cookie": "variant=b"})
    assert kept.passed and kept.request["uri"] == "/experiment/b/index.html"
    new = testing.run(hook("ab_split.py:viewer_request"), "viewer-request", uri="/")
    variant = new.request["headers"]["x-ab-new-variant"][0]["value"]
    assert new.request["uri"] == f"/experiment/{variant}/index.html"
    event = testing.make_event("viewer-response", headers={"X-AB-New-Variant": "a"})
    cookie = testing.run(hook("ab_split.py:viewer_response"), "viewer-response", event=event)
    assert cookie.passed and cookie.response["headers"]["set-cookie"][0]["value"].startswith("variant=a;")


def test_wasm_examples_run_through_the_same_api():
    result = testing.run(hook("wasm/redirect.fast.wasm"), "viewer-request", uri="/old/page")
    assert result.passed and result.response["status"] == "301"
    assert result.response["headers"]["location"][0]["value"] == "/new/page"
    assert result.report.startswith("REPORT RequestId: ")
