"""The outbox: journal entries waiting for the link to deliver them.

Rows are written by ``SqliteLedger.post`` in the same transaction as their journal entry
(never for training entries) and removed only when the collector has acknowledged them, so an
event is neither lost nor invented across restarts. ``body`` is the canonical JSON of the whole
``JournalEntry`` (hash included; see ``terminal.ledger.journal``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import peewee

from terminal.ledger.journal import JOURNAL_COLUMNS, entry_body, entry_from_row
from terminal.ledger.transaction import translate, write_transaction

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class OutboxRow:
    seq: int
    kind: str
    body: bytes


class Outbox:
    def __init__(self, db: peewee.SqliteDatabase) -> None:
        self.db = db

    def pending(self, limit: int, after_seq: int = 0) -> list[OutboxRow]:
        """Up to ``limit`` undelivered rows with seq > ``after_seq``, in sequence order."""
        rows = self.db.execute_sql(
            "SELECT seq, kind, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return [OutboxRow(seq, kind, bytes(body)) for seq, kind, body in rows]

    def acknowledge(self, seqs: Iterable[int]) -> int:
        """Forget delivered rows; unknown or already acknowledged seqs are ignored. Returns
        how many rows were removed."""
        todo = sorted(set(seqs))
        removed = 0
        try:
            with write_transaction(self.db):
                for i in range(0, len(todo), _CHUNK):
                    chunk = todo[i : i + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    cursor = self.db.execute_sql(
                        f"DELETE FROM outbox WHERE seq IN ({marks})", chunk
                    )
                    removed += cursor.rowcount
        except Exception as exc:
            raise translate(exc, "outbox acknowledge failed") from exc
        return removed

    def depth(self) -> int:
        return self.db.execute_sql("SELECT count(*) FROM outbox").fetchone()[0]

    def requeue_from(self, seq: int) -> int:
        """Queue again every non-training entry with seq >= ``seq`` (a resend request from
        the collector). Rows still pending stay as they are. Returns how many were added."""
        added = 0
        try:
            with write_transaction(self.db):
                after = seq - 1
                while True:
                    rows = self.db.execute_sql(
                        f"SELECT {JOURNAL_COLUMNS} FROM journal "
                        "WHERE seq > ? AND training = 0 ORDER BY seq LIMIT ?",
                        (after, _CHUNK),
                    ).fetchall()
                    if not rows:
                        break
                    entries = [entry_from_row(r) for r in rows]
                    cursor = self.db.cursor()
                    before = self.db.execute_sql("SELECT total_changes()").fetchone()[0]
                    cursor.executemany(
                        "INSERT OR IGNORE INTO outbox (seq, kind, body) VALUES (?, ?, ?)",
                        [(e.seq, e.kind, entry_body(e)) for e in entries],
                    )
                    added += self.db.execute_sql("SELECT total_changes()").fetchone()[0] - before
                    after = entries[-1].seq
        except Exception as exc:
            raise translate(exc, "outbox requeue failed") from exc
        return added
