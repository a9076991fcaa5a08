"""Shared set-up for link tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from terminal.core.clock import SystemClock
from terminal.link.relay import LinkConfig, Relay

from .broker import Broker


def fill(ledger: Any, n: int, kind: str = "test.event") -> None:
    """Post ``n`` real journal entries quickly: this thread's connection skips the fsync per
    commit, which matters for power cuts, not for what these tests check."""
    ledger.db.execute_sql("PRAGMA synchronous=OFF")
    try:
        for i in range(n):
            ledger.post(kind, {"n": i, "text": f"event {i}"}, staff_id=None)
    finally:
        ledger.db.execute_sql("PRAGMA synchronous=FULL")


def make_relay(broker: Broker, ledger: Any, **overrides: Any) -> Relay:
    intake = overrides.pop("intake", None)
    health = overrides.pop("health", None)
    settings: dict[str, Any] = {
        "host": broker.host,
        "port": broker.port,
        "store_id": "S1",
        "terminal_id": ledger.terminal_id,
        "ack_timeout": 2.0,
        "backoff_min": 0.05,
        "backoff_max": 0.5,
        "window": 200,
        "version": "test-1",
        "status_interval": 1.0,
    }
    settings.update(overrides)
    return Relay(
        LinkConfig(**settings),
        ledger=ledger,
        outbox=ledger.outbox(),
        clock=SystemClock(),
        intake=intake,
        health=health,
    )


def wait_until(cond: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or cond}")
