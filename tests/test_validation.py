"""Handler results against CloudFront's rules (reference §2, §3, §5.4): one row per rule, no sockets."""

from __future__ import annotations

import base64
import copy

import pytest

from edgehooks.errors import ValidationError
from edgehooks.events import EventContext, request_event, response_event
from edgehooks.messages import Request, Response
from edgehooks.validation import RequestUpdate, ResponseUpdate, check_request_result, check_response_result

CTX = EventContext("d.cloudfront.net", "E1", "rid==")
ORIGIN = {
    "custom": {
        "customHeaders": {}, "domainName": "127.0.0.1", "keepaliveTimeout": 5, "path": "", "port": 9000,
        "protocol": "http", "readTimeout": 2, "sslProtocols": ["TLSv1.2"],
    }
}  # fmt: skip


def _request(body: bytes = b"") -> Request:
    headers = [("Host", "example.net"), ("Via", "1.1 x"), ("Content-Length", str(len(body))), ("Accept-Encoding", "gzip")]
    return Request("POST" if body else "GET", "/a", "q=1", headers, "10.0.0.1", body)


def _event(event_type: str, **kw) -> dict:
    if event_type in ("viewer-request", "origin-request"):
        origin = ORIGIN if event_type == "origin-request" else None
        return request_event(event_type, CTX, _request(kw.get("body", b"")), origin=origin, body=kw.get("body"))
    response = Response(kw.get("status", 200), "OK", [("Content-Type", "text/plain"), ("Content-Length", "5"), ("Via", "1.1 origin")])
    return response_event(event_type, CTX, _request(), response, origin=ORIGIN if event_type == "origin-response" else None)


def _cf(event: dict, part: str) -> dict:
    return copy.deepcopy(event["Records"][0]["cf"][part])


def _mutated(event_type: str, change) -> tuple[dict, dict]:
    event = _event(event_type)
    part = _cf(event, "request" if event_type.endswith("request") else "response")
    change(part)
    return event, part


def _set(path: str, value):
    def change(part):
        target = part
        *parents, last = path.split(".")
        for p in parents:
            target = target[p]
        target[last] = value

    return change


def _drop(name: str):
    return lambda part: part["headers"].pop(name)


def _add_header(name: str, value: str = "v"):
    return _set(f"headers.{name}", [{"key": name, "value": value}])


INVALID = [
    # (id, event type, change to the returned object, field named in the error)
    ("2.1 request must be an object: None", "viewer-request", None, "result"),
    ("2.1 request must be an object: list", "viewer-request", [], "result"),
    ("2.1 whole event returned", "viewer-request", "EVENT", "request"),
    ("1.5 headers entry must be a list", "viewer-request", _set("headers.x-a", {"value": "1"}), "headers.x-a"),
    ("1.5 header value must be a string", "viewer-request", _set("headers.x-a", [{"value": 1}]), "headers.x-a"),
    ("1.5 CR/LF in a value", "viewer-request", _add_header("x-evil", "a\r\nInjected: 1"), "headers.x-evil"),
    ("1.5 invalid header name", "viewer-request", _add_header("bad name"), "headers.bad name"),
    ("3.1 disallowed header added", "viewer-request", _add_header("x-real-ip"), "headers.x-real-ip"),
    ("3.1 disallowed prefix added", "origin-request", _add_header("x-amz-cf-pop"), "headers.x-amz-cf-pop"),
    ("3.1 disallowed X-Cache in a response", "origin-response", _add_header("x-cache"), "headers.x-cache"),
    ("3.2 VReq host changed", "viewer-request", _add_header("host", "other"), "headers.host"),
    ("3.2 VReq via deleted", "viewer-request", _drop("via"), "headers.via"),
    ("3.2 OReq accept-encoding changed", "origin-request", _add_header("accept-encoding", "br"), "headers.accept-encoding"),
    ("3.2 OReq if-none-match added", "origin-request", _add_header("if-none-match", '"x"'), "headers.if-none-match"),
    ("3.2 ORes via deleted", "origin-response", _drop("via"), "headers.via"),
    ("3.2 VRes content-length changed", "viewer-response", _add_header("content-length", "6"), "headers.content-length"),
    ("3.1 VReq adds CloudFront-Viewer-Country", "viewer-request", _add_header("cloudfront-viewer-country", "DE"), "headers.cloudfront-viewer-country"),
    ("4.3 uri must start with /", "viewer-request", _set("uri", "a"), "uri"),
    ("4.3 uri must be a string", "viewer-request", _set("uri", 5), "uri"),
    ("4.3 querystring with a space", "viewer-request", _set("querystring", "a=b c"), "querystring"),
    ("4.3 querystring with #", "origin-request", _set("querystring", "a#b"), "querystring"),
    ("4.3 uri + query too long", "viewer-request", _set("uri", "/" + "a" * 8191), "uri"),
    ("1.3 two origins", "origin-request", _set("origin", {"custom": ORIGIN["custom"], "s3": {}}), "origin"),
    ("1.3 bad port", "origin-request", _set("origin.custom.port", 81), "origin.custom.port"),
    ("1.3 bad protocol", "origin-request", _set("origin.custom.protocol", "ftp"), "origin.custom.protocol"),
    ("1.3 path with trailing /", "origin-request", _set("origin.custom.path", "/a/"), "origin.custom.path"),
    ("1.3 readTimeout out of range", "origin-request", _set("origin.custom.readTimeout", 90), "origin.custom.readTimeout"),
    ("3.5 customHeaders Host refused", "origin-request", _set("origin.custom.customHeaders", {"host": [{"value": "x"}]}), "origin.custom.customHeaders.host"),
    ("2.2 response status missing", "origin-response", lambda part: part.pop("status"), "status"),
    ("2.2 status 700", "origin-response", _set("status", 700), "status"),
    ("2.2 status 199", "origin-response", _set("status", "199"), "status"),
    ("2.2 status not a number", "origin-response", _set("status", "OK"), "status"),
    ("2.2 bad bodyEncoding", "origin-response", lambda p: p.update(body="x", bodyEncoding="hex"), "bodyEncoding"),
    ("2.2 invalid base64", "origin-response", lambda p: p.update(body="!!!", bodyEncoding="base64"), "body"),
    ("2.2 body over 1 MB", "origin-response", _set("body", "x" * (1024 * 1024 + 1)), "body"),
    ("2.3 viewer-response body", "viewer-response", _set("body", "x"), "body"),
]


