"""JSON between the proxy and its functions: events out, results back, as compact UTF-8.

orjson encodes a 1 KB event ~25× faster than the json module and decodes it ~2× faster, and
every hook invocation pays for both at least twice. It is used only where it gives what json
would: encoding what the proxy built itself (string keys, JSON types), and decoding, where what
orjson refuses but json accepts (NaN, Infinity, integers past 64 bits, lone surrogates) goes to
json. What a handler returns is still serialised by json, as Lambda's runtime does.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """The proxy's own messages and events."""
    return orjson.dumps(value)


def loads(data: bytes | str) -> Any:
    """What json.loads would give; ValueError for what is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
