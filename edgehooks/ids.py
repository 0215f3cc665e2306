"""Random ids, several per viewer request: CloudFront's request id, and the Lambda request id of
each function invocation.

`os.urandom` is a system call (~2 µs on this VM, more than the rest of an id), so ids are cut
from one read per 256 of them; `uuid.uuid4()` would make one call per invocation.
"""

from __future__ import annotations

import base64
import os

_REQUEST_ID_BYTES = 40  # CloudFront's ids are 56 characters of base64 ending in "==": 40 random bytes give that
_pool = bytearray()  # random bytes not yet used


def _random(size: int) -> bytes:
    if len(_pool) < size:
        _pool.extend(os.urandom(_REQUEST_ID_BYTES * 256))
    chunk = bytes(_pool[-size:])
    del _pool[-size:]
    return chunk


def request_id() -> str:
    """A CloudFront request id (X-Amz-Cf-Id, the events' `requestId`)."""
    return base64.urlsafe_b64encode(_random(_REQUEST_ID_BYTES)).decode()


def invocation_id() -> str:
    """A Lambda request id: a random (version 4, RFC 9562 variant) UUID in its usual text form."""
    h = _random(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


os.register_at_fork(after_in_child=_pool.clear)  # a forked child must not repeat its parent's ids
