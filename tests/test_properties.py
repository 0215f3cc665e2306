"""Property tests (hypothesis) for the pure edges a hostile handler or viewer can reach: the event
mapping, result validation and request parsing. Each property says what must hold for every
input, not for a few examples."""

from __future__ import annotations

import copy
import string
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from edgehooks import events, validation
from edgehooks.errors import ValidationError
from edgehooks.events import READ_ONLY, EventContext, cf_to_headers, headers_to_cf, is_disallowed
from edgehooks.messages import Request, Response
from tests.fuzz import request_parsing

CTX = EventContext("d111111abcdef8.cloudfront.net", "EDFDVBD6EXAMPLE", "req-id")
REQUEST_HOOKS = ("viewer-request", "origin-request")
RESPONSE_HOOKS = ("origin-response", "viewer-response")

token = st.text(alphabet=string.ascii_letters + string.digits + "!#$%&'*+.^_`|~-", min_size=1, max_size=20)
field_value = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00\x7f" + "".join(map(chr, range(1, 32)))), max_size=40)
ordinary_name = token.filter(lambda n: not is_disallowed(n))
headers = st.lists(st.tuples(ordinary_name, field_value), max_size=12)
uri = st.lists(st.text(alphabet=string.ascii_letters + string.digits + "-._~%!$&'()*+,;=:@", max_size=10), max_size=5).map(lambda parts: "/" + "/".join(parts))
querystring = st.text(alphabet=string.ascii_letters + string.digits + "=&%+-._~", max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


def grouped(pairs):
    """Header lines grouped by name in order of first appearance: what the event's map keeps."""
    order: dict[str, list] = {}
    for name, value in pairs:
        order.setdefault(name.lower(), []).append((name, value))
    return [pair for group in order.values() for pair in group]


@given(headers)
def test_header_map_round_trip_keeps_every_line_its_spelling_and_order_within_a_name(pairs):
    assert cf_to_headers(headers_to_cf(pairs)) == grouped(pairs)


@given(st.lists(st.tuples(token, field_value), max_size=12))
def test_disallowed_headers_never_reach_a_function(pairs):
    assert not [name for name in headers_to_cf(pairs) if is_disallowed(name)]


def _request_event(hook, method, path, query, pairs):
    request = Request(method, path, query, pairs, "203.0.113.9")
    origin = events.origin_object(_origin_spec()) if hook == "origin-request" else None
    return events.request_event(hook, CTX, request, origin=origin)


def _origin_spec():
    from edgehooks.distribution import OriginSpec

    return OriginSpec("site", url="http://origin.example:8080")


def _response_event(hook, status, pairs):
    return events.response_event(hook, CTX, Request("GET", "/", "", [("Host", "a")], "203.0.113.9"), Response(status, "Reason", pairs))


@given(st.sampled_from(REQUEST_HOOKS), st.sampled_from(["GET", "POST", "PURGE"]), uri, querystring, headers)
def test_a_request_returned_unchanged_passes_unchanged(hook, method, path, query, pairs):
    event = _request_event(hook, method, path, query, pairs)
    update = validation.check_request_result(hook, event, copy.deepcopy(event["Records"][0]["cf"]["request"]))
    assert (update.uri, update.querystring, update.headers, update.origin, update.body) == (path, query, grouped(pairs), None, None)


@given(st.sampled_from(RESPONSE_HOOKS), st.integers(200, 599), headers)
def test_a_response_returned_unchanged_passes_unchanged(hook, status, pairs):
    event = _response_event(hook, status, pairs)
    update = validation.check_response_result(hook, event, copy.deepcopy(event["Records"][0]["cf"]["response"]))
    assert (update.status, update.headers, update.body) == (status, grouped(pairs), None)


def _returned(hook, event):
    cf = event["Records"][0]["cf"]
    return copy.deepcopy(cf["response"] if hook in RESPONSE_HOOKS else cf["request"])


def _check(hook, event, result):
    if hook in RESPONSE_HOOKS:
        return validation.check_response_result(hook, event, result)
    return validation.check_request_result(hook, event, result)


def _rejected(hook, event, result, field, why):
    try:
        _check(hook, event, result)
    except ValidationError as e:
        assert e.status == 502 and e.field == field
    else:
        raise AssertionError(f"{why} passed")


def _event(hook, pairs):
    return _response_event(hook, 200, pairs) if hook in RESPONSE_HOOKS else _request_event(hook, "GET", "/", "", pairs)


ALL_HOOKS = REQUEST_HOOKS + RESPONSE_HOOKS


@given(st.sampled_from(ALL_HOOKS), headers, ordinary_name, field_value, st.sampled_from("\r\n\x00\x01\x1f\x7f"), st.integers(0, 40))
def test_a_control_character_in_any_added_header_value_is_a_502_naming_the_header(hook, pairs, name, value, bad, at):
    event = _event(hook, pairs)
    result = _returned(hook, event)
    at = min(at, len(value))
    result["headers"].setdefault(name.lower(), []).append({"key": name, "value": value[:at] + bad + value[at:]})
    _rejected(hook, event, result, f"headers.{name.lower()}", "a header value with a control character")


@given(st.sampled_from(ALL_HOOKS), headers, st.sampled_from(sorted(events.DISALLOWED)) | token.map(lambda t: "X-Edge-" + t), field_value)
def test_adding_a_disallowed_header_is_a_502(hook, pairs, name, value):
    event = _event(hook, pairs)
    result = _returned(hook, event)
    result["headers"][name.lower()] = [{"key": name, "value": value}]
    _rejected(hook, event, result, f"headers.{name.lower()}", f"disallowed header {name}")


@given(st.sampled_from(ALL_HOOKS).flatmap(lambda h: st.tuples(st.just(h), st.sampled_from(sorted(READ_ONLY[h])))), headers, field_value, st.sampled_from(["add", "change", "delete"]))
def test_adding_changing_or_deleting_a_read_only_header_is_a_502(hook_and_name, pairs, value, how):
    hook, name = hook_and_name
    pairs = [(k, v) for k, v in pairs if k.lower() != name] + ([(name, "original")] if how != "add" else [])
    event = _event(hook, pairs)
    result = _returned(hook, event)
    if how == "delete":
        del result["headers"][name]
    else:
        result["headers"][name] = [{"key": name, "value": value if value != "original" else value + "!"}]
    _rejected(hook, event, result, f"headers.{name}", f"{how} of read-only {name} on {hook}")


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, prefix + (i,))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(ALL_HOOKS), headers, st.data(), json_values)
def test_any_part_of_a_result_replaced_by_any_json_is_accepted_or_a_502_with_a_reason(hook, pairs, data, garbage):
    """Whatever a handler returns, validation answers with an update or a ValidationError — never
    another exception, which would be a proxy bug instead of CloudFront's 502."""
    event = _event(hook, pairs)
    result = _returned(hook, event)
    path = data.draw(st.sampled_from(list(_paths(result))))
    if path:
        parent = result
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = garbage
    else:
        result = garbage
    try:
        _check(hook, event, result)
    except ValidationError as e:
        assert e.status == 502 and e.message and e.field


SEEDS = sorted((Path(__file__).parent / "fuzz" / "seeds").glob("*.http"))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=512) | st.sampled_from(SEEDS).map(Path.read_bytes).flatmap(lambda seed: st.binary(max_size=16).map(lambda tail: seed + tail)))
@example(b"GET p://].[@/ HTTP/1.1\r\nHost: a\r\n\r\n")  # the fuzzer's first finding (test_hostile_viewers)
def test_request_parsing_invariants(raw):
    request_parsing.check(raw)
