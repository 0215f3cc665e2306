"""A stored response: what it was, when it arrived, and what its directives ask of later uses.

Fields are JSON-able values plus `body: bytes`, so any tier can serialise an Entry field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..messages import Headers


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
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 64

    def age(self, now: float) -> float:
        return self.age_at_store + max(0.0, now - self.stored_at)
