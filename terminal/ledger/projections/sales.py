"""Sales, refunds and voids projected into flat tables that report queries aggregate with SQL.

Every row carries the journal ``seq`` and ``ts`` plus ``training``, ``shift_id`` and
``staff_id`` of its sale, so ``totals`` filters each table without joins or JSON. Per-sale
aggregates (``items_milli``, line and tender counts) are stored on the sale row so a Z report
over a million lines reads only the sale and tender tables.
"""

from __future__ import annotations

from typing import Any

from terminal.core.records import JournalEntry, SaleRecord
from terminal.ledger.projections import ProjectionArea
from terminal.ledger.projections import pending as _pending
from terminal.ledger.projections._common import as_int, require, shift_of


def _v1(db: Any) -> None:
    _v1_sale(db)
    _v1_sale_line(db)
    _v1_tender(db)
    _v1_void_event(db)


def _v1_sale(db: Any) -> None:
    db.execute_sql(
        """CREATE TABLE sale (
            sale_id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL UNIQUE REFERENCES journal (seq),
            ts TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('sale', 'refund')),
            receipt_no INTEGER NOT NULL,
            training INTEGER NOT NULL,
            shift_id TEXT,
            staff_id TEXT NOT NULL,
            terminal_id TEXT NOT NULL,
            currency TEXT NOT NULL,
            started_at TEXT NOT NULL,
            completed_at TEXT NOT NULL,
            subtotal INTEGER NOT NULL,
            discount_total INTEGER NOT NULL,
            tax_total INTEGER NOT NULL,
            total INTEGER NOT NULL,
            rounding INTEGER NOT NULL,
            items_milli INTEGER NOT NULL,
            line_count INTEGER NOT NULL,
            tender_count INTEGER NOT NULL,
            original_sale_id TEXT,
            approver_id TEXT,
            reason TEXT NOT NULL DEFAULT ''
        )"""
    )
    db.execute_sql("CREATE INDEX sale_training_seq ON sale (training, seq)")
    db.execute_sql("CREATE INDEX sale_receipt ON sale (receipt_no, training)")
    db.execute_sql("CREATE INDEX sale_shift ON sale (shift_id)")
    db.execute_sql("CREATE INDEX sale_staff ON sale (staff_id, seq)")
    db.execute_sql("CREATE INDEX sale_ts ON sale (ts)")
    db.execute_sql(
        "CREATE INDEX sale_original ON sale (original_sale_id) WHERE original_sale_id IS NOT NULL"
    )


def _v1_sale_line(db: Any) -> None:
    db.execute_sql(
        """CREATE TABLE sale_line (
            sale_id TEXT NOT NULL REFERENCES sale (sale_id),
            line_no INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            sku TEXT NOT NULL,
            name TEXT NOT NULL,
            name_zh TEXT NOT NULL,
            qty_milli INTEGER NOT NULL,
            unit TEXT NOT NULL,
            unit_price INTEGER NOT NULL,
            gross INTEGER NOT NULL,
            discount INTEGER NOT NULL,
            net INTEGER NOT NULL,
            tax_class TEXT NOT NULL,
            tax_rate_bp INTEGER NOT NULL,
            tax_inclusive INTEGER NOT NULL,
            tax INTEGER NOT NULL,
            barcode TEXT NOT NULL,
            price_source TEXT NOT NULL,
            approver_id TEXT,
            PRIMARY KEY (sale_id, line_no)
        ) WITHOUT ROWID"""
    )
    db.execute_sql("CREATE INDEX sale_line_seq ON sale_line (seq)")
    db.execute_sql("CREATE INDEX sale_line_sku ON sale_line (sku)")


def _v1_tender(db: Any) -> None:
    db.execute_sql(
        """CREATE TABLE tender (
            sale_id TEXT NOT NULL REFERENCES sale (sale_id),
            idx INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            ts TEXT NOT NULL,
            sale_kind TEXT NOT NULL,
            training INTEGER NOT NULL,
            shift_id TEXT,
            staff_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            amount INTEGER NOT NULL,
            tendered INTEGER NOT NULL,
            change INTEGER NOT NULL,
            reference TEXT NOT NULL,
            provider TEXT NOT NULL,
            PRIMARY KEY (sale_id, idx)
        ) WITHOUT ROWID"""
    )
    db.execute_sql("CREATE INDEX tender_training_seq ON tender (training, seq)")
    db.execute_sql("CREATE INDEX tender_shift ON tender (shift_id)")


def _v1_void_event(db: Any) -> None:
    db.execute_sql(
        """CREATE TABLE void_event (
            seq INTEGER PRIMARY KEY REFERENCES journal (seq),
            ts TEXT NOT NULL,
            training INTEGER NOT NULL,
            shift_id TEXT,
            staff_id TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('line', 'sale')),
            sale_id TEXT NOT NULL,
            line_no INTEGER,
            sku TEXT,
            qty_milli INTEGER,
            amount INTEGER NOT NULL,
            reason TEXT NOT NULL,
            approver_id TEXT
        )"""
    )
    db.execute_sql("CREATE INDEX void_event_shift ON void_event (shift_id)")


