"""The demo back office: a store with two enrolled terminals, the demo clerks and a
morning of sales in a collector database of its own, an owner login with a fresh password, and
(while it runs) a sale now and then so the live feed moves.

``Till`` is a terminal's journal as the collector receives it: hash-chained entries stored
through ``CentralDB.store``, the collector's own ingest. The tests fill their databases with it
too."""

from __future__ import annotations

import random
import secrets
import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from provisioning import terminals as terms
from provisioning.collector.chain import event_hash
from provisioning.collector.db import CentralDB
from provisioning.collector.events import Event
from provisioning.home import Home
from terminal.core.records import SaleLine, SaleRecord, TenderRecord

DEMO_STORE = "demo"
DEMO_TERMINALS = ("till-1", "till-2")
GENESIS = "0" * 64
CLERKS = (
    {"staff_id": "1001", "name": "Li Na 李娜", "role": "manager"},
    {"staff_id": "1002", "name": "Wang Wei 王伟", "role": "cashier"},
)
ITEMS = (
    ("6901285000010", "可口可乐 330ml", 350),
    ("6907992000015", "纯牛奶 250ml", 300),
    ("6902083000013", "矿泉水 550ml", 200),
    ("6920459900011", "方便面 红烧牛肉", 450),
    ("6901028000014", "薯片 原味 70g", 850),
    ("6903148000018", "卫生纸 10卷", 2590),
    ("6920202800014", "绿茶 500ml", 300),
    ("6921168500015", "饼干 夹心 100g", 590),
)


class Till:
    """One terminal's journal, stored in the central database as its relay would deliver it."""

    def __init__(self, db: CentralDB, store_id: str, terminal_id: str) -> None:
        self.db = db
        self.store_id = store_id
        self.terminal_id = terminal_id
        self.seq = 0
        self.prev = GENESIS
        self.receipt = 0

    def post(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        staff_id: str | None = None,
        ts: datetime | None = None,
        series: str | None = None,
    ) -> Event:
        self.seq += 1
        number = None
        if series == "receipt":
            self.receipt += 1
            number = self.receipt
        when = (ts or datetime.now(UTC)).isoformat()
        ev = Event.from_mapping(
            self.store_id,
            self.terminal_id,
            {
                "seq": self.seq,
                "uuid": str(uuid.uuid4()),
                "ts": when,
                "kind": kind,
                "staff_id": staff_id,
                "payload": payload,
                "number": number,
                "series": series,
                "prev_hash": self.prev,
            },
        )
        ev = replace(ev, hash=event_hash(ev))
        self.prev = ev.hash
        self.db.store([ev])
        return ev

    def status(self, state: str = "online", outbox: int = 0, version: str = "0.1.0") -> None:
        self.db.set_status(
            self.store_id,
            self.terminal_id,
            {
                "terminal": self.terminal_id,
                "store": self.store_id,
                "state": state,
                "version": version,
                "ts": datetime.now(UTC).isoformat(),
                "last_seq": self.seq,
                "outbox_depth": outbox,
                "health": {"printer": "ok", "drawer": "ok", "scanner": "ok"},
            },
        )

    def staff_saved(self, record: dict[str, Any], change: str = "added") -> Event:
        rec = {"status": "active", "trainee": False, **record}
        return self.post("staff.saved", {"staff": rec, "change": change, "by": "@owner"})

    def sale(
        self,
        staff_id: str,
        lines: list[tuple[str, str, int, int]],
        tender: str = "cash",
        *,
        ts: datetime | None = None,
        kind: str = "sale",
    ) -> Event:
        """A completed sale (or refund) of ``lines`` = (sku, name, qty in thousandths, unit
        price), VAT 13 % included, paid whole with ``tender``."""
        sale_lines = []
        for n, (sku, name, qty, price) in enumerate(lines, 1):
            gross = (qty * price + 500) // 1000
            tax = (gross * 1300 + 5650) // 11300
            sale_lines.append(
                SaleLine(
                    n,
                    sku,
                    name,
                    "",
                    qty,
                    "each",
                    price,
                    gross,
                    0,
                    gross,
                    "standard",
                    1300,
                    True,
                    tax,
                )
            )
        total = sum(x.net for x in sale_lines)
        when = (ts or datetime.now(UTC)).isoformat()
        record = SaleRecord(
            sale_id=str(uuid.uuid4()),
            terminal_id=self.terminal_id,
            shift_id="shift-1",
            staff_id=staff_id,
            currency="CNY",
            started_at=when,
            completed_at=when,
            lines=tuple(sale_lines),
            tenders=(TenderRecord(tender, total, total if tender == "cash" else 0),),
            subtotal=total,
            discount_total=0,
            tax_total=sum(x.tax for x in sale_lines),
            total=total,
            receipt_no=self.receipt + 1,
            kind=kind,
        )
        event_kind = "sale.completed" if kind == "sale" else "refund.completed"
        return self.post(
            event_kind, record.to_payload(), staff_id=staff_id, ts=ts, series="receipt"
        )


