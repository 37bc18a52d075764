"""Token bucket per participant: protects the book from one participant's order storm."""

from __future__ import annotations

import threading
import time

from carbon_runtime.errors import DomainError, ErrorCode


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, participant_id: str) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(participant_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_s)
            if tokens < 1:
                self._buckets[participant_id] = (tokens, now)
                raise DomainError(
                    ErrorCode.UNAVAILABLE,
                    "RATE_LIMITED",
                    f"too many orders from this participant (limit {self.rate_per_s:g}/s); retry shortly",
                )
            self._buckets[participant_id] = (tokens - 1, now)
