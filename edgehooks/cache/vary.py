"""Vary (RFC 9111 §4.1): which request fields select a stored response, and their normalised values.

Variants are stored under secondary keys that extend the primary key, so every key a URL uses
starts with the same `host \\x00 uri \\x00` prefix.
"""

from __future__ import annotations

from ..messages import Headers, get_all
from .directives import split_list

# Fields whose list elements are case-insensitive tokens (RFC 9110 §12.5): normalising their case
# keeps one variant for "GZIP, br" and "gzip,br", as §4.1 allows for semantically identical values.
CASE_INSENSITIVE = frozenset({"accept-encoding", "accept-charset", "accept-language"})


def vary_names(headers: Headers) -> list[str]:
    """The field names a response varies on, lower-case; ["*"] when any is `*` (§4.1)."""
    names: list[str] = []
    for line in get_all(headers, "vary"):
        for name in split_list(line):
            if name == "*":
                return ["*"]
            if name.lower() not in names:
                names.append(name.lower())
    return names


def selecting_values(request_headers: Headers, names: list[str]) -> list[str | None]:
    """Each named request field normalised (§4.1): lines combined, whitespace around elements
    dropped, case folded where it carries no meaning; None when the request lacks the field."""
    values: list[str | None] = []
    for name in names:
        lines = get_all(request_headers, name)
        if not lines:
            values.append(None)
            continue
        elements = split_list(",".join(lines))
        if name in CASE_INSENSITIVE:
            elements = [e.lower() for e in elements]
        values.append(",".join(elements))
    return values


def matches(names: list[str], stored: list[str | None], request_headers: Headers) -> bool:
    """Does the request select the response stored with these selecting values? Never for `*`."""
    return names != ["*"] and selecting_values(request_headers, names) == stored


def variant_key(primary: str, names: list[str], values: list[str | None]) -> str:
    """The secondary key of one variant: the primary key, then each selecting field and value
    (an absent field differs from an empty one)."""
    parts = [f"{name}={value}" if value is not None else f"{name}!" for name, value in zip(names, values)]
    return "\x00".join([primary, "vary", *parts])
