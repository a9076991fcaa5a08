"""Shifts (float, cash moves, close), drawer openings and Z reports.

Like the sales tables, every row carries ``seq``, ``ts``, ``training``, ``shift_id`` and
``staff_id`` so report filters are plain column comparisons. For a shift, ``seq``/``ts`` are
those of its opening.
"""

from __future__ import annotations

from typing import Any

from terminal.core.canonical import canonical
from terminal.core.records import JournalEntry
from terminal.ledger.projections import ProjectionArea
from terminal.ledger.projections._common import as_int, open_shift_id, require, shift_of


def _v1(db: Any) -> None:
    db.execute_sql(
        """CREATE TABLE shift (
            shift_id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL UNIQUE REFERENCES journal (seq),
            ts TEXT NOT NULL,
            training INTEGER NOT NULL,
            staff_id TEXT,
            opening_float INTEGER NOT NULL,
            cash_in INTEGER NOT NULL DEFAULT 0,
            cash_out INTEGER NOT NULL DEFAULT 0,
            closed_seq INTEGER REFERENCES journal (seq),
            closed_at TEXT,
            closed_by TEXT,
            counted INTEGER,
            expected INTEGER,
            over_short INTEGER,
            closing_totals TEXT
        )"""
    )
    db.execute_sql("CREATE INDEX shift_open ON shift (closed_seq, training, seq)")
    db.execute_sql(
        """CREATE TABLE cash_move (
            seq INTEGER PRIMARY KEY REFERENCES journal (seq),
            ts TEXT NOT NULL,
            training INTEGER NOT NULL,
            shift_id TEXT NOT NULL,
            staff_id TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('in', 'out')),
            amount INTEGER NOT NULL,
            reason TEXT NOT NULL
        )"""
    )
    db.execute_sql(
        """CREATE TABLE drawer_event (
            seq INTEGER PRIMARY KEY REFERENCES journal (seq),
            ts TEXT NOT NULL,
            training INTEGER NOT NULL,
            shift_id TEXT,
            staff_id TEXT,
            reason TEXT NOT NULL,
            sale_id TEXT,
            approver_id TEXT
        )"""
    )
    db.execute_sql(
        """CREATE TABLE z_report (
            seq INTEGER PRIMARY KEY REFERENCES journal (seq),
            number INTEGER NOT NULL,
            ts TEXT NOT NULL,
            training INTEGER NOT NULL,
            staff_id TEXT,
            from_seq INTEGER NOT NULL,
            to_seq INTEGER NOT NULL,
            totals TEXT NOT NULL,
            UNIQUE (training, number)
        )"""
    )


def _opened(entry: JournalEntry, db: Any) -> None:
    p = entry.payload
    require(p, "shift_id", "opening_float")
    amount = as_int(p, "opening_float")
    if amount < 0:
        raise ValueError("opening float cannot be negative")
    still_open = open_shift_id(db, entry.training)
    if still_open is not None:
        raise ValueError(f"shift {still_open!r} is still open")
    db.execute_sql(
        "INSERT INTO shift (shift_id, seq, ts, training, staff_id, opening_float) "
        "VALUES (?,?,?,?,?,?)",
        (str(p["shift_id"]), entry.seq, entry.ts, int(entry.training), entry.staff_id, amount),
    )


def _open_shift(entry: JournalEntry, db: Any) -> str:
    shift_id = shift_of(entry, db)
    if shift_id is None:
        raise ValueError(f"{entry.kind} needs an open shift")
    row = db.execute_sql(
        "SELECT closed_seq FROM shift WHERE shift_id = ? AND training = ?",
        (shift_id, int(entry.training)),
    ).fetchone()
    if row is None:
        raise ValueError(f"unknown {'training ' if entry.training else ''}shift {shift_id!r}")
    if row[0] is not None:
        raise ValueError(f"shift {shift_id!r} is already closed")
    return shift_id


def _cash_move(entry: JournalEntry, db: Any, kind: str) -> None:
    p = entry.payload
    require(p, "amount")
    amount = as_int(p, "amount")
    if amount <= 0:
        raise ValueError("a cash move amount must be positive")
    shift_id = _open_shift(entry, db)
    db.execute_sql(
        "INSERT INTO cash_move VALUES (?,?,?,?,?,?,?,?)",
        (
            entry.seq,
            entry.ts,
            int(entry.training),
            shift_id,
            entry.staff_id,
            kind,
            amount,
            str(p.get("reason", "")),
        ),
    )
    column = "cash_in" if kind == "in" else "cash_out"
    db.execute_sql(
        f"UPDATE shift SET {column} = {column} + ? WHERE shift_id = ?", (amount, shift_id)
    )


def _cash_in(entry: JournalEntry, db: Any) -> None:
    _cash_move(entry, db, "in")


def _cash_out(entry: JournalEntry, db: Any) -> None:
    _cash_move(entry, db, "out")


def _closed(entry: JournalEntry, db: Any) -> None:
    p = entry.payload
    require(p, "shift_id", "counted")
    shift_id = _open_shift(entry, db)
    db.execute_sql(
        "UPDATE shift SET closed_seq = ?, closed_at = ?, closed_by = ?, counted = ?, "
        "expected = ?, over_short = ?, closing_totals = ? WHERE shift_id = ?",
        (
            entry.seq,
            entry.ts,
            entry.staff_id,
            as_int(p, "counted"),
            p.get("expected"),
            p.get("over_short"),
            canonical(p.get("totals") or {}),
            shift_id,
        ),
    )


def _drawer_opened(entry: JournalEntry, db: Any) -> None:
    p = entry.payload
    db.execute_sql(
        "INSERT INTO drawer_event VALUES (?,?,?,?,?,?,?,?)",
        (
            entry.seq,
            entry.ts,
            int(entry.training),
            shift_of(entry, db),
            entry.staff_id,
            str(p.get("reason", "")),
            p.get("sale_id"),
            p.get("approver_id"),
        ),
    )


def _z(entry: JournalEntry, db: Any) -> None:
    p = entry.payload
    require(p, "from_seq", "to_seq", "totals")
    if entry.number is None:
        raise ValueError("report.z must draw its number from the 'z' series")
    db.execute_sql(
        "INSERT INTO z_report VALUES (?,?,?,?,?,?,?,?)",
        (
            entry.seq,
            entry.number,
            entry.ts,
            int(entry.training),
            entry.staff_id,
            as_int(p, "from_seq"),
            as_int(p, "to_seq"),
            canonical(p["totals"]),
        ),
    )


AREA = ProjectionArea(
    name="shifts",
    projectors={
        "shift.opened": _opened,
        "shift.cash_in": _cash_in,
        "shift.cash_out": _cash_out,
        "shift.closed": _closed,
        "drawer.opened": _drawer_opened,
        "report.z": _z,
    },
    migrations=(_v1,),
)
