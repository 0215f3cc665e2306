"""A/B test by cookie: two handlers, one per viewer hook.

viewer_request keeps a viewer on the variant named by its `variant` cookie, or picks one at
random for a new viewer, and rewrites the URI into that variant's folder — so each variant is its
own cache entry. viewer_response hands a new viewer the cookie so the choice sticks.
"""

import random

VARIANTS = ("a", "b")
COOKIE = "variant"


def _cookie(headers, name):
    for header in headers.get("cookie", []):
        for pair in header["value"].split(";"):
            key, _, value = pair.strip().partition("=")
            if key == name:
                return value
    return None


def viewer_request(event, context):
    request = event["Records"][0]["cf"]["request"]
    variant = _cookie(request["headers"], COOKIE)
    if variant not in VARIANTS:
        variant = random.choice(VARIANTS)
        # Remembered for viewer_response, which sees this same request.
        request["headers"]["x-ab-new-variant"] = [{"key": "X-AB-New-Variant", "value": variant}]
    request["uri"] = f"/experiment/{variant}{request['uri']}"
    if request["uri"].endswith("/"):
        request["uri"] += "index.html"
    return request


def viewer_response(event, context):
    cf = event["Records"][0]["cf"]
    new = cf["request"]["headers"].get("x-ab-new-variant")
    if new:
        cf["response"]["headers"]["set-cookie"] = [
            {"key": "Set-Cookie", "value": f"{COOKIE}={new[0]['value']}; Path=/; Max-Age=2592000; SameSite=Lax"}
        ]
    return cf["response"]
