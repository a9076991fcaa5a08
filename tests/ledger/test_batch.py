"""``SqliteLedger.batch``: journal entries, catalog rows and their outbox rows written inside it
commit together or not at all, and listeners hear of them only after the commit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from terminal.core.clock import ManualClock
from terminal.core.ports import LedgerError
from terminal.core.records import Item, TaxClass
from terminal.ledger.db import open_ledger


def _counts(path: Path) -> tuple[int, int, int, int]:
    # Read with the real sqlite3 module on its own connection: what another process sees.
    con = sqlite3.connect(path)
    try:
        return tuple(  # type: ignore[return-value]
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("journal", "outbox", "item", "tax_class")
        )
    finally:
        con.close()


def test_a_failing_batch_leaves_nothing_and_tells_nobody(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = open_ledger(path, "T1", ManualClock())
    heard: list[int] = []
    ledger.subscribe(lambda e: heard.append(e.seq))
    catalog = ledger.catalog()
    ledger.post("note", {"n": 0}, staff_id=None)
    before = _counts(path)
    with pytest.raises(RuntimeError, match="late failure"), ledger.batch():
        catalog.set_tax_classes([TaxClass("zero", 0, True, "")])
        catalog.upsert_items([Item(sku="A", name="Tea", name_zh="", price=100, tax_class="zero")])
        ledger.post("note", {"n": 1}, staff_id=None)
        raise RuntimeError("late failure")
    assert _counts(path) == before and heard == [1]

    with ledger.batch():
        catalog.upsert_items([Item(sku="A", name="Tea", name_zh="", price=100)])
        ledger.post("note", {"n": 2}, staff_id=None)
        ledger.post("note", {"n": 3}, staff_id=None)
        assert heard == [1]  # not before the commit
    assert heard == [1, 2, 3]
    journal, outbox, items, _ = _counts(path)
    assert (journal, items) == (3, 1) and outbox == 3
    # Batches do not nest.
    with pytest.raises(LedgerError, match="do not nest"), ledger.batch(), ledger.batch():
        pass
    ledger.close()