def _v2(db: Any) -> None:
    """Recluster sales on the journal seq. Report scans run "since the last Z", a seq range:
    with the sale table's rowid being the seq and lines and tenders keyed (seq, n), a Z over a
    million lines reads contiguous pages instead of probing an index row by row."""
    _v2_create_sale(db)
    _v2_create_sale_line(db)
    _v2_create_tender(db)
    _v2_swap_tables(db)
    _v2_index(db)


def _v2_create_sale(db: Any) -> None:
    db.execute_sql(
        """CREATE TABLE sale_v2 (
            sale_id TEXT NOT NULL UNIQUE,
            seq INTEGER PRIMARY KEY REFERENCES journal (seq),
            ts TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('sale', 'refund')),
            receipt_no INTEGER NOT NULL,
            training INTEGER NOT NULL,
            shift_id TEXT,
            staff_id TEXT NOT NULL,
            terminal_id TEXT NOT NULL,
            currency TEXT NOT NULL,
            started_at TEXT NOT NULL,
            completed_at TEXT NOT NULL,
            subtotal INTEGER NOT NULL,
            discount_total INTEGER NOT NULL,
            tax_total INTEGER NOT NULL,
            total INTEGER NOT NULL,
            rounding INTEGER NOT NULL,
            items_milli INTEGER NOT NULL,
            line_count INTEGER NOT NULL,
            tender_count INTEGER NOT NULL,
            original_sale_id TEXT,
            approver_id TEXT,
            reason TEXT NOT NULL DEFAULT ''
        )"""
    )


def _v2_create_sale_line(db: Any) -> None:
    db.execute_sql(
        """CREATE TABLE sale_line_v2 (
            sale_id TEXT NOT NULL,
            line_no INTEGER NOT NULL,
            seq INTEGER NOT NULL REFERENCES sale (seq),
            sku TEXT NOT NULL,
            name TEXT NOT NULL,
            name_zh TEXT NOT NULL,
            qty_milli INTEGER NOT NULL,
            unit TEXT NOT NULL,
            unit_price INTEGER NOT NULL,
            gross INTEGER NOT NULL,
            discount INTEGER NOT NULL,
            net INTEGER NOT NULL,
            tax_class TEXT NOT NULL,
            tax_rate_bp INTEGER NOT NULL,
            tax_inclusive INTEGER NOT NULL,
            tax INTEGER NOT NULL,
            barcode TEXT NOT NULL,
            price_source TEXT NOT NULL,
            approver_id TEXT,
            PRIMARY KEY (seq, line_no)
        ) WITHOUT ROWID"""
    )


def _v2_create_tender(db: Any) -> None:
    db.execute_sql(
        """CREATE TABLE tender_v2 (
            sale_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            seq INTEGER NOT NULL REFERENCES sale (seq),
            ts TEXT NOT NULL,
            sale_kind TEXT NOT NULL,
            training INTEGER NOT NULL,
            shift_id TEXT,
            staff_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            amount INTEGER NOT NULL,
            tendered INTEGER NOT NULL,
            change INTEGER NOT NULL,
            reference TEXT NOT NULL,
            provider TEXT NOT NULL,
            PRIMARY KEY (seq, idx)
        ) WITHOUT ROWID"""
    )


def _v2_swap_tables(db: Any) -> None:
    """Copy every row into the reclustered tables, then put them in the old ones' place."""
    for table in ("sale", "sale_line", "tender"):
        columns = ", ".join(r[1] for r in db.execute_sql(f"PRAGMA table_info({table})").fetchall())
        db.execute_sql(f"INSERT INTO {table}_v2 ({columns}) SELECT {columns} FROM {table}")
    for table in ("tender", "sale_line", "sale"):
        db.execute_sql(f"DROP TABLE {table}")
    for table in ("sale", "sale_line", "tender"):
        db.execute_sql(f"ALTER TABLE {table}_v2 RENAME TO {table}")


def _v2_index(db: Any) -> None:
    db.execute_sql("CREATE INDEX sale_receipt ON sale (receipt_no, training)")
    db.execute_sql("CREATE INDEX sale_shift ON sale (shift_id)")
    db.execute_sql("CREATE INDEX sale_staff ON sale (staff_id, seq)")
    db.execute_sql("CREATE INDEX sale_ts ON sale (ts)")
    db.execute_sql(
        "CREATE INDEX sale_original ON sale (original_sale_id) WHERE original_sale_id IS NOT NULL"
    )
    db.execute_sql("CREATE INDEX tender_shift ON tender (shift_id)")
    db.execute_sql("CREATE INDEX tender_staff ON tender (staff_id, seq)")