def make_home(root: Path) -> Home:
    """The demo owner directory: the store and two enrolled terminals (no broker runs, so
    commands are signed and sealed but wait for a broker that is not there)."""
    home = Home(root)
    if not home.exists():
        home.init("Demo Shop 演示店", store_id=DEMO_STORE, broker_host="127.0.0.1")
        for t in DEMO_TERMINALS:
            terms.enroll(home, t)
    return home


def _random_lines(rng: random.Random) -> list[tuple[str, str, int, int]]:
    picked = rng.sample(ITEMS, rng.randint(1, 4))
    return [(sku, name, 1000 * rng.randint(1, 3), price) for sku, name, price in picked]


def fill(db: CentralDB, *, sales: int = 12, seed: int = 7) -> list[Till]:
    """The demo store's terminals, clerks and a morning of sales, once (an already filled
    database is left alone)."""
    tills = [Till(db, DEMO_STORE, t) for t in DEMO_TERMINALS]
    if db.event_count() > 0:
        return _resume(db, tills)
    rng = random.Random(seed)
    clerks = CLERKS
    now = datetime.now(UTC)
    # The morning's sales all fall on today in the collector's time zone, whatever the hour.
    midnight = now.astimezone(db.tz or UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(now - timedelta(hours=2), midnight.astimezone(UTC))
    step = (now - start) / (sales + 1)
    for n, till in enumerate(tills):
        for c in clerks:
            till.staff_saved(dict(c))
        till.post(
            "shift.opened",
            {"shift_id": f"shift-{n + 1}", "opening_float": 20000},
            staff_id=clerks[n % len(clerks)]["staff_id"],
            ts=start,
        )
    for n in range(sales):
        till = tills[n % len(tills)]
        clerk = clerks[n % len(clerks)]["staff_id"]
        till.sale(
            clerk,
            _random_lines(rng),
            rng.choice(("cash", "card", "qr")),
            ts=start + step * (n + 1),
        )
    for till in tills:
        till.status()
    return tills


def _resume(db: CentralDB, tills: list[Till]) -> list[Till]:
    """Carry on each demo till's chain where the stored journal ends."""
    for till in tills:
        last = db.events(till.store_id, till.terminal_id, 0, 1_000_000)
        if last:
            till.seq, till.prev = last[-1].seq, last[-1].hash
            till.receipt = max((e.number or 0 for e in last), default=0)
    return tills


def keep_selling(tills: list[Till], stop: threading.Event, every: float = 6.0) -> threading.Thread:
    """A thread that rings up a sale on a demo till every ``every`` seconds until ``stop``."""
    rng = random.Random()
    clerks = [c["staff_id"] for c in CLERKS]

    def run() -> None:
        while not stop.wait(every):
            till = rng.choice(tills)
            with till.db.db.connection_context():
                till.sale(
                    rng.choice(clerks), _random_lines(rng), rng.choice(("cash", "card", "qr"))
                )
                till.status()

    thread = threading.Thread(target=run, name="demo-sales", daemon=True)
    thread.start()
    return thread


def demo_password() -> str:
    return secrets.token_urlsafe(9)
