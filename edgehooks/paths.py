"""CloudFront path patterns and behavior selection.

A pattern is matched against the whole URI path, case-sensitively: "*" is any run of characters
(slashes included), "?" exactly one character, everything else literal. The leading "/" is
optional in a pattern ("images/*.jpg" is "/images/*.jpg") and "*" alone is the default behavior.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .distribution import Behavior


def matches(pattern: str, uri: str) -> bool:
    return _compile(pattern).fullmatch(uri) is not None


def select(behaviors: list[Behavior], uri: str) -> Behavior:
    """The first behavior whose pattern matches `uri`, in configuration order."""
    for behavior in behaviors:
        if matches(behavior.path, uri):
            return behavior
    # config.load() guarantees a trailing "*" behavior, so only a hand-built list gets here.
    raise LookupError(f"no behavior matches {uri!r}")


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    if pattern == "*":
        return re.compile(r".*", re.DOTALL)
    if not pattern.startswith("/"):
        pattern = "/" + pattern
    # Everything but the two wildcards is literal: "." or "+" in a path are just characters.
    parts = ("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)
