"""scan_durable: what journaling the open sale at every scan (``sale.progress``) costs a scan.

Measured: ``SaleSession.add_barcode`` on the real SQLite ledger and catalog, baskets of ten
lines, each scan one durable commit of the basket so far. Floor: the same journal and outbox
rows (payloads copied from the ledger's own entries) inserted by hand with the stdlib
``sqlite3`` module, same pragmas, one transaction each; the session adds the catalog lookup,
the totals, canonical JSON, the hash chain and the pending-sale projection on top.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

from bench.record import Result, against_floor, median
from terminal.core.checkout import SaleSession
from terminal.core.clock import ManualClock
from terminal.core.records import Item, PrintDoc, TaxClass
from terminal.core.rights import Decision, Right, Verdict
from terminal.core.settings import StoreSettings
from terminal.ledger.db import open_ledger

WORK = Path(__file__).resolve().parent / "work"
ITEMS = [
    Item(f"D{i:03d}", f"Item {i}", f"商品{i}", 100 + i, (f"6920000{i:05d}0",), "standard")
    for i in range(200)
]


class _Gate:
    def check(self, staff_id: str, right: Right, *, amount: int | None = None,
              training: bool = False) -> Decision:
        return Decision(Verdict.ALLOW, right)


class _Nothing:
    def submit(self, doc: PrintDoc) -> None:
        pass

    def open(self) -> None:
        pass

    def is_open(self) -> bool | None:
        return None


def _session(path: Path) -> tuple[Any, SaleSession]:
    ledger = open_ledger(path, "B1", ManualClock())
    catalog = ledger.catalog()
    catalog.set_tax_classes([TaxClass("standard", 1300, True, "VAT 13%")])
    catalog.upsert_items(ITEMS)
    session = SaleSession(
        catalog=catalog, ledger=ledger, printer=_Nothing(), drawer=_Nothing(),
        payments=None, card=None, clock=ManualClock(), gate=_Gate(),  # type: ignore[arg-type]
        settings=StoreSettings(terminal_id="B1", require_open_shift=False), clerk_id="bench",
    )
    return ledger, session


def _floor(path: Path, payloads: list[str]) -> list[float]:
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=wal", "synchronous=2", "foreign_keys=1", "busy_timeout=10000"):
        con.execute(f"PRAGMA {pragma}")
    seq, prev = con.execute("SELECT coalesce(max(seq), 0), '' FROM journal").fetchone()
    cols = [r[1] for r in con.execute("PRAGMA table_info(journal)")]
    times = []
    for payload in payloads:
        seq += 1
        digest = hashlib.sha256((prev + payload).encode()).hexdigest()
        row = {
            "seq": seq, "uuid": uuid.uuid4().hex, "ts": "2026-01-01T01:00:00+00:00",
            "terminal_id": "B1", "kind": "sale.progress", "staff_id": "bench",
            "payload": payload, "number": None, "series": None, "training": 0,
            "prev_hash": prev, "hash": digest,
        }
        t0 = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        con.execute(
            f"INSERT INTO journal ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
            [row[c] for c in cols],
        )
        con.execute(
            "INSERT INTO outbox (seq, kind, body) VALUES (?, ?, ?)",
            (seq, "sale.progress", payload.encode()),
        )
        con.execute("COMMIT")
        times.append(time.perf_counter() - t0)
        prev = digest
    con.close()
    return times


def scan_durable(baskets: int = 30, lines: int = 10) -> Result:
    WORK.mkdir(exist_ok=True)
    for p in WORK.glob("durable-*"):
        p.unlink()
    ledger, session = _session(WORK / "durable-ledger.sqlite3")
    floor_seed, _ = _session(WORK / "durable-floor.sqlite3")
    floor_seed.close()
    scans, floors = [], []
    for b in range(baskets):
        mark = ledger.last_entry().seq if ledger.last_entry() else 0
        for n in range(lines):
            code = ITEMS[(b * lines + n) % len(ITEMS)].barcodes[0]
            t0 = time.perf_counter()
            session.add_barcode(code)
            scans.append(time.perf_counter() - t0)
        session.pay_cash(1_000_000)
        session.new_sale()
        payloads = [
            r[0] for r in ledger.db.execute_sql(
                "SELECT payload FROM journal WHERE seq > ? AND kind = 'sale.progress' "
                "ORDER BY seq", (mark,),
            ).fetchall()
        ]
        assert len(payloads) == lines, "one progress entry per scan"
        floors += _floor(WORK / "durable-floor.sqlite3", payloads)
    ledger.close()
    return against_floor(
        "scan_durable", median(scans) * 1000, "ms", median(floors) * 1000, max_ratio=2.0,
        detail=f"median of {len(scans)} scans into {lines}-line baskets, each one durable "
        "sale.progress commit, synchronous=FULL",
    )


def run() -> list[Result]:
    return [scan_durable()]
