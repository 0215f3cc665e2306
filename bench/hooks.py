"""The bench's Python handlers: the same header work as every other cell (bench/README.md).

viewer-request adds a request header, or answers /old/* at the edge with a 301 (the generated
response scenario); viewer-response adds a response header.
"""


def viewer_request(event, context):
    request = event["Records"][0]["cf"]["request"]
    if request["uri"].startswith("/old/"):
        return {"status": "301", "statusDescription": "Moved Permanently", "headers": {"location": [{"key": "Location", "value": "/new/" + request["uri"][5:]}]}}
    request["headers"]["x-bench-hook"] = [{"key": "X-Bench-Hook", "value": "viewer-request"}]
    return request


def viewer_response(event, context):
    response = event["Records"][0]["cf"]["response"]
    response["headers"]["x-bench-hook"] = [{"key": "X-Bench-Hook", "value": "viewer-response"}]
    return response
