"""origin-request: serve a single-page app's shell for its client-side routes.

Paths ending in "/" get "index.html"; paths without a file extension are routed to the app's
/app/index.html, so deep links like /app/settings/profile work. Done on origin-request, so the
cache key keeps the URL the viewer asked for.
"""

import posixpath

APP_SHELL = "/app/index.html"


def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    uri = request["uri"]
    if uri.endswith("/"):
        request["uri"] = uri + "index.html"
    elif "." not in posixpath.basename(uri):
        request["uri"] = APP_SHELL
    return request
