"""Event JSON from pipeline messages (reference §1): pure, no sockets."""

from __future__ import annotations

import base64
from pathlib import Path

from edgehooks.distribution import OriginSpec
from edgehooks.events import EventContext, cf_to_headers, headers_to_cf, origin_object, request_event, response_event
from edgehooks.messages import Request, Response

CTX = EventContext("d111111abcdef8.cloudfront.net", "EDFDVBD6EXAMPLE", "rid==")


def viewer_request(**kw) -> Request:
    fields = dict(
        method="GET",
        uri="/docs/a.html",
        querystring="lang=en",
        headers=[("Host", "www.example.net"), ("Cookie", "a=1"), ("cookie", "b=2"), ("X-Real-IP", "1.2.3.4"), ("X-Amz-Cf-Pop", "x"), ("X-Edge-Foo", "y")],
        client_ip="198.51.100.23",
    )
    fields.update(kw)
    return Request(**fields)


def test_request_event_shape_and_config():
    event = request_event("viewer-request", CTX, viewer_request())
    cf = event["Records"][0]["cf"]
    assert cf["config"] == {
        "distributionDomainName": "d111111abcdef8.cloudfront.net",
        "distributionId": "EDFDVBD6EXAMPLE",
        "eventType": "viewer-request",
        "requestId": "rid==",
    }
    assert cf["request"] == {
        "clientIp": "198.51.100.23",
        "method": "GET",
        "uri": "/docs/a.html",
        "querystring": "lang=en",
        # one entry per header line, original spelling kept; disallowed names (incl. prefixes) stripped
        "headers": {"host": [{"key": "Host", "value": "www.example.net"}], "cookie": [{"key": "Cookie", "value": "a=1"}, {"key": "cookie", "value": "b=2"}]},
    }
    assert "response" not in cf and "origin" not in cf["request"] and "body" not in cf["request"]


def test_querystring_key_present_when_empty():
    assert request_event("viewer-request", CTX, viewer_request(querystring=""))["Records"][0]["cf"]["request"]["querystring"] == ""


def test_include_body_is_base64_with_truncation_flag():
    event = request_event("origin-request", CTX, viewer_request(method="POST"), origin={"custom": {}}, body=b"name=alice", body_truncated=True)
    body = event["Records"][0]["cf"]["request"]["body"]
    assert body == {"inputTruncated": True, "action": "read-only", "encoding": "base64", "data": base64.b64encode(b"name=alice").decode()}
    assert event["Records"][0]["cf"]["request"]["origin"] == {"custom": {}}


def test_response_event_status_is_a_string_and_body_never_shown():
    response = Response(404, "Not Found", [("Content-Type", "text/html"), ("X-Cache", "Miss")], b"secret body")
    cf = response_event("origin-response", CTX, viewer_request(), response, origin={"s3": {}})["Records"][0]["cf"]
    assert cf["response"] == {"status": "404", "statusDescription": "Not Found", "headers": {"content-type": [{"key": "Content-Type", "value": "text/html"}]}}
    assert cf["request"]["origin"] == {"s3": {}}


def test_custom_origin_object_from_url():
    spec = OriginSpec("site", url="https://origin.example.net:8443/base/", read_timeout=12, keepalive_timeout=5)
    assert origin_object(spec) == {
        "custom": {
            "customHeaders": {},
            "domainName": "origin.example.net",
            "keepaliveTimeout": 5,
            "path": "/base",
            "port": 8443,
            "protocol": "https",
            "readTimeout": 12,
            "sslProtocols": ["TLSv1.2"],
        }
    }
    assert origin_object(OriginSpec("o", url="http://127.0.0.1"))["custom"]["port"] == 80


def test_s3_origin_object_has_a_bucket_endpoint():
    s3 = origin_object(OriginSpec("Demo_Site", path=Path("/srv/site")))["s3"]
    assert s3 == {"authMethod": "none", "customHeaders": {}, "domainName": "demo-site.s3.amazonaws.com", "path": "", "region": "us-east-1"}


def test_header_map_round_trip_keeps_lines_and_order():
    headers = [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X-Thing", "v")]
    assert cf_to_headers(headers_to_cf(headers)) == headers


def test_map_key_decides_and_missing_key_is_title_cased():
    cf = {"x-custom-thing": [{"value": "1"}], "last-modified": [{"key": "X-Amz-Meta-Last-Modified", "value": "2"}], "etag": [{"key": "ETAG", "value": "3"}]}
    assert cf_to_headers(cf) == [("X-Custom-Thing", "1"), ("Last-Modified", "2"), ("ETAG", "3")]
