"""Fixtures for tests that talk to a real mosquitto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .broker import Broker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A plain-TCP mosquitto on a free port, anonymous access, stopped after the test."""
    b = Broker(tmp_path).start()
    try:
        yield b
    finally:
        b.kill()


@pytest.fixture
def ledger(tmp_path: Path):
    from terminal.core.clock import SystemClock
    from terminal.ledger.db import open_ledger

    led = open_ledger(tmp_path / "ledger.sqlite3", "T1", SystemClock())
    yield led
    led.close()
