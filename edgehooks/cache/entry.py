"""A stored response and its age arithmetic (RFC 9111 §4.2.3)."""

from __future__ import annotations

from dataclasses import dataclass

from ..messages import Headers


@dataclass
class Entry:
    status: int
    reason: str
    headers: Headers
    body: bytes
    stored_at: float  # when the response arrived (response_time)
    age_at_store: float  # Age already accumulated upstream when it arrived
    ttl: float  # seconds of freshness from stored_at, after the behavior's bounds

    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 64

    def age(self, now: float) -> float:
        return self.age_at_store + max(0.0, now - self.stored_at)

    def fresh(self, now: float) -> bool:
        return now - self.stored_at < self.ttl
