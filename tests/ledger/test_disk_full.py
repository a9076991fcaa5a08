"""A full disk (SQLITE_FULL, forced with PRAGMA max_page_count) rolls a post back whole:
no journal row, projection, counter draw or outbox row, and the next post gets the next seq."""

from __future__ import annotations

import pytest

from terminal.core.ports import LedgerFull
from terminal.ledger.ledger import SqliteLedger
from terminal.ledger.verify import verify_file

from .builders import line, post_sale, sale


def _counts(ledger: SqliteLedger) -> tuple[int, ...]:
    tables = ("journal", "sale", "sale_line", "tender", "outbox")
    counts = [ledger.db.execute_sql(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables]
    counts.append(ledger.db.execute_sql("SELECT max(last) FROM counters").fetchone()[0])
    return tuple(counts)


def test_disk_full_writes_nothing_and_recovers(ledger: SqliteLedger) -> None:
    for _ in range(3):
        post_sale(ledger, sale(2))
    before = _counts(ledger)
    pages = ledger.db.execute_sql("PRAGMA page_count").fetchone()[0]
    ledger.db.execute_sql(f"PRAGMA max_page_count = {pages + 2}")
    big = sale([line(i, sku=f"SKU{i:05d}" + "x" * 200) for i in range(1, 120)])
    with pytest.raises(LedgerFull, match="disk is full"):
        post_sale(ledger, big)
    assert _counts(ledger) == before
    # Still full: small posts fail the same way and leave nothing either.
    with pytest.raises(LedgerFull):
        for _ in range(50):
            post_sale(ledger, big)
    assert _counts(ledger) == before
    ledger.db.execute_sql("PRAGMA max_page_count = 1073741823")
    entry = post_sale(ledger, sale(2))
    assert (entry.seq, entry.number) == (4, 4)
    assert verify_file(ledger.path).ok


def test_a_read_only_ledger_is_told_apart_from_a_full_one(ledger: SqliteLedger) -> None:
    from terminal.core.ports import LedgerReadOnly

    post_sale(ledger, sale(2))
    before = _counts(ledger)
    # SQLite's own SQLITE_READONLY, as a read-only mount gives it.
    ledger.db.execute_sql("PRAGMA query_only = ON")
    with pytest.raises(LedgerReadOnly, match="read-only"):
        post_sale(ledger, sale(2))
    assert _counts(ledger) == before
    ledger.db.execute_sql("PRAGMA query_only = OFF")
    assert post_sale(ledger, sale(2)).number == 2
