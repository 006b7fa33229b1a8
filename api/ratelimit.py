"""Token buckets refilled continuously: the per-key rate limit and the failed-key limit."""

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

    # Beyond this many buckets, full ones are dropped (they equal a fresh bucket), then the
    # longest idle, so callers that key by what a client sends (its address, a key prefix)
    # cannot grow the table without bound.
    MAX_BUCKETS = 10_000

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - last) * self.rate)

    def _wait(self, tokens: float) -> int:
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def acquire(self, key: str) -> int | None:
        """Take one token for ``key``; return None if allowed, else seconds to wait (>= 1)."""
        now = self.clock()
        with self._lock:
            tokens = self._tokens(key, now)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                if len(self._buckets) > self.MAX_BUCKETS:
                    self._prune(now)
                return None
            self._buckets[key] = (tokens, now)
            return self._wait(tokens)

    def wait(self, key: str) -> int | None:
        """Return None if ``key`` has a token left, else seconds to wait; takes nothing."""
        with self._lock:
            tokens = self._tokens(key, self.clock())
            return None if tokens >= 1.0 else self._wait(tokens)

    def _prune(self, now: float) -> None:
        full = [k for k in self._buckets if self._tokens(k, now) >= self.burst]
        for key in full:
            del self._buckets[key]
        excess = len(self._buckets) - self.MAX_BUCKETS // 2
        if excess > 0 and len(self._buckets) > self.MAX_BUCKETS:
            idle_first = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for key in idle_first[:excess]:
                del self._buckets[key]
