"""An `Entry` as bytes for a shared tier, and back: a JSON line of its fields, then the raw body.

Generic over `dataclasses.fields`, so fields the cache rules add later travel without a change
here. JSON turns tuples into lists; lists of pairs (header lists) come back as tuples. An entry
written by a version with other fields does not decode: it is a miss, not an error.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from .entry import Entry

_BODY = "body"


def encode(entry: Entry) -> bytes:
    meta = {f.name: getattr(entry, f.name) for f in fields(entry) if f.name != _BODY}
    # Compact JSON escapes newlines inside strings, so the first b"\n" ends the header line.
    return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + bytes(entry.body)


def decode(data: bytes) -> Entry | None:
    head, _, body = data.partition(b"\n")
    try:
        meta = json.loads(head)
        return Entry(**{name: _pairs(value) for name, value in meta.items()}, body=body)
    except (ValueError, TypeError):
        return None


def _pairs(value: Any) -> Any:
    if isinstance(value, list) and value and all(isinstance(v, list) and len(v) == 2 for v in value):
        return [tuple(v) for v in value]
    return value
