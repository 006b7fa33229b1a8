"""Per-key rate limit: a token bucket for each key, refilled continuously."""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    """Allow ``rate`` requests per second per key, with bursts of up to ``burst``.

    Parameters
    ----------
    rate : float
        Sustained requests per second allowed for one key.
    burst : int
        Requests a key may make at once after being idle.
    clock : callable
        Monotonic seconds; injectable so tests need not sleep.
    """

    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, last time)
        self._lock = threading.Lock()

    def acquire(self, key: str) -> int | None:
        """Take one token for ``key``; return None if allowed, else seconds to wait (>= 1)."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))
