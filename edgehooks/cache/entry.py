"""A stored response: what it was, when it arrived, and what its directives ask of later uses.

Fields are JSON-able values plus `body: bytes`, so any tier can serialise an Entry field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..messages import Headers


# Object overhead, measured with tracemalloc on CPython 3.11 (tests/test_memory_tier.py checks it):
# a header line is a tuple of two new strings in a list; an entry is its object, dict, lists and floats.
_PER_HEADER = 170
_PER_ENTRY = 600


@dataclass
class Entry:
    status: int
    reason: str
    headers: Headers
    body: bytes
    stored_at: float  # when the response arrived (RFC 9111 §4.2.3 response_time)
    age_at_store: float  # its corrected_initial_age (§4.2.3)
    ttl: float  # freshness lifetime in seconds, after the behavior's bounds
    no_cache: bool = False  # validate before every use
    no_stale: bool = False  # never serve it stale
    stale_while_revalidate: float = 0.0
    stale_if_error: float | None = None
    # Vary (§4.1): the request fields it varies on (lower-case; ["*"] never matches) and the
    # normalised values the request that fetched it had; `family` ties the variants of one URL
    # to the primary entry they were stored under, so variants orphaned by an invalidation of
    # that entry are never picked up again.
    vary: list[str] = field(default_factory=list)
    selecting: list[str | None] = field(default_factory=list)
    family: str = ""

    def size(self) -> int:
        """About what the entry takes in this process, for the memory tier's byte bound: Python's
        objects cost more than their text (measured: a small response with six headers holds
        ~1.75 KB), and counting only the text let a bound of max_size hold several times that."""
        return len(self.body) + len(self.family) + sum(len(k) + len(v) + _PER_HEADER for k, v in self.headers) + _PER_ENTRY

    def age(self, now: float) -> float:
        return self.age_at_store + max(0.0, now - self.stored_at)
