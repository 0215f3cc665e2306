"""The example hooks in both languages: hooks/*.py and their JavaScript twins, each run in its real
runtime (Python and Node.js workers) on the same events, must give the same answers."""

from __future__ import annotations

import asyncio
import base64
import copy

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from edgehooks import runtimes
from edgehooks.distribution import FunctionSpec
from edgehooks.events import EventContext, request_event, response_event
from edgehooks.messages import Request, Response
from tests.conftest import repo_path

CTX = EventContext("d111111abcdef8.cloudfront.net", "EDFDVBD6EXAMPLE", "rid==")

# (python handler, javascript handler): each pair is one example in two languages.
PAIRS = {
    "redirects": ("redirects.py:handler", "redirects.js:handler"),
    "security_headers": ("security_headers.py:handler", "security_headers.js:handler"),
    "spa_index": ("spa_index.py:handler", "spa_index.mjs:handler"),
    "basic_auth": ("basic_auth.py:handler", "basic_auth.js:handler"),
    "normalize_query": ("normalize_query.py:handler", "normalize_query.js:handler"),
    "ab_request": ("ab_split.py:viewer_request", "ab_split.js:viewerRequest"),
    "ab_response": ("ab_split.py:viewer_response", "ab_split.js:viewerResponse"),
}


class Pairs:
    """Both runtimes of every pair on one event loop, started on first use, shared by the module
    (hypothesis runs many examples per test, and a cold start per example would dominate)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.started: dict[str, runtimes.Runtime] = {}

    def runtime(self, handler: str) -> runtimes.Runtime:
        if handler not in self.started:
            file, _, function = handler.partition(":")
            spec = FunctionSpec(handler, handler, repo_path("hooks", file), function, timeout=5.0)
            assert runtimes.check(spec) is None
            self.started[handler] = runtimes.create(spec)
            self.loop.run_until_complete(self.started[handler].start())
        return self.started[handler]

    def answers(self, pair: str, event: dict) -> tuple[object, object]:
        """What the Python and the JavaScript handler return for copies of the same event."""
        python, javascript = (self.runtime(handler) for handler in PAIRS[pair])

        async def both():
            return await asyncio.gather(python.invoke(copy.deepcopy(event), hook=""), javascript.invoke(copy.deepcopy(event), hook=""))

        answers = self.loop.run_until_complete(both())
        return answers[0].result, answers[1].result

    def close(self) -> None:
        for runtime in self.started.values():
            self.loop.run_until_complete(runtime.close())
        self.loop.close()


@pytest.fixture(scope="module")
def pairs():
    both = Pairs()
    yield both
    both.close()


def viewer_request(uri: str = "/", querystring: str = "", headers: list[tuple[str, str]] = ()) -> dict:
    request = Request("GET", uri, querystring, [("Host", "www.example.net"), *headers], "198.51.100.23")
    return request_event("viewer-request", CTX, request)


def origin_request(uri: str) -> dict:
    request = Request("GET", uri, "", [("Host", "www.example.net")], "198.51.100.23")
    return request_event("origin-request", CTX, request, origin={"custom": {"domainName": "example.org", "path": ""}})


def response(event_type: str, status: int, headers: list[tuple[str, str]], request_headers: list[tuple[str, str]] = ()) -> dict:
    request = Request("GET", "/page", "", [("Host", "www.example.net"), *request_headers], "198.51.100.23")
    return response_event(event_type, CTX, request, Response(status, "OK", headers))


def same(pairs: Pairs, pair: str, event: dict) -> object:
    python, javascript = pairs.answers(pair, event)
    assert javascript == python
    return python


@pytest.mark.parametrize("uri, status", [("/old-about", "301"), ("/blog", "301"), ("/about.html", None), ("/toString", None), ("/", None)])
def test_redirects(pairs, uri, status):
    answer = same(pairs, "redirects", viewer_request(uri))
    assert answer.get("status") == status


@pytest.mark.parametrize("status, headers", [(200, [("Content-Type", "text/html")]), (404, []), (200, [("X-Frame-Options", "SAMEORIGIN"), ("Server", "o")])])
def test_security_headers(pairs, status, headers):
    answer = same(pairs, "security_headers", response("origin-response", status, headers))
    assert answer["headers"]["x-frame-options"] == [{"key": "X-Frame-Options", "value": "DENY"}]


@pytest.mark.parametrize("uri", ["/", "/app/", "/app/settings/profile", "/style.css", "/a.b/c", "/app/v1.2/x", "/.hidden"])
def test_spa_index(pairs, uri):
    same(pairs, "spa_index", origin_request(uri))


def basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


AUTHORIZATIONS = [
    None,
    basic(b"demo:edgehooks"),
    basic(b"demo:wrong"),
    basic(b"demo:edgehooks2"),
    basic(b"nobody:edgehooks"),
    basic(b"demo"),
    basic("demo:pässwörd".encode()),
    basic(b"\xff\xfe:x"),
    "basic " + base64.b64encode(b"demo:edgehooks").decode(),
    "Bearer " + base64.b64encode(b"demo:edgehooks").decode(),
    "Basic ZGVtbzplZGdlaG9va3M",  # unpadded
    "Basic ZGVt*zplZGdlaG9va3M=",
    "Basic",
    "",
]


AUTHORIZED = (AUTHORIZATIONS[1], AUTHORIZATIONS[8])


@pytest.mark.parametrize("authorization", AUTHORIZATIONS)
def test_basic_auth(pairs, authorization):
    headers = [] if authorization is None else [("Authorization", authorization)]
    answer = same(pairs, "basic_auth", viewer_request("/private/", headers=headers))
    assert ("status" not in answer) == (authorization in AUTHORIZED)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(codec="latin-1", exclude_categories=("Cc",)), max_size=40))
def test_basic_auth_on_any_header(pairs, authorization):
    same(pairs, "basic_auth", viewer_request("/private/", headers=[("Authorization", authorization)]))


@pytest.mark.parametrize(
    "querystring",
    ["", "b=2&a=1", "Q=x&utm_source=y", "a&b=&=c", "q=a+b%20c", "x=%E2%82%AC&x=%e2%82", "bad=%zz%4", "a=1&&A=0", "s=%C3%28", "k=~*!'()"],
)
def test_normalize_query(pairs, querystring):
    same(pairs, "normalize_query", viewer_request("/search", querystring))


QUERY_PIECES = st.one_of(
    st.sampled_from(["&", "=", "+", "%", "%20", "%2B", "%C3%A9", "%E2%82", "%F0%9F%98%80", "%ff", "UTM_Source=x", "gclid=1", "~", "*"]),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x2FF), min_size=1, max_size=3),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(QUERY_PIECES, max_size=12).map("".join))
@example("%F0%9F%98%80&%E2%82")  # an emoji and U+FFFD: JavaScript's < and Python's sort disagreed
def test_normalize_query_on_any_query_string(pairs, querystring):
    same(pairs, "normalize_query", viewer_request("/search", querystring))


@pytest.mark.parametrize("cookie", ["variant=a", "variant=b", "x=1; variant=b; y=2", "variant=b; variant=a"])
@pytest.mark.parametrize("uri", ["/", "/page.html", "/dir/"])
def test_ab_split_keeps_a_known_variant(pairs, cookie, uri):
    answer = same(pairs, "ab_request", viewer_request(uri, headers=[("Cookie", cookie)]))
    assert "x-ab-new-variant" not in answer["headers"]


@pytest.mark.parametrize("cookie", [None, "variant=c", "other=a"])
def test_ab_split_picks_a_variant_for_a_new_viewer(pairs, cookie):
    # The pick is random, so the two answers are compared once each names its pick.
    headers = [] if cookie is None else [("Cookie", cookie)]
    python, javascript = pairs.answers("ab_request", viewer_request("/", headers=headers))
    for answer in python, javascript:
        variant = answer["headers"].pop("x-ab-new-variant")[0]["value"]
        assert answer["uri"] == f"/experiment/{variant}/index.html"
        answer["uri"] = "/experiment/?/index.html"
    assert javascript == python


@pytest.mark.parametrize("new_variant", [None, "a", "b"])
def test_ab_split_response_sets_the_cookie_only_for_a_new_viewer(pairs, new_variant):
    request_headers = [] if new_variant is None else [("X-AB-New-Variant", new_variant)]
    answer = same(pairs, "ab_response", response("viewer-response", 200, [("Content-Type", "text/html")], request_headers))
    assert ("set-cookie" in answer["headers"]) == (new_variant is not None)
