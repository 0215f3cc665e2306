"""Durations ("500ms", "5s", "10m", "2h", "1d", "1w", "1y") and sizes ("512KiB", "20MB", "1GB").

A plain number is seconds (durations) or bytes (sizes), so TOML integers work as they would in
CloudFront's own settings. Sizes are binary: "MB" means MiB, as Lambda's memory sizes and the
defaults in `distribution.py` (256 * 1024 * 1024 for "256MB") do; "KiB"/"MiB"/... say the same
thing explicitly. Bad input raises ValueError with a message meant for the user.
"""

from __future__ import annotations

import re

SECONDS = {"": 1, "ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
BYTES = {"": 1, "b": 1} | {f"{p}{s}": 1024 ** (i + 1) for i, p in enumerate("kmgt") for s in ("b", "ib")}

_AMOUNT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


def parse_duration(value: object) -> float:
    """Seconds in `value`: a number of seconds or a string such as "500ms" or "1d"."""
    return _parse(value, SECONDS, 'a duration such as "5s", "10m" or "1d", or a number of seconds')


def parse_size(value: object) -> int:
    """Bytes in `value`: an integer number of bytes or a string such as "512KiB" or "20MB"."""
    size = _parse(value, BYTES, 'a size such as "512KiB", "20MB" or "1GB", or a number of bytes')
    if size != int(size):
        raise ValueError(f"{value!r} is not a whole number of bytes")
    return int(size)


def _parse(value: object, units: dict[str, float], expected: str) -> float:
    # bool is an int in Python, but `timeout = true` is a mistake, not one second.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return float(value)
    if not isinstance(value, str) or not (m := _AMOUNT.fullmatch(value)):
        raise ValueError(f"expected {expected}, got {value!r}")
    unit = m[2].lower()
    if unit not in units:
        raise ValueError(f"unknown unit {m[2]!r} in {value!r}; use one of {', '.join(u for u in units if u)}")
    return float(m[1]) * units[unit]
