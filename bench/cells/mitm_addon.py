"""mitmproxy's reverse mode doing the cells' header work, with the dict cache a Python user writes first.

    mitmdump --mode reverse:http://127.0.0.1:18000 -s bench/cells/mitm_addon.py
"""

import time

from mitmproxy import http

_cache: dict[str, tuple[float, http.Response]] = {}


def _max_age(response: http.Response) -> int | None:
    for directive in response.headers.get("cache-control", "").split(","):
        name, _, value = directive.strip().partition("=")
        if name == "no-store":
            return None
        if name == "max-age" and value.isdigit():
            return int(value)
    return None


def request(flow: http.HTTPFlow) -> None:
    if flow.request.path.startswith("/old/"):
        flow.response = http.Response.make(301, b"", {"Location": "/new/" + flow.request.path[5:]})
        return
    flow.request.headers["X-Bench-Hook"] = "viewer-request"
    cached = _cache.get(flow.request.path) if flow.request.method == "GET" else None
    if cached is not None and cached[0] > time.time():
        flow.response = cached[1].copy()


def response(flow: http.HTTPFlow) -> None:
    path = flow.request.path
    if path.startswith("/old/"):
        return  # answered at the edge: no viewer-response, as on the other cells
    now = time.time()
    if flow.request.method == "GET" and not (path in _cache and _cache[path][0] > now):
        age = _max_age(flow.response)
        if age:
            _cache[path] = (now + age, flow.response.copy())
    flow.response.headers["X-Bench-Hook"] = "viewer-response"
