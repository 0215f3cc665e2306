"""Which hosts `edgehooks intercept` acts on: the --hosts list, as CloudFront's alternate domain
names are written (exact names, or `*.example.com` for one level of subdomains)."""

from __future__ import annotations

import re

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_NAME = re.compile(rf"(\*\.)?{_LABEL}(?:\.{_LABEL})*")


def parse(text: str) -> tuple[str, ...]:
    """The host names in a comma-separated list; ValueError names the first bad one."""
    names = []
    for item in text.split(","):
        name = item.strip().lower().rstrip(".")
        if not name:
            continue
        if not _NAME.fullmatch(name):
            raise ValueError(f"{item.strip()!r} is not a host name (example.com or *.example.com, without scheme, port or path)")
        names.append(name)
    return tuple(names)


def matches(names: tuple[str, ...], host: str) -> bool:
    """Whether `host` is one of `names`; no names means every host."""
    return not names or any(_pattern(name).fullmatch(host.lower().rstrip(".")) for name in names)


def allow_hosts(names: tuple[str, ...]) -> list[str]:
    """mitmproxy's allow_hosts for `names`: its patterns are searched in "host:port"."""
    return [f"^{_pattern(name).pattern}:\\d+$" for name in names]


def _pattern(name: str) -> re.Pattern:
    if name.startswith("*."):
        return re.compile(r"[^.:]+\." + re.escape(name[2:]))
    return re.compile(re.escape(name))
