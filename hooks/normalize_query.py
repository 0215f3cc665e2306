"""viewer-request: normalise the query string so equivalent URLs share one cache entry.

Parameter names are lower-cased and parameters sorted; tracking parameters are dropped. Done on
viewer-request because the cache key is computed from the request this hook returns.
"""

from urllib.parse import parse_qsl, urlencode

TRACKING = {"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "fbclid", "gclid"}


def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    params = [(k.lower(), v) for k, v in parse_qsl(request["querystring"], keep_blank_values=True)]
    request["querystring"] = urlencode(sorted(p for p in params if p[0] not in TRACKING))
    return request