@pytest.mark.parametrize("event_type, change, field", [row[1:] for row in INVALID], ids=[row[0] for row in INVALID])
def test_invalid_results_are_502(event_type, change, field):
    event = _event(event_type)
    if change == "EVENT":
        result = event
    elif callable(change):
        _, result = _mutated(event_type, change)
    else:
        result = change
    check = check_request_result if event_type.endswith("request") else check_response_result
    with pytest.raises(ValidationError) as caught:
        check(event_type, event, result)
    assert caught.value.status == 502
    assert caught.value.field == field


GENERATED_INVALID = [
    ("2.1 status outside 200-599", "viewer-request", {"status": "100"}, "status"),
    ("2.1 status is a bool", "viewer-request", {"status": True}, "status"),
    ("2.1 204 with a body", "viewer-request", {"status": "204", "body": "x"}, "body"),
    ("3.2 generated response with content-length in OReq", "origin-request", {"status": 200, "headers": {"content-length": [{"value": "1"}]}}, "headers.content-length"),
    ("3.2 generated response with via in VReq", "viewer-request", {"status": 200, "headers": {"via": [{"value": "1.1 x"}]}}, "headers.via"),
    ("4.1 viewer generated response over 40 KB", "viewer-request", {"status": 200, "headers": {"x-a": [{"value": "b"}]}, "body": "x" * 40 * 1024}, "body"),
    ("4.1 origin generated response over 1 MB", "origin-request", {"status": 200, "headers": {"x-a": [{"value": "b"}]}, "body": "x" * 1024 * 1024}, "body"),
    ("2.1 invalid base64", "viewer-request", {"status": 200, "body": "***", "bodyEncoding": "base64"}, "body"),
]


@pytest.mark.parametrize("event_type, result, field", [row[1:] for row in GENERATED_INVALID], ids=[row[0] for row in GENERATED_INVALID])
def test_invalid_generated_responses_are_502(event_type, result, field):
    with pytest.raises(ValidationError) as caught:
        check_request_result(event_type, _event(event_type), result)
    assert caught.value.field == field


def test_request_passed_through_unchanged():
    event = _event("origin-request")
    update = check_request_result("origin-request", event, _cf(event, "request"))
    assert update == RequestUpdate("/a", "q=1", [("Host", "example.net"), ("Via", "1.1 x"), ("Content-Length", "0"), ("Accept-Encoding", "gzip")], None, None)


def test_request_changes_are_applied_and_read_only_fields_ignored():
    event, result = _mutated("viewer-request", lambda p: p.update(uri="/b", querystring="", method="DELETE", clientIp="1.1.1.1"))
    result["headers"]["x-new"] = [{"value": "1"}]
    update = check_request_result("viewer-request", event, result)
    assert (update.uri, update.querystring, update.headers[-1]) == ("/b", "", ("X-New", "1"))


