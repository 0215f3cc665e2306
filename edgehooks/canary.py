"""Which version of a function serves an event, when a behavior splits traffic between versions.

Pure: a deterministic hash of a sticky key, so a viewer stays on one version while the weights
stay the same, and distinct viewers spread in proportion to the weights. The key is the value of
the binding's `sticky_cookie` when the viewer sends it, else the viewer's IP address.
"""

from __future__ import annotations

import hashlib

from .distribution import HookBinding
from .messages import cookies


def choose(hook: HookBinding, event: dict) -> str:
    """The key in Distribution.functions of the version that runs this event."""
    if len(hook.targets) < 2:
        return hook.targets[0][0] if hook.targets else hook.function
    request = event["Records"][0]["cf"]["request"]
    sticky = cookie(request["headers"], hook.sticky_cookie) if hook.sticky_cookie else None
    point = bucket(hook.function, sticky or request["clientIp"])
    for target, weight in hook.targets:
        point -= weight
        if point < 0:
            return target
    return hook.targets[-1][0]


def bucket(function: str, key: str) -> int:
    """0–99, uniform over keys; per function, so two splits do not pick the same viewers."""
    digest = hashlib.sha256(f"{function}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def cookie(headers: dict, name: str) -> str | None:
    """A cookie's value from an event's header map, or None."""
    return next((value for key, value in cookies([h["value"] for h in headers.get("cookie", [])]) if key == name), None)
