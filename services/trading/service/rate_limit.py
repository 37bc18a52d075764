"""Order-rate limit per participant: protects the book from one participant's order storm. The
bucket is the platform's one token bucket (carbon_runtime/token_bucket.py); this only says what a
refusal means to a trader."""

from __future__ import annotations

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.token_bucket import TokenBucketLimiter


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._bucket = TokenBucketLimiter(rate_per_s, burst)

    def take(self, participant_id: str) -> None:
        if not self._bucket.allow(participant_id):
            raise DomainError(
                ErrorCode.UNAVAILABLE,
                "RATE_LIMITED",
                f"too many orders from this participant (limit {self.rate_per_s:g}/s); retry shortly",
            )
