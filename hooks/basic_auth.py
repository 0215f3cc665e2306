"""viewer-request: HTTP basic authentication at the edge.

Unauthenticated viewers get a 401 generated at the edge; the origin never sees them. The
Authorization header is removed before the request goes on, so it does not reach the origin.
"""

import base64
import hmac

USERS = {"demo": "edgehooks"}


def _authorized(header_value):
    scheme, _, encoded = header_value.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    expected = USERS.get(user)
    # As bytes: compare_digest refuses non-ASCII str, which would turn a typo into a 503.
    return expected is not None and hmac.compare_digest(password.encode(), expected.encode())


def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    supplied = request["headers"].get("authorization", [{}])[0].get("value", "")
    if _authorized(supplied):
        del request["headers"]["authorization"]
        return request
    return {
        "status": 401,
        "statusDescription": "Unauthorized",
        "headers": {
            "www-authenticate": [{"key": "WWW-Authenticate", "value": 'Basic realm="edgehooks demo", charset="UTF-8"'}],
            "content-type": [{"key": "Content-Type", "value": "text/plain"}],
        },
        "body": "Authentication required.",
    }
