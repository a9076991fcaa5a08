"""Reconnect pacing: jittered exponential back-off delays."""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_delays(minimum: float, maximum: float, rng: random.Random) -> Callable[[int], float]:
    """Attempt n (0-based) waits a random time in [d/2, d] with d = min(max, min * 2**n): the
    doubling spaces out retries, the jitter keeps a store's terminals from reconnecting in step
    after the broker comes back."""

    def delay(attempt: int) -> float:
        d = min(maximum, minimum * (2 ** min(attempt, 32)))
        return rng.uniform(d / 2, d)

    return delay
