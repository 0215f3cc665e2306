"""viewer-request: answer legacy URLs with a permanent redirect at the edge.

A generated response from viewer-request goes straight back to the viewer: the origin is never
contacted and the answer is not cached.
"""

REDIRECTS = {
    "/old-about": "/about.html",
    "/blog": "https://blog.example.com/",
}


def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    target = REDIRECTS.get(request["uri"])
    if target is None:
        return request
    return {
        "status": "301",
        "statusDescription": "Moved Permanently",
        "headers": {
            "location": [{"key": "Location", "value": target}],
            "cache-control": [{"key": "Cache-Control", "value": "max-age=3600"}],
        },
    }
