"""sale_commit and z_report_1m: the ledger against raw sqlite3 on the same file layout.

The floor for a sale commit is what no ledger can beat on this disk: the same rows (journal,
counter, sale, five lines, tender, stock, outbox) inserted by hand with the stdlib ``sqlite3``
module, same pragmas, one transaction each, with JSON and hash precomputed. The ledger adds
canonical JSON, the SHA-256 chain and the projector on top of that.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.record import Result, absolute, against_floor, median
from terminal.core.clock import ManualClock
from terminal.core.records import Item, SaleLine, SaleRecord, TaxClass, TenderRecord
from terminal.core.rights import Decision, Right, Verdict
from terminal.core.settings import StoreSettings
from terminal.core.shift import ShiftService
from terminal.ledger.db import open_ledger
from terminal.ledger.journal import payload_dict
from terminal.ledger.projections import discover_areas
from terminal.ledger.schema import plan
from terminal.ledger.transaction import write_transaction

WORK = Path(__file__).resolve().parent / "work"
START = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)


class _OwnerGate:
    """Every right allowed: the benchmark measures the report, not the permission check."""

    def check(
        self, staff_id: str, right: Right, *, amount: int | None = None, training: bool = False
    ) -> Decision:
        return Decision(Verdict.ALLOW, right)


class _NoDevice:
    def submit(self, doc: Any) -> None:
        raise AssertionError("the benchmark does not print")

    def open(self) -> None:
        raise AssertionError("the benchmark does not open the drawer")


def _items(n: int) -> list[Item]:
    return [
        Item(sku=f"S{i:06d}", name=f"Item {i}", name_zh=f"商品{i}", price=100 + i % 5000,
             barcodes=(f"2{i:011d}",), stock_milli=1_000_000_000)
        for i in range(n)
    ]


def _sale(i: int, lines_per_sale: int, n_items: int, when: datetime) -> SaleRecord:
    lines = []
    for j in range(lines_per_sale):
        k = (i * lines_per_sale + j) % n_items
        price = 100 + k % 5000
        lines.append(SaleLine(
            line_no=j + 1, sku=f"S{k:06d}", name=f"Item {k}", name_zh=f"商品{k}", qty_milli=1000,
            unit="each", unit_price=price, gross=price, discount=0, net=price,
            tax_class="standard", tax_rate_bp=1300, tax_inclusive=True,
            tax=round(price * 1300 / 11300), barcode=f"2{k:011d}",
        ))
    total = sum(x.net for x in lines)
    stamp = when.isoformat(timespec="microseconds")
    return SaleRecord(
        sale_id=uuid.uuid4().hex, terminal_id="B1", shift_id=None, staff_id="bench",
        currency="CNY", started_at=stamp, completed_at=stamp, lines=tuple(lines),
        tenders=(TenderRecord(kind="cash", amount=total, tendered=total),),
        subtotal=total, discount_total=0, tax_total=sum(x.tax for x in lines), total=total,
    )


def _fresh_ledger(path: Path, n_items: int) -> Any:
    ledger = open_ledger(path, "B1", ManualClock(START))
    ledger.catalog().set_tax_classes([TaxClass("standard", 1300, True)])
    ledger.catalog().upsert_items(_items(n_items))
    return ledger


# --- sale_commit --------------------------------------------------------------------------


def _floor_commits(path: Path, records: list[SaleRecord]) -> list[float]:
    """The same rows the ledger writes for a cash sale, by hand, with precomputed values."""
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=wal", "synchronous=2", "foreign_keys=1", "busy_timeout=10000"):
        con.execute(f"PRAGMA {pragma}")
    con.execute("DROP TRIGGER IF EXISTS journal_no_update")
    seq, prev = con.execute("SELECT coalesce(max(seq), 0), '' FROM journal").fetchone()
    cols = [r[1] for r in con.execute("PRAGMA table_info(journal)")]
    times = []
    for rec in records:
        seq += 1
        payload = json.dumps(rec.to_payload(), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256((prev + payload).encode()).hexdigest()
        row = {
            "seq": seq, "uuid": uuid.uuid4().hex, "ts": rec.completed_at, "terminal_id": "B1",
            "kind": "sale.completed", "staff_id": "bench", "payload": payload, "number": seq,
            "series": "floor", "training": 0, "prev_hash": prev, "hash": digest,
        }
        t0 = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        con.execute(
            f"INSERT INTO journal ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
            [row[c] for c in cols],
        )
        con.execute(
            "INSERT INTO counters (series, last) VALUES ('floor', 1) "
            "ON CONFLICT (series) DO UPDATE SET last = last + 1"
        )
        sale_cols = [r[1] for r in con.execute("PRAGMA table_info(sale)")]
        sale_row = {c: 0 for c in sale_cols} | {
            "sale_id": rec.sale_id, "seq": seq, "ts": rec.completed_at, "kind": "sale",
            "receipt_no": seq, "staff_id": "bench", "terminal_id": "B1", "currency": "CNY",
            "started_at": rec.started_at, "completed_at": rec.completed_at, "shift_id": None,
            "original_sale_id": None, "approver_id": None, "reason": "",
        }
        con.execute(
            f"INSERT INTO sale ({','.join(sale_cols)}) VALUES ({','.join('?' * len(sale_cols))})",
            [sale_row[c] for c in sale_cols],
        )
        con.executemany(
            "INSERT INTO sale_line VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (rec.sale_id, x.line_no, seq, x.sku, x.name, x.name_zh, x.qty_milli, x.unit,
                 x.unit_price, x.gross, x.discount, x.net, x.tax_class, x.tax_rate_bp, 1, x.tax,
                 x.barcode, x.price_source, None)
                for x in rec.lines
            ],
        )
        t = rec.tenders[0]
        con.execute(
            "INSERT INTO tender VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (rec.sale_id, 0, seq, rec.completed_at, "sale", 0, None, "bench", t.kind, t.amount,
             t.tendered, t.change, "", ""),
        )
        con.executemany(
            "UPDATE item SET stock_milli = stock_milli - ? WHERE sku = ?",
            [(x.qty_milli, x.sku) for x in rec.lines],
        )
        con.execute(
            "INSERT INTO outbox (seq, kind, body) VALUES (?, ?, ?)",
            (seq, "sale.completed", payload.encode()),
        )
        con.execute("COMMIT")
        times.append(time.perf_counter() - t0)
        prev = digest
    con.close()
    return times


def sale_commit(n: int = 300) -> Result:
    WORK.mkdir(exist_ok=True)
    n_items = 2000
    led_path, floor_path = WORK / "commit-ledger.sqlite3", WORK / "commit-floor.sqlite3"
    for p in WORK.glob("commit-*"):
        p.unlink()
    ledger = _fresh_ledger(led_path, n_items)
    floor_seed = _fresh_ledger(floor_path, n_items)
    floor_seed.close()
    when = START
    records = [_sale(i, 5, n_items, when + timedelta(seconds=i)) for i in range(2 * n)]
    led_times, floor_times = [], []
    # Interleave blocks so a busy moment on the machine hits both sides alike.
    for block in range(0, 2 * n, 50):
        for rec in records[block:block + 25]:
            payload = rec.to_payload()
            t0 = time.perf_counter()
            ledger.post("sale.completed", payload, staff_id="bench", series="receipt")
            led_times.append(time.perf_counter() - t0)
        floor_times += _floor_commits(floor_path, records[block + 25:block + 50])
    ledger.close()
    return against_floor(
        "sale_commit", median(led_times) * 1000, "ms", median(floor_times) * 1000,
        max_ratio=1.5, detail=f"median of {len(led_times)} 5-line cash sales, synchronous=FULL",
    )


# --- z_report_1m --------------------------------------------------------------------------


def _z_ledger(lines_total: int, lines_per_sale: int = 5) -> Path:
    """A ledger holding ``lines_total`` sale lines, built once per schema version and reused."""
    WORK.mkdir(exist_ok=True)
    schema = "-".join(f"{name}{len(steps)}" for name, steps in plan(discover_areas()))
    path = WORK / f"z-{lines_total}-{schema}.sqlite3"
    if path.exists():
        return path
    tmp = path.with_suffix(".building")
    for p in WORK.glob(tmp.name + "*"):
        p.unlink()
    n_items = 5000
    ledger = _fresh_ledger(tmp, n_items)
    # Filling is not what is measured: the ledger's own append (journal, chain, projector,
    # outbox) runs for every sale, but a thousand sales share one transaction and no fsync.
    ledger.db.execute_sql("PRAGMA synchronous=OFF")
    sales = lines_total // lines_per_sale
    for batch in range(0, sales, 1000):
        with write_transaction(ledger.db):
            for i in range(batch, min(sales, batch + 1000)):
                rec = _sale(i, lines_per_sale, n_items, START + timedelta(seconds=i))
                text, obj = payload_dict(rec.to_payload())
                ledger._append("sale.completed", text, obj, "bench", "receipt", False)
    ledger.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    ledger.close()
    shutil.move(tmp, path)
    return path


def _floor_z(path: Path) -> float:
    """The same figures with the fewest hand-written statements over the same tables."""
    con = sqlite3.connect(path)
    t0 = time.perf_counter()
    last = con.execute(
        "SELECT coalesce(max(to_seq), 0) FROM z_report WHERE training = 0"
    ).fetchone()[0]
    con.execute(
        "SELECT kind, count(*), sum(subtotal), sum(discount_total), sum(tax_total), sum(total), "
        "sum(rounding), sum(items_milli), min(seq), max(seq), min(receipt_no), max(receipt_no) "
        "FROM sale WHERE training = 0 AND seq > ? GROUP BY kind", (last,)
    ).fetchall()
    con.execute(
        "SELECT kind, sum(amount) FROM tender WHERE training = 0 AND seq > ? GROUP BY kind",
        (last,),
    ).fetchall()
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def z_report_1m(lines_total: int = 1_000_000) -> Result:
    src = _z_ledger(lines_total)
    # Closing the day consumes the unreported sales, so the close runs once, on a copy; the
    # floor runs three times on the same copy first, which also warms the page cache for both.
    work = WORK / "z-run.sqlite3"
    for p in WORK.glob(work.name + "*"):
        p.unlink()
    shutil.copy(src, work)
    floor = median([_floor_z(work) for _ in range(3)])
    ledger = open_ledger(work, "B1", ManualClock(START + timedelta(days=30)))
    shift = ShiftService(
        ledger=ledger, printer=_NoDevice(), drawer=_NoDevice(), clock=ledger._clock,
        gate=_OwnerGate(), settings=StoreSettings(terminal_id="B1"), clerk_id="bench",
    )
    t0 = time.perf_counter()
    report = shift.z_report(print_it=False)
    value = time.perf_counter() - t0
    assert report.totals.items_milli == lines_total * 1000, report.totals
    ledger.close()
    for p in WORK.glob(work.name + "*"):
        p.unlink()
    return against_floor(
        "z_report_1m", value, "s", floor, max_ratio=2.0, max_value=1.0,
        detail=f"Z close over {lines_total} sale lines, including its journal commit; floor: "
        "the same figures by hand-written SQL (median of 3)",
    )


def run() -> list[Result]:
    results = [sale_commit(), z_report_1m()]
    return results


__all__ = ["absolute", "run"]
