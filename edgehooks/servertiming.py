"""The Server-Timing header (W3C Server Timing): where one request's time went, for browsers and bench.

    viewer-request;dur=0.42;desc="redirects", viewer-request-init;dur=61.20;desc="redirects",
    cache;desc="Miss", origin;dur=12.30, origin-response;dur=0.51;desc="security-headers"

A hook point's `dur` is what the hook added to the request (its event, run and checks) without
the cold start; a cold start is its own `<hook point>-init` entry, so developer tools show it as
a separate bar and `edgehooks bench` can count cold starts. `desc` names the function, or for
`cache` gives the X-Cache word with what it does not tell in brackets: "Hit (stale)", "Miss
(collapsed)".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from .errors import ThrottledError

if TYPE_CHECKING:
    from .pipeline import Timing

INIT_SUFFIX = "-init"


class Metric(NamedTuple):
    name: str
    dur: float | None
    desc: str | None


def header(timing: Timing, x_cache: str) -> str:
    """The header value for one request, in the order things happened (hooks first, then cache and origin)."""
    parts = []
    for run in timing.hooks:
        if run.error == ThrottledError.kind:
            continue  # it never ran (and is not billed); X-Cache says LambdaLimitExceeded
        if run.init_ms is not None:
            parts.append(f"{run.hook}{INIT_SUFFIX};dur={run.init_ms:.2f};desc={_quoted(run.function)}")
        parts.append(f"{run.hook};dur={run.ms:.2f};desc={_quoted(run.function)}")
    parts.append(f"cache;desc={_quoted(f'{x_cache} ({timing.cache})' if timing.cache else x_cache)}")
    if timing.origin_ms is not None:
        parts.append(f"origin;dur={timing.origin_ms:.2f}")
    return ", ".join(parts)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# One entry: a token name, then ;param=token or ;param="quoted string" (RFC 9110 §5.6.4).
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAM = re.compile(rf'\s*;\s*({_TOKEN})\s*(?:=\s*(?:({_TOKEN})|"((?:[^"\\]|\\.)*)"))?')
_NAME = re.compile(rf"\s*({_TOKEN})")
_SEPARATOR = re.compile(r"\s*(?:,|$)")


def parse(value: str) -> list[Metric]:
    """The metrics in a Server-Timing value; entries that do not parse are skipped, as browsers do."""
    metrics = []
    at = 0
    while at < len(value):
        name = _NAME.match(value, at)
        if name is None:
            comma = value.find(",", at)
            if comma < 0:
                break
            at = comma + 1
            continue
        at = name.end()
        params: dict[str, str] = {}
        while param := _PARAM.match(value, at):
            token, quoted = param[2], param[3]
            params.setdefault(param[1].lower(), token if token is not None else re.sub(r"\\(.)", r"\1", quoted or ""))
            at = param.end()
        end = _SEPARATOR.match(value, at)
        if end is None:  # garbage after the parameters: skip to the next entry
            comma = value.find(",", at)
            at = len(value) if comma < 0 else comma + 1
            continue
        at = end.end()
        metrics.append(Metric(name[1], _number(params.get("dur")), params.get("desc")))
    return metrics


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None
