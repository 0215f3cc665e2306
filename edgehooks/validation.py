"""What a handler returned, checked against CloudFront's rules (reference §2, §3, §4, §5.4).

Pure functions over the event the handler received and the JSON it returned. Each broken rule
is a `ValidationError` (a 502 to the viewer) naming the field; changes CloudFront ignores
(`method`, `clientIp`, a viewer-response status) are ignored here too, with a log line.
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus

from .errors import ValidationError
from .events import READ_ONLY, cf_to_headers, is_disallowed
from .messages import Headers, Response

log = logging.getLogger("edgehooks.validation")

# Generated response, headers + body (reference §4.1): 40 KB on viewer events, 1 MB on origin events.
RESPONSE_LIMIT = {
    "viewer-request": 40 * 1024,
    "viewer-response": 40 * 1024,
    "origin-request": 1024 * 1024,
    "origin-response": 1024 * 1024,
}
# A replaced request body as text; as base64, what that many bytes encode to.
BODY_TEXT_LIMIT = {"viewer-request": 40 * 1024, "origin-request": 1024 * 1024}
MAX_TARGET = 8192  # URI + query string, characters (reference §4.3)

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # tab is allowed in a field value
_BAD_QUERY = re.compile(r"[\x00-\x20\x7f#]")
# CloudFront refuses these as origin custom headers (reference §3.5).
_NOT_CUSTOM_ORIGIN = frozenset(
    {
        "cache-control", "connection", "content-length", "cookie", "host", "if-match", "if-modified-since",
        "if-none-match", "if-range", "if-unmodified-since", "max-forwards", "pragma", "proxy-authorization",
        "proxy-connection", "range", "request-range", "te", "trailer", "transfer-encoding", "upgrade", "via",
        "x-real-ip",
    }
)  # fmt: skip
_NOT_CUSTOM_ORIGIN_PREFIXES = ("x-amz-", "x-edge-")
_NOT_AN_OBJECT = "The Lambda function returned invalid json: The json output must be an object type."


@dataclass
class RequestUpdate:
    uri: str
    querystring: str
    headers: Headers
    origin: dict | None = None  # a replacement origin (origin-request only)
    body: bytes | None = None  # a replacement body (include-body, action "replace")


@dataclass
class ResponseUpdate:
    status: int
    reason: str
    headers: Headers
    body: bytes | None = None  # a replacement body (origin-response only)


def check_request_result(event_type: str, event: dict, result: object) -> RequestUpdate | Response:
    """A viewer-request or origin-request result: the request to go on with, or an answer."""
    cf_request = event["Records"][0]["cf"]["request"]
    result = _object(result)
    if "status" in result:
        return _generated_response(event_type, result)
    if "Records" in result or "request" in result:
        raise ValidationError("The Lambda function returned the event instead of the request.", field="request")
    for field in ("method", "clientIp"):
        if field in result and result[field] != cf_request[field]:
            log.warning("%s: the function changed the read-only request field %r; the change is ignored", event_type, field)

    uri = _string(result.get("uri"), "uri")
    if not uri.startswith("/") or _CONTROL.search(uri) or " " in uri:
        raise ValidationError("The uri must begin with '/' and contain no spaces or control characters.", field="uri")
    querystring = _string(result.get("querystring", ""), "querystring")
    if _BAD_QUERY.search(querystring):
        raise ValidationError("The querystring must not contain spaces, control characters or '#'.", field="querystring")
    if len(uri) + len(querystring) >= MAX_TARGET:
        raise ValidationError(f"The uri and querystring must be shorter than {MAX_TARGET} characters together.", field="uri")

    before = cf_request["headers"]
    after = _header_map(result.get("headers"), "headers", before)
    _check_header_rules(event_type, before, after, "headers")
    if event_type == "viewer-request" and "cloudfront-viewer-country" in after and "cloudfront-viewer-country" not in before:
        raise ValidationError("A viewer-request function cannot add CloudFront-Viewer-Country.", field="headers.cloudfront-viewer-country")

    origin = None
    if event_type == "origin-request" and result.get("origin") != cf_request.get("origin"):
        origin = _origin(result.get("origin"), cf_request.get("origin") or {}, after)
    body = _request_body(event_type, result.get("body")) if "body" in cf_request else None
    return RequestUpdate(uri, querystring, cf_to_headers(after), origin, body)


def check_response_result(event_type: str, event: dict, result: object) -> ResponseUpdate:
    """An origin-response or viewer-response result: the response to go on with."""
    cf_response = event["Records"][0]["cf"]["response"]
    result = _object(result)
    if "Records" in result or "response" in result:
        raise ValidationError("The Lambda function returned the event instead of the response.", field="response")
    if "status" not in result:
        raise ValidationError("The Lambda function returned a response without a status.", field="status")
    headers = _header_map(result.get("headers", {}), "headers", cf_response["headers"])
    _check_header_rules(event_type, cf_response["headers"], headers, "headers")

    if event_type == "viewer-response":
        # CloudFront does not let viewer-response change the status (reference §2.3).
        if str(result["status"]) != cf_response["status"]:
            log.warning("viewer-response: the function changed the status; the change is ignored")
        if "body" in result:
            raise ValidationError("A viewer-response function cannot replace the body.", field="body")
        return ResponseUpdate(int(cf_response["status"]), cf_response["statusDescription"], cf_to_headers(headers))

    status = _status(result["status"])
    reason = _string(result.get("statusDescription", cf_response["statusDescription"]), "statusDescription")
    body = None
    if "body" in result:
        body = _response_body(result)
        _check_size(event_type, headers, result["body"])
    return ResponseUpdate(status, reason, cf_to_headers(headers), body)


def _generated_response(event_type: str, result: dict) -> Response:
    status = _status(result["status"])
    reason = _string(result.get("statusDescription", ""), "statusDescription")
    headers = _header_map(result.get("headers", {}), "headers")
    # A generated response has no input headers: any read-only one in it is an "add" (reference §3.2).
    _check_header_rules(event_type, {}, headers, "headers")
    body = _response_body(result) if "body" in result else b""
    if status == 204 and body:
        raise ValidationError("A 204 response cannot have a body.", field="body")
    _check_size(event_type, headers, result.get("body", ""))
    return Response(status, reason or reason_phrase(status), cf_to_headers(headers), body)


def _object(result: object) -> dict:
    if not isinstance(result, dict):
        raise ValidationError(_NOT_AN_OBJECT, field="result")
    return result


def _string(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"The {field} must be a string.", field=field)
    return value


def _status(value: object) -> int:
    # Events carry the status as a string; AWS's own Python examples return ints (reference §1.6).
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).isdigit():
        raise ValidationError("The status must be a number between 200 and 599.", field="status")
    status = int(value)
    if not 200 <= status <= 599:
        raise ValidationError(f"The status {status} is outside 200-599.", field="status")
    return status


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _header_map(value: object, field: str, before: dict | None = None) -> dict[str, list[dict[str, str]]]:
    """The shape of a header map (reference §1.5), keyed by lower-cased name. Entries equal to
    `before`'s (the event's own, valid by construction) are not checked again: most handlers
    change one header of many."""
    if not isinstance(value, dict):
        raise ValidationError("The headers must be an object.", field=field)
    headers: dict[str, list[dict[str, str]]] = {}
    before = before or {}
    for name, entries in value.items():
        if name in before and before[name] == entries:
            headers.setdefault(name, []).extend(entries)
            continue
        where = f"{field}.{name}"
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise ValidationError(f"The header name {name!r} is not a valid HTTP field name.", field=where)
        if not isinstance(entries, list):
            raise ValidationError("Each header entry in the headers object must be an array.", field=where)
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
                raise ValidationError("The value of each header entry must be a string.", field=where)
            if "key" in entry and not isinstance(entry["key"], str):
                raise ValidationError("The key of each header entry must be a string.", field=where)
            if _CONTROL.search(entry["value"]):
                raise ValidationError("A header value contains a control character (CR, LF, …).", field=where)
        headers.setdefault(name.lower(), []).extend(entries)
    return headers


def _check_header_rules(event_type: str, before: dict, after: dict, field: str) -> None:
    for name in after:
        if name not in before and is_disallowed(name):  # the event never shows a disallowed header
            raise ValidationError(f"The function tried to add a disallowed header: {name}.", field=f"{field}.{name}")
    for name in READ_ONLY[event_type]:
        old, new = before.get(name, []), after.get(name, [])
        # Equal entries are the common case and cheap to see; counting values is not (~4 µs each).
        if old != new and _values(old) != _values(new):
            raise ValidationError(
                f"The function tried to add, delete, or change a read-only header: {name}.", field=f"{field}.{name}"
            )


def _values(entries: list[dict]) -> Counter:
    return Counter(entry["value"] for entry in entries)


def _check_size(event_type: str, headers: dict, body: object) -> None:
    # Counted as returned: header names and values plus the body string, encoded or not (reference §2.1).
    size = sum(len(name) + len(entry["value"]) for name, entries in headers.items() for entry in entries)
    size += len(body.encode()) if isinstance(body, str) else 0
    limit = RESPONSE_LIMIT[event_type]
    if size > limit:
        raise ValidationError(
            f"The response headers and body are {size} bytes, over the CloudFront limit of {limit} bytes.", field="body"
        )


def _response_body(result: dict) -> bytes:
    body = _string(result["body"], "body")
    encoding = result.get("bodyEncoding", "text")
    if encoding == "text":
        return body.encode()
    if encoding == "base64":
        return _b64decode(body, "body")
    raise ValidationError("The bodyEncoding must be 'text' or 'base64'.", field="bodyEncoding")


def _request_body(event_type: str, body: object) -> bytes | None:
    """A replacement request body, or None to forward the original (include-body, reference §2.4)."""
    if not isinstance(body, dict) or body.get("action") != "replace":
        return None
    data = _string(body.get("data"), "body.data")
    encoding = body.get("encoding", "base64")
    text_limit = BODY_TEXT_LIMIT[event_type]
    if encoding == "text":
        raw = data.encode()
        over = len(raw) > text_limit
    elif encoding == "base64":
        over = len(data) > 4 * math.ceil(text_limit / 3)
        raw = b"" if over else _b64decode(data, "body.data")
    else:
        raise ValidationError("The body encoding must be 'text' or 'base64'.", field="body.encoding")
    if over:
        raise ValidationError(f"The replacement body is over the limit of {text_limit} bytes.", field="body.data")
    return raw


def _b64decode(data: str, field: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValidationError(f"The {field} is not valid base64.", field=field) from e


def _origin(origin: object, before: dict, request_headers: dict) -> dict:
    """A replacement origin (reference §1.3). Values the function passed through unchanged are
    not re-checked: a local origin may be an IP address or use a short read timeout."""
    if not isinstance(origin, dict) or len(origin) != 1 or next(iter(origin)) not in ("custom", "s3"):
        raise ValidationError("The origin must have exactly one of 'custom' or 's3'.", field="origin")
    kind, spec = next(iter(origin.items()))
    if not isinstance(spec, dict):
        raise ValidationError(f"The origin.{kind} must be an object.", field=f"origin.{kind}")
    unchanged = before.get(kind, {})
    check = _CUSTOM_RULES if kind == "custom" else _S3_RULES
    for name, (required, rule, message) in check.items():
        where = f"origin.{kind}.{name}"
        if name not in spec:
            if required:
                raise ValidationError(f"The {where} is required.", field=where)
            continue
        if spec[name] != unchanged.get(name) and not rule(spec[name]):
            raise ValidationError(f"The {where} {message}.", field=where)
    custom_headers = _header_map(spec.get("customHeaders", {}), f"origin.{kind}.customHeaders")
    for name in custom_headers:
        if is_disallowed(name) or name in _NOT_CUSTOM_ORIGIN or name.startswith(_NOT_CUSTOM_ORIGIN_PREFIXES) or name in request_headers:
            raise ValidationError(f"The origin custom header {name} is not allowed.", field=f"origin.{kind}.customHeaders.{name}")
    return {kind: {**spec, "customHeaders": custom_headers}}


def _is_path(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 255 and (value == "" or (value.startswith("/") and not value.endswith("/")))


def _is_number_in(low: float, high: float):
    return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and low <= v <= high


_SSL_PROTOCOLS = frozenset({"TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3"})
_CUSTOM_RULES = {
    "domainName": (True, lambda v: isinstance(v, str) and 0 < len(v) <= 253 and ":" not in v, "must be a host name"),
    "port": (True, lambda v: isinstance(v, int) and (v in (80, 443) or 1024 <= v <= 65535), "must be 80, 443 or 1024-65535"),
    "protocol": (True, lambda v: v in ("http", "https"), "must be 'http' or 'https'"),
    "path": (False, _is_path, "must be empty or start with '/' and not end with '/'"),
    "readTimeout": (False, _is_number_in(4, 60), "must be 4-60 seconds"),
    "keepaliveTimeout": (False, _is_number_in(1, 60), "must be 1-60 seconds"),
    "sslProtocols": (False, lambda v: isinstance(v, list) and all(isinstance(p, str) and p in _SSL_PROTOCOLS for p in v), "has an unknown protocol"),
}
_S3_RULES = {
    "domainName": (True, lambda v: isinstance(v, str) and 0 < len(v) <= 128 and v == v.lower(), "must be a lower-case bucket endpoint"),
    "authMethod": (False, lambda v: v in ("origin-access-identity", "none"), "must be 'origin-access-identity' or 'none'"),
    "path": (False, _is_path, "must be empty or start with '/' and not end with '/'"),
    "region": (False, lambda v: isinstance(v, str), "must be a string"),
}
