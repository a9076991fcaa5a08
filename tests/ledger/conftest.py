from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.core.clock import ManualClock
from terminal.ledger.db import open_ledger
from terminal.ledger.ledger import SqliteLedger


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ledger_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "ledger.sqlite3"


@pytest.fixture
def ledger(ledger_file: Path, clock: ManualClock) -> Iterator[SqliteLedger]:
    led = open_ledger(ledger_file, "T01", clock)
    yield led
    led.close()
