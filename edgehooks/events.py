"""Lambda@Edge event JSON from the pipeline's messages (reference §1, §3).

Pure functions: the pipeline's `Request`/`Response` in, the `{"Records": [{"cf": …}]}` object a
handler receives out. The reverse direction, which must check every rule, is `validation`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from yarl import URL

from .distribution import OriginSpec
from .messages import Headers, Request, Response

# Stripped from every event and never accepted back from a function (reference §3.1).
DISALLOWED = frozenset(
    {
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "trailer",
        "upgrade",
        "x-accel-buffering",
        "x-accel-charset",
        "x-accel-limit-rate",
        "x-accel-redirect",
        "x-amzn-auth",
        "x-amzn-cf-billing",
        "x-amzn-cf-id",
        "x-amzn-cf-xff",
        "x-amzn-errortype",
        "x-amzn-fle-profile",
        "x-amzn-header-count",
        "x-amzn-header-order",
        "x-amzn-lambda-integration-tag",
        "x-amzn-requestid",
        "x-cache",
        "x-forwarded-proto",
        "x-real-ip",
    }
)
DISALLOWED_PREFIXES = ("x-amz-cf-", "x-edge-")

# A function may read these but not add, change or delete them (reference §3.2, current list).
READ_ONLY = {
    "viewer-request": frozenset({"cdn-loop", "content-length", "host", "transfer-encoding", "via"}),
    "origin-request": frozenset(
        {
            "accept-encoding",
            "cdn-loop",
            "content-length",
            "if-modified-since",
            "if-none-match",
            "if-range",
            "if-unmodified-since",
            "transfer-encoding",
            "via",
        }
    ),
    "origin-response": frozenset({"transfer-encoding", "via"}),
    "viewer-response": frozenset({"warning", "via", "content-length", "content-encoding", "transfer-encoding"}),
}


def is_disallowed(name: str) -> bool:
    return _disallowed_lower(name.lower())


def _disallowed_lower(name: str) -> bool:
    return name in DISALLOWED or name.startswith(DISALLOWED_PREFIXES)


@dataclass(frozen=True)
class EventContext:
    """What is the same in all four events of one viewer request."""

    distribution_domain_name: str
    distribution_id: str
    request_id: str


def headers_to_cf(headers: Headers) -> dict[str, list[dict[str, str]]]:
    """One entry per header line, under its lower-cased name, in the spelling it arrived in."""
    cf: dict[str, list[dict[str, str]]] = {}
    for name, value in headers:
        lower = name.lower()
        if not _disallowed_lower(lower):
            cf.setdefault(lower, []).append({"key": name, "value": value})
    return cf


def cf_to_headers(cf: dict[str, list[dict[str, str]]]) -> Headers:
    """Header lines from a (validated) header map: the map key decides the header, the entry's
    `key` only its spelling, and only when it names the same header (reference §1.5)."""
    headers: Headers = []
    for name, entries in cf.items():
        lower = name.lower()
        for entry in entries:
            key = entry.get("key")
            spelling = key if isinstance(key, str) and key.lower() == lower else title_case(name)
            headers.append((spelling, entry["value"]))
    return headers


def title_case(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def origin_object(spec: OriginSpec) -> dict:
    """The `origin` an origin-facing event shows for a configured origin (reference §1.3)."""
    if spec.path is not None:
        return {
            "s3": {
                "authMethod": "none",
                "customHeaders": {},
                "domainName": f"{s3_bucket_name(spec.name)}.s3.amazonaws.com",
                "path": "",
                "region": "us-east-1",
            }
        }
    url = URL(spec.url or "")
    return {
        "custom": {
            "customHeaders": {},
            "domainName": url.host or "",
            "keepaliveTimeout": _number(spec.keepalive_timeout),
            "path": url.path.rstrip("/"),
            "port": url.port,
            "protocol": url.scheme,
            "readTimeout": _number(spec.read_timeout),
            "sslProtocols": ["TLSv1.2"],
        }
    }


def s3_bucket_name(origin_name: str) -> str:
    # Bucket names are lower-case DNS labels; origin names in a config need not be.
    return re.sub(r"[^a-z0-9.-]+", "-", origin_name.lower()).strip("-.") or "bucket"


def _number(seconds: float) -> int | float:
    return int(seconds) if float(seconds).is_integer() else seconds


def request_event(
    event_type: str,
    ctx: EventContext,
    request: Request,
    *,
    origin: dict | None = None,
    body: bytes | None = None,
    body_truncated: bool = False,
) -> dict:
    cf_request = _cf_request(request)
    if origin is not None:
        cf_request["origin"] = origin
    if body is not None:
        cf_request["body"] = {
            "inputTruncated": body_truncated,
            "action": "read-only",
            "encoding": "base64",
            "data": base64.b64encode(body).decode("ascii"),
        }
    return _event(event_type, ctx, {"request": cf_request})


def response_event(event_type: str, ctx: EventContext, request: Request, response: Response, *, origin: dict | None = None) -> dict:
    """An origin-response or viewer-response event. The body is never shown (reference §1.6)."""
    cf_request = _cf_request(request)
    if origin is not None:
        cf_request["origin"] = origin
    cf_response = {
        "status": str(response.status),
        "statusDescription": response.reason,
        "headers": headers_to_cf(response.headers),
    }
    return _event(event_type, ctx, {"request": cf_request, "response": cf_response})


def _cf_request(request: Request) -> dict:
    return {
        "clientIp": request.client_ip,
        "headers": headers_to_cf(request.headers),
        "method": request.method,
        "querystring": request.querystring,
        "uri": request.uri,
    }


def _event(event_type: str, ctx: EventContext, parts: dict) -> dict:
    config = {
        "distributionDomainName": ctx.distribution_domain_name,
        "distributionId": ctx.distribution_id,
        "eventType": event_type,
        "requestId": ctx.request_id,
    }
    return {"Records": [{"cf": {"config": config, **parts}}]}
