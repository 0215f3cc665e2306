"""The request target a viewer sent, as the path and query a CDN acts on (RFC 9112 §3.2, RFC 3986 §5.2.4).

Dot segments are removed before behaviors are matched, so `/public/../private/x` is judged by the
`/private/*` behavior that it really names, and an origin never sees a path that climbs above its root.
"""

from __future__ import annotations

import re

_DOT = re.compile(r"%2e", re.IGNORECASE)


class BadTarget(ValueError):
    """The target cannot be served: the viewer gets a 400."""


def split_target(raw: str) -> tuple[str, str, str | None]:
    """(path, query, authority) of a request target; authority is set only for absolute-form."""
    authority = None
    if not raw.startswith("/"):
        scheme, sep, rest = raw.partition("://")
        if not sep or scheme.lower() not in ("http", "https"):
            raise BadTarget(f"request target {raw[:100]!r} is not a path")
        authority, slash, rest = rest.partition("/")
        if not authority or "@" in authority:
            raise BadTarget("absolute-form target without a usable host")
        raw = slash + rest if slash else "/"
    path, _, query = raw.partition("?")
    return remove_dot_segments(path.partition("#")[0]), query.partition("#")[0], authority


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, also for the percent-encoded forms (`%2e%2e`), keeping other encodings as sent."""
    if "/." not in path and "/%2" not in path:
        return path  # no segment starts with a dot, plain or encoded: nearly every request
    out: list[str] = []
    segments = path.split("/")[1:]
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        name = _DOT.sub(".", segment)
        if name == "..":
            if not out:
                raise BadTarget(f"path {path[:100]!r} climbs above the root")
            out.pop()
            if last:
                out.append("")
        elif name == ".":
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)