def _sale(entry: JournalEntry, db: Any, expected_kind: str) -> None:
    rec = SaleRecord.from_payload(entry.payload)
    _check_sale(entry, db, rec, expected_kind)
    shift_id = rec.shift_id or shift_of(entry, db)
    _insert_sale_row(entry, db, rec, shift_id)
    cursor = db.cursor()
    _insert_lines(entry, cursor, rec)
    _insert_tenders(entry, cursor, rec, shift_id)
    if not entry.training:
        _move_stock(cursor, rec)
    _pending.clear(db, rec.sale_id)


def _check_sale(entry: JournalEntry, db: Any, rec: SaleRecord, expected_kind: str) -> None:
    if rec.kind != expected_kind:
        raise ValueError(f"{entry.kind} carries a record of kind {rec.kind!r}")
    if entry.number is None:
        raise ValueError(f"{entry.kind} must draw its number from the 'receipt' series")
    if rec.training != entry.training:
        raise ValueError("the record's training flag differs from the entry's")
    if not rec.lines:
        raise ValueError(f"{entry.kind} has no lines")
    if rec.kind == "refund" and rec.original_sale_id is not None:
        found = db.execute_sql(
            "SELECT training FROM sale WHERE sale_id = ? AND kind = 'sale'",
            (rec.original_sale_id,),
        ).fetchone()
        if found is None:
            raise ValueError(f"refund of unknown sale {rec.original_sale_id!r}")


def _insert_sale_row(entry: JournalEntry, db: Any, rec: SaleRecord, shift_id: str | None) -> None:
    db.execute_sql(
        "INSERT INTO sale VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            rec.sale_id,
            entry.seq,
            entry.ts,
            rec.kind,
            entry.number,
            int(entry.training),
            shift_id,
            rec.staff_id,
            rec.terminal_id,
            rec.currency,
            rec.started_at,
            rec.completed_at,
            rec.subtotal,
            rec.discount_total,
            rec.tax_total,
            rec.total,
            rec.rounding,
            sum(x.qty_milli for x in rec.lines),
            len(rec.lines),
            len(rec.tenders),
            rec.original_sale_id,
            rec.approver_id,
            rec.reason,
        ),
    )


def _insert_lines(entry: JournalEntry, cursor: Any, rec: SaleRecord) -> None:
    cursor.executemany(
        "INSERT INTO sale_line VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                rec.sale_id,
                x.line_no,
                entry.seq,
                x.sku,
                x.name,
                x.name_zh,
                x.qty_milli,
                x.unit,
                x.unit_price,
                x.gross,
                x.discount,
                x.net,
                x.tax_class,
                x.tax_rate_bp,
                int(x.tax_inclusive),
                x.tax,
                x.barcode,
                x.price_source,
                x.approver_id,
            )
            for x in rec.lines
        ],
    )


def _insert_tenders(
    entry: JournalEntry, cursor: Any, rec: SaleRecord, shift_id: str | None
) -> None:
    cursor.executemany(
        "INSERT INTO tender VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                rec.sale_id,
                i,
                entry.seq,
                entry.ts,
                rec.kind,
                int(entry.training),
                shift_id,
                rec.staff_id,
                t.kind,
                t.amount,
                t.tendered,
                t.change,
                t.reference,
                t.provider,
            )
            for i, t in enumerate(rec.tenders)
        ],
    )


def _move_stock(cursor: Any, rec: SaleRecord) -> None:
    # Stock moves only for items that track it (stock_milli NOT NULL); a refund puts back.
    sign = -1 if rec.kind == "sale" else 1
    cursor.executemany(
        "UPDATE item SET stock_milli = stock_milli + ? WHERE sku = ? AND stock_milli IS NOT NULL",
        [(sign * x.qty_milli, x.sku) for x in rec.lines],
    )


def _sale_completed(entry: JournalEntry, db: Any) -> None:
    _sale(entry, db, "sale")


def _refund_completed(entry: JournalEntry, db: Any) -> None:
    _sale(entry, db, "refund")


def _void(entry: JournalEntry, db: Any, kind: str) -> None:
    p = entry.payload
    require(p, "sale_id")
    if kind == "line":
        require(p, "line_no", "amount")
        amount = as_int(p, "amount")
        line_no = as_int(p, "line_no")
    else:
        amount = as_int(p, "total", 0)
        line_no = None
    db.execute_sql(
        "INSERT INTO void_event VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            entry.seq,
            entry.ts,
            int(entry.training),
            shift_of(entry, db),
            entry.staff_id,
            kind,
            str(p["sale_id"]),
            line_no,
            p.get("sku"),
            p.get("qty_milli"),
            amount,
            str(p.get("reason", "")),
            p.get("approver_id"),
        ),
    )


def _line_voided(entry: JournalEntry, db: Any) -> None:
    _void(entry, db, "line")


def _sale_voided(entry: JournalEntry, db: Any) -> None:
    _void(entry, db, "sale")
    _pending.clear(db, str(entry.payload["sale_id"]))


AREA = ProjectionArea(
    name="sales",
    projectors={
        "sale.completed": _sale_completed,
        "refund.completed": _refund_completed,
        "line.voided": _line_voided,
        "sale.voided": _sale_voided,
    },
    migrations=(_v1, _v2),
)
