"""origin-response: add the security headers browsers expect.

Done on origin-response (as in AWS's tutorial) so the headers are stored with the object and
later cache hits serve them without running the function again.
"""

SECURITY_HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains; preload",
    "content-security-policy": "default-src 'self'; img-src 'self' data:; object-src 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def handler(event, context):
    response = event["Records"][0]["cf"]["response"]
    headers = response["headers"]
    for name, value in SECURITY_HEADERS.items():
        headers[name] = [{"key": name.title(), "value": value}]
    return response
