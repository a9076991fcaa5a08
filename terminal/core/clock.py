"""Clocks implementing ``ports.Clock``: the real one and a settable one for tests and demos."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """Time stands still until a test moves it, so durations and business days are exact."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware time")
        delta = (when.astimezone(UTC) - self._now).total_seconds()
        self._now = when.astimezone(UTC)
        self._mono += max(delta, 0.0)

    def advance(self, seconds: float = 0.0, **kw: float) -> None:
        delta = timedelta(seconds=seconds, **kw)
        if delta < timedelta(0):
            raise ValueError("a clock never goes backwards")
        self._now += delta
        self._mono += delta.total_seconds()
