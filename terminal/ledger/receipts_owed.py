"""Receipts owed: one row per sale or refund whose receipt has not yet been printed.

``SqliteLedger.post`` inserts the row in the sale's own transaction, so the print job is as
durable as the sale and costs no commit of its own. The printer side (``core/receipt_desk.py``)
spools the receipt after each commit and at start for every row still here; once the printer
reports the job printed, the row is deleted inside the next post's transaction (or in one
write at start). The table is not a projection: it records what the printer has done, which the
journal cannot know, so ``ledger verify`` does not rebuild it.
"""

from __future__ import annotations

from collections.abc import Iterable

import peewee

from terminal.core.receipt_desk import RECEIPT_KINDS
from terminal.core.records import JournalEntry
from terminal.ledger.journal import JOURNAL_COLUMNS, entry_from_row
from terminal.ledger.transaction import translate, write_transaction

__all__ = ["RECEIPT_KINDS", "create_table", "forget", "owe", "owed", "settle"]

_CHUNK = 500


def create_table(db: peewee.SqliteDatabase) -> None:
    """Ledger migration 4. Sales already in the journal were printed by the spool of their
    time, so the table starts empty."""
    db.execute_sql(
        "CREATE TABLE receipt_owed (seq INTEGER PRIMARY KEY REFERENCES journal (seq))"
    )


def owe(db: peewee.SqliteDatabase, seq: int) -> None:
    db.execute_sql("INSERT INTO receipt_owed (seq) VALUES (?)", (seq,))


def forget(db: peewee.SqliteDatabase, seqs: Iterable[int]) -> None:
    """Inside a write transaction: the receipts of ``seqs`` are printed."""
    todo = sorted(set(seqs))
    for i in range(0, len(todo), _CHUNK):
        chunk = todo[i : i + _CHUNK]
        db.execute_sql(
            f"DELETE FROM receipt_owed WHERE seq IN ({','.join('?' * len(chunk))})", chunk
        )


def owed(db: peewee.SqliteDatabase) -> list[JournalEntry]:
    cols = ", ".join(f"j.{c.strip()}" for c in JOURNAL_COLUMNS.split(","))
    rows = db.execute_sql(
        f"SELECT {cols} FROM receipt_owed o JOIN journal j ON j.seq = o.seq ORDER BY o.seq"
    ).fetchall()
    return [entry_from_row(r) for r in rows]


def settle(db: peewee.SqliteDatabase, seqs: Iterable[int]) -> None:
    """One write of its own (start-up), for receipts found printed."""
    todo = list(seqs)
    if not todo:
        return
    try:
        with write_transaction(db):
            forget(db, todo)
    except Exception as exc:
        raise translate(exc, "printed receipts were not recorded") from exc
