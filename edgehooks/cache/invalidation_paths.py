"""CloudFront invalidation paths, as pure functions: which cached objects a path covers.

CloudFront's rules (Developer Guide, "What you need to know when invalidating paths"):
- a path starts with "/" and is case-sensitive; "*" is allowed only as its last character and
  stands for any run of characters, so `/images/*`, `/images/image*` and `/*` are prefixes;
- the object a path names includes the cached query string: with query strings in the cache key,
  `/a.jpg?v=1` is one version, `/a.jpg` only the one without a query, `/a.jpg*` all of them;
- every version cached under other headers or cookies is covered;
- non-ASCII and other characters that cannot appear in a request target are given
  percent-encoded; every other character is taken as written, never re-encoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

MAX_PATH_LENGTH = 4000  # CloudFront's limit per invalidation path
MAX_PATHS = 3000  # CloudFront's limit of paths in one invalidation request

# What a viewer can never send raw in a request target, so a cached key always holds it encoded.
_UNSENDABLE = re.compile(r"[^\x21-\x7e]")


class BadPath(ValueError):
    """An invalidation path CloudFront would refuse; the message says why."""


class SharedTierDown(Exception):
    """The shared tier could not be reached, so only this node forgot the paths; the message says what to do."""


def normalize(path: object) -> str:
    """The path as it is matched against cached objects, or BadPath."""
    if not isinstance(path, str):
        raise BadPath(f"a path must be a string, got {type(path).__name__}")
    if not path.startswith("/"):
        raise BadPath(f"path {path[:100]!r} must begin with /")
    if len(path) > MAX_PATH_LENGTH:
        raise BadPath(f"path {path[:100]!r}... is longer than {MAX_PATH_LENGTH} characters")
    if "*" in path[:-1]:
        raise BadPath(f"path {path[:100]!r} has a * before its end; the wildcard is only allowed as the last character")
    return _UNSENDABLE.sub(lambda m: quote(m[0], safe=""), path)


def normalize_all(paths: object) -> list[str]:
    """A request's paths, checked and normalized, duplicates dropped (first one kept)."""
    if not isinstance(paths, list) or not paths:
        raise BadPath('"paths" must be a non-empty list of paths such as ["/index.html", "/images/*"]')
    if len(paths) > MAX_PATHS:
        raise BadPath(f"{len(paths)} paths in one invalidation; CloudFront allows at most {MAX_PATHS}")
    return list(dict.fromkeys(normalize(p) for p in paths))


def object_name(key: str) -> str:
    """What an invalidation path is compared with: the key's URI and, when keyed, its query string.

    Keys are `host \\0 uri \\0 query \\0 ...` (cache.cache_key)."""
    _, uri, query = (key.split("\x00") + ["", ""])[:3]
    return f"{uri}?{query}" if query else uri


class Matcher:
    """Normalized paths compiled for matching many keys: exact names in a set, prefixes in a list."""

    def __init__(self, paths: Iterable[str]):
        paths = list(paths)
        self.exact = frozenset(p for p in paths if not p.endswith("*"))
        self.prefixes = tuple(p[:-1] for p in paths if p.endswith("*"))

    def __call__(self, key: str) -> bool:
        name = object_name(key)
        return name in self.exact or name.startswith(self.prefixes)
