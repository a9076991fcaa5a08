"""Child process for tests/ledger/test_crash_safety.py: sells until the ledger holds ``target``
completed sales, printing ``committed <receipt_no>`` after each commit returns, so the parent
knows which sales the terminal reported as done when it SIGKILLs this process.

Run as a script: ``python crash_worker.py MODE DATA_DIR TARGET`` where MODE is

* ``ledger``: sale records posted straight through ``SqliteLedger.post``;
* ``checkout``: the real ``terminal.core.checkout.SaleSession`` on the SQLite catalog, with the
  simulated printer (its own spool and owner thread) and simulated drawer, paying cash.

Restarted after a kill, it reopens the same files and carries on from what the ledger holds.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

from terminal.core.clock import SystemClock
from terminal.core.records import Item, TaxClass
from terminal.ledger.db import ledger_path, open_ledger
from terminal.ledger.ledger import SqliteLedger

ITEMS = [
    Item(f"K{i:02d}", f"Item {i}", f"商品{i}", 150 + 37 * i, (f"69000000{i:04d}0",), "standard")
    for i in range(1, 21)
]


def _completed(ledger: SqliteLedger) -> int:
    row = ledger.db.execute_sql(
        "SELECT count(*) FROM sale WHERE training = 0 AND kind = 'sale'"
    ).fetchone()
    return row[0]


def _setup(ledger: SqliteLedger) -> None:
    catalog = ledger.catalog()
    if catalog.count() == 0:
        catalog.set_tax_classes([TaxClass("standard", 1300, True, "VAT 13%")])
        catalog.upsert_items(ITEMS)
    if ledger.current_shift() is None:
        ledger.post("shift.opened", {"shift_id": "crash-1", "opening_float": 10000}, staff_id="m")


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run_ledger(ledger: SqliteLedger, target: int, rng: random.Random) -> None:
    from builders import line, post_sale, sale  # the test package's builders, by path

    while _completed(ledger) < target:
        n = rng.randint(1, 6)
        lines = [
            line(i, sku=ITEMS[rng.randrange(20)].sku, unit_price=100 + i) for i in range(1, n + 1)
        ]
        entry = post_sale(ledger, sale(lines, shift_id="crash-1"))
        _say(f"committed {entry.number}")


def run_checkout(ledger: SqliteLedger, data_dir: Path, target: int, rng: random.Random) -> None:
    from terminal.core.checkout import SaleSession
    from terminal.core.permissions import Permissions
    from terminal.core.settings import StoreSettings
    from terminal.core.staff import OWNER
    from terminal.drivers.drawer.simulated import SimulatedDrawer
    from terminal.drivers.printer import build_printer

    clock = SystemClock()
    printer = build_printer({"kind": "simulated"}, data_dir, clock, True)
    # The owner holds every right outright, so the gate never consults staff records.
    gate = Permissions(_NO_STAFF, ledger=ledger)
    session = SaleSession(
        catalog=ledger.catalog(),
        ledger=ledger,
        printer=printer,
        drawer=SimulatedDrawer(),
        payments=None,  # cash only: the QR and card ports are never called
        card=None,
        clock=clock,
        gate=gate,
        settings=StoreSettings(terminal_id="T01"),
        clerk_id=OWNER,
    )
    while _completed(ledger) < target:
        for _ in range(rng.randint(1, 5)):
            session.add_barcode(ITEMS[rng.randrange(20)].barcodes[0])
        session.pay_cash(100_000)
        record = session.last_record
        _say(f"committed {record.receipt_no}")
    printer.stop()


class _NoStaff:
    """An empty staff directory: the owner, who sells here, is not a staff record."""

    def member(self, staff_id: str) -> Any:
        return None


_NO_STAFF = _NoStaff()


def main() -> None:
    mode, data_dir, target = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    ledger = open_ledger(ledger_path(data_dir), "T01", SystemClock())
    _setup(ledger)
    rng = random.Random()
    _say("ready")
    if mode == "ledger":
        run_ledger(ledger, target, rng)
    else:
        run_checkout(ledger, data_dir, target, rng)
    ledger.close()
    _say("done")


if __name__ == "__main__":
    main()
