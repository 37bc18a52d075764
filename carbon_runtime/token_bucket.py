"""The one rate limiter of the platform: a token bucket per client (a GraphQL caller, an exchange
participant), bounded in memory. Pure Python, so the service layer may use it too."""

from __future__ import annotations

import threading
import time


class TokenBucketLimiter:
    """Allows `rate_per_s` requests per second per client with bursts up to `burst`."""

    def __init__(self, rate_per_s: float, burst: int, max_clients: int = 100_000) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        if self.rate_per_s <= 0:
            return True
        t = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), t))
            tokens = min(float(self.burst), tokens + (t - last) * self.rate_per_s)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            if len(self._buckets) >= self.max_clients and client not in self._buckets:
                # Bounded memory under a flood of distinct clients: forget the stalest half.
                for key, _ in sorted(self._buckets.items(), key=lambda kv: kv[1][1])[: self.max_clients // 2]:
                    del self._buckets[key]
            self._buckets[client] = (tokens, t)
            return allowed