def test_generated_response_int_status_and_default_reason():
    answer = check_request_result("viewer-request", _event("viewer-request"), {"status": 302, "headers": {"location": [{"key": "Location", "value": "/x"}]}})
    assert (answer.status, answer.reason, answer.headers, answer.body) == (302, "Found", [("Location", "/x")], b"")


def test_generated_response_base64_body():
    data = base64.b64encode(b"\x00\x01").decode()
    answer = check_request_result("origin-request", _event("origin-request"), {"status": "200", "body": data, "bodyEncoding": "base64"})
    assert answer.body == b"\x00\x01"


def test_origin_switch_accepted_with_custom_headers():
    new = {"custom": {**ORIGIN["custom"], "domainName": "other.example", "port": 8443, "protocol": "https", "customHeaders": {"x-origin-key": [{"value": "k"}]}}}
    event, result = _mutated("origin-request", _set("origin", new))
    update = check_request_result("origin-request", event, result)
    assert update.origin["custom"]["domainName"] == "other.example"
    assert update.origin["custom"]["customHeaders"] == {"x-origin-key": [{"value": "k"}]}


def test_unchanged_local_origin_values_are_not_rechecked():
    # readTimeout 2 is outside 4-60, but the function only passed through what it was given.
    event, result = _mutated("origin-request", _set("uri", "/other"))
    assert check_request_result("origin-request", event, result).origin is None


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"action": "replace", "encoding": "text", "data": "new"}, b"new"),
        ({"action": "replace", "encoding": "base64", "data": base64.b64encode(b"bin").decode()}, b"bin"),
        ({"action": "read-only", "encoding": "text", "data": "ignored"}, None),
    ],
    ids=["2.4 replace text", "2.4 replace base64", "1.4 read-only forwards the original"],
)
def test_request_body_replacement(body, expected):
    event = _event("viewer-request", body=b"original")
    result = _cf(event, "request")
    result["body"] = body
    assert check_request_result("viewer-request", event, result).body == expected


def test_request_body_replacement_over_limit():
    event = _event("viewer-request", body=b"original")
    result = _cf(event, "request")
    result["body"] = {"action": "replace", "encoding": "text", "data": "x" * (40 * 1024 + 1)}
    with pytest.raises(ValidationError):
        check_request_result("viewer-request", event, result)


def test_origin_response_may_change_status_and_body():
    event, result = _mutated("origin-response", lambda p: p.update(status=200, statusDescription="Fine", body="friendly"))
    assert check_response_result("origin-response", event, result) == ResponseUpdate(
        200, "Fine", [("Content-Type", "text/plain"), ("Content-Length", "5"), ("Via", "1.1 origin")], b"friendly"
    )


def test_viewer_response_status_change_is_ignored():
    event, result = _mutated("viewer-response", lambda p: p.update(status="404"))
    result["headers"]["x-added"] = [{"key": "X-Added", "value": "1"}]
    update = check_response_result("viewer-response", event, result)
    assert (update.status, update.headers[-1], update.body) == (200, ("X-Added", "1"), None)


def test_an_ssl_protocols_list_holding_a_non_string_is_a_502_not_a_crash():
    # Found by tests/test_properties.py: set() of a list of lists raised TypeError in the proxy.
    event = _event("origin-request")
    result = copy.deepcopy(_cf(event, "request"))
    result["origin"] = {"custom": {**result["origin"]["custom"], "sslProtocols": [[]]}}
    with pytest.raises(ValidationError) as e:
        check_request_result("origin-request", event, result)
    assert e.value.field == "origin.custom.sslProtocols"


def test_a_header_the_event_carried_is_not_rechecked_when_returned_unchanged():
    # An origin may send a byte CloudFront forwards but a function may not write (DEL): handing
    # the response back untouched is no change, while adding the same value is.
    response = Response(200, "OK", [("Content-Type", "text/plain"), ("X-Odd", "a\x7fb")])
    event = response_event("origin-response", CTX, _request(), response, origin=ORIGIN)
    result = _cf(event, "response")
    assert ("X-Odd", "a\x7fb") in check_response_result("origin-response", event, result).headers
    result["headers"]["x-new"] = [{"key": "X-New", "value": "a\x7fb"}]
    with pytest.raises(ValidationError) as e:
        check_response_result("origin-response", event, result)
    assert e.value.field == "headers.x-new"
