"""The pending area: open, parked and held sales with the payments taken, ``core/pending.py``'s
``fold`` as two tables, so a start-up or a shift close reads a few rows instead of the day's
journal. Completing or voiding a sale (the sales area's projectors) clears its rows in the same
transaction; reads also skip any sale the sales tables already close, so the replay that fills
this area on a ledger with history needs no clean-up pass."""

from __future__ import annotations

import json
from typing import Any

from terminal.core.canonical import canonical
from terminal.core.pending import (
    CLOSING_KINDS,
    OPEN,
    PROGRESS_KINDS,
    PendingSale,
    body_of,
    status_of_suspend,
    tender_of,
)
from terminal.core.records import JournalEntry, TenderRecord
from terminal.ledger.projections import ProjectionArea
from terminal.ledger.projections._common import as_int, require


def create_tables(db: Any) -> None:
    db.execute_sql(
        """CREATE TABLE pending_sale (
            sale_id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL REFERENCES journal (seq),
            training INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'parked', 'held')),
            staff_id TEXT,
            started_at TEXT NOT NULL,
            body TEXT NOT NULL
        )"""
    )
    db.execute_sql(
        """CREATE TABLE pending_payment (
            seq INTEGER PRIMARY KEY REFERENCES journal (seq),
            sale_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            amount INTEGER NOT NULL,
            tendered INTEGER NOT NULL,
            change INTEGER NOT NULL,
            reference TEXT NOT NULL,
            provider TEXT NOT NULL
        )"""
    )
    db.execute_sql("CREATE INDEX pending_payment_sale ON pending_payment (sale_id)")


def clear(db: Any, sale_id: str) -> None:
    db.execute_sql("DELETE FROM pending_payment WHERE sale_id = ?", (sale_id,))
    db.execute_sql("DELETE FROM pending_sale WHERE sale_id = ?", (sale_id,))


def _upsert(entry: JournalEntry, db: Any, status: str) -> None:
    p = entry.payload
    require(p, "sale_id", "lines")
    if not isinstance(p["lines"], list):
        raise ValueError("payload field 'lines' must be a list")
    db.execute_sql(
        "INSERT INTO pending_sale VALUES (?,?,?,?,?,?,?) ON CONFLICT (sale_id) DO UPDATE SET "
        "seq = excluded.seq, status = excluded.status, staff_id = excluded.staff_id, "
        "body = excluded.body",
        (str(p["sale_id"]), entry.seq, int(entry.training), status, entry.staff_id,
         str(p.get("started_at") or entry.ts), canonical(body_of(p))),
    )


def _progress(entry: JournalEntry, db: Any) -> None:
    _upsert(entry, db, OPEN)


def _suspended(entry: JournalEntry, db: Any) -> None:
    _upsert(entry, db, status_of_suspend(entry.payload))


def _recalled(entry: JournalEntry, db: Any) -> None:
    require(entry.payload, "sale_id")
    db.execute_sql(
        "UPDATE pending_sale SET status = 'open', seq = ?, staff_id = ? WHERE sale_id = ?",
        (entry.seq, entry.staff_id, str(entry.payload["sale_id"])),
    )


def _authorised(entry: JournalEntry, db: Any) -> None:
    p = entry.payload
    require(p, "sale_id", "kind", "amount")
    if as_int(p, "amount") <= 0:
        raise ValueError("an authorised payment must be more than zero")
    t = tender_of(p)
    sale_id = str(p["sale_id"])
    # A payment is never invisible: should its sale have no row yet, it gets a bare one.
    db.execute_sql(
        "INSERT INTO pending_sale VALUES (?,?,?,'open',?,?,?) ON CONFLICT (sale_id) DO UPDATE "
        "SET seq = excluded.seq",
        (sale_id, entry.seq, int(entry.training), entry.staff_id,
         str(p.get("started_at") or entry.ts), canonical(body_of({}))),
    )
    db.execute_sql(
        "INSERT INTO pending_payment VALUES (?,?,?,?,?,?,?,?)",
        (entry.seq, sale_id, t.kind, t.amount, t.tendered, t.change, t.reference, t.provider),
    )


def _reversed(entry: JournalEntry, db: Any) -> None:
    p = entry.payload
    require(p, "sale_id", "kind", "amount")
    db.execute_sql(
        "DELETE FROM pending_payment WHERE seq = (SELECT min(seq) FROM pending_payment "
        "WHERE sale_id = ? AND kind = ? AND reference = ? AND amount = ?)",
        (str(p["sale_id"]), str(p["kind"]), str(p.get("reference") or ""), p["amount"]),
    )
    db.execute_sql(
        "UPDATE pending_sale SET seq = ? WHERE sale_id = ?", (entry.seq, str(p["sale_id"]))
    )


PROJECTORS = {
    "sale.progress": _progress,
    "sale.suspended": _suspended,
    "sale.recalled": _recalled,
    "payment.authorised": _authorised,
    "payment.reversed": _reversed,
}
assert set(PROJECTORS) == PROGRESS_KINDS and not CLOSING_KINDS & set(PROJECTORS)


_NOT_CLOSED = (
    "sale_id NOT IN (SELECT sale_id FROM sale) "
    "AND sale_id NOT IN (SELECT sale_id FROM void_event WHERE kind = 'sale')"
)


def forget_closed(db: Any) -> None:
    """After the replay that fills the area on a ledger with history: the sales area's
    projectors, which clear a sale's rows as it completes or is voided, did not run in it."""
    tables = {r[0] for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"sale", "void_event"} <= tables:
        return  # a schema built only part way (tests of old versions): nothing closed yet
    db.execute_sql(f"DELETE FROM pending_payment WHERE NOT ({_NOT_CLOSED})")
    db.execute_sql(f"DELETE FROM pending_sale WHERE NOT ({_NOT_CLOSED})")


AREA = ProjectionArea(name="pending", projectors=PROJECTORS, migrations=(create_tables,),
                      after_replay=forget_closed)


def pending_sales(db: Any, training: bool = False) -> list[PendingSale]:
    """Every pending sale of one mode, oldest change first, with its payments."""
    rows = db.execute_sql(
        "SELECT sale_id, status, staff_id, seq, started_at, body FROM pending_sale "
        f"WHERE training = ? AND {_NOT_CLOSED} ORDER BY seq",
        (int(training),),
    ).fetchall()
    pays: dict[str, list[TenderRecord]] = {}
    for sale_id, kind, amount, tendered, change, reference, provider in db.execute_sql(
        "SELECT p.sale_id, p.kind, p.amount, p.tendered, p.change, p.reference, p.provider "
        "FROM pending_payment p JOIN pending_sale s USING (sale_id) WHERE s.training = ? "
        "ORDER BY p.seq",
        (int(training),),
    ).fetchall():
        pays.setdefault(sale_id, []).append(
            TenderRecord(kind, amount, tendered, change, reference, provider)
        )
    out = []
    for sale_id, status, staff_id, seq, started_at, body in rows:
        b = json.loads(body)
        out.append(
            PendingSale(
                sale_id=sale_id, status=status, staff_id=staff_id, seq=seq,
                training=training, started_at=started_at, lines=tuple(b.get("lines") or ()),
                sale_discount=b.get("sale_discount"), shift_id=b.get("shift_id"),
                payments=tuple(pays.get(sale_id, ())),
            )
        )
    return out
