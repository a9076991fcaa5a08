"""Child process for test_receipts_exactly_once.py: a terminal that sells (and every third sale
refunds a line) through the real ``SaleSession`` and ``RefundService`` on a real ledger, with
the real spooling printer on a network printer (the parent's emulator on loopback) and the
receipt desk wired as the composition root wires it.

``python receipt_crash_worker.py`` imports everything once and then, for each line
``run DATA_DIR PORT TARGET CRASH_AT`` on stdin, forks a terminal that sells until the ledger
holds ``TARGET`` sales, waiting for each receipt to print before the next sale (a counter's
pace) and printing ``committed <receipt_no>`` after each commit returns. ``CRASH_AT`` arms a
named crash point (``terminal/core/crashpoint.py``; ``-`` for none). This process prints
``forked <pid>`` and, once the terminal has ended (by a SIGKILL or by finishing),
``exit <status>``.
Forking skips the second of start-up a fresh interpreter spends importing, so a dozen kills
take seconds.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

from terminal.app.receipts import wire_receipts
from terminal.core import crashpoint
from terminal.core.checkout import SaleSession
from terminal.core.clock import SystemClock
from terminal.core.permissions import Permissions
from terminal.core.records import Item, TaxClass
from terminal.core.refund import RefundService
from terminal.core.settings import StoreSettings
from terminal.core.staff import OWNER
from terminal.drivers.drawer.simulated import SimulatedDrawer
from terminal.drivers.printer import build_printer
from terminal.ledger.db import ledger_path, open_ledger
from terminal.ledger.ledger import SqliteLedger

ITEMS = [
    Item(f"K{i:02d}", f"Item {i}", f"商品{i}", 150 + 37 * i, (f"69000000{i:04d}0",), "standard")
    for i in range(1, 11)
]
PRINTER = {"kind": "network", "host": "127.0.0.1", "profile": "80mm", "settle_s": 0,
           "timeout_s": 2}  # fmt: skip


class _NoStaff:
    """The owner, who sells here, holds every right and is not a staff record."""

    def member(self, staff_id: str) -> Any:
        return None


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _sales(ledger: SqliteLedger) -> int:
    return ledger.db.execute_sql("SELECT count(*) FROM sale WHERE kind = 'sale'").fetchone()[0]


def _setup(ledger: SqliteLedger) -> None:
    catalog = ledger.catalog()
    if catalog.count() == 0:
        catalog.set_tax_classes([TaxClass("standard", 1300, True, "VAT 13%")])
        catalog.upsert_items(ITEMS)
    if ledger.current_shift() is None:
        ledger.post("shift.opened", {"shift_id": "crash-1", "opening_float": 10000}, staff_id="m")


def sell(data_dir: Path, port: int, target: int) -> None:
    clock = SystemClock()
    ledger = open_ledger(ledger_path(data_dir), "T01", clock)
    _setup(ledger)
    settings = StoreSettings(terminal_id="T01", language="en")
    printer = build_printer({**PRINTER, "port": port}, data_dir, clock, False)
    wire_receipts(ledger, printer, settings, None)
    # What the last run left owed prints before the first sale (the clerk is logging in), so
    # each kill lands in the one moment the parent chose and not in a catch-up print.
    printer.wait_idle(10)
    ports: dict[str, Any] = {
        "ledger": ledger, "printer": printer, "drawer": SimulatedDrawer(), "payments": None,
        "clock": clock, "gate": Permissions(_NoStaff(), ledger=ledger), "settings": settings,
        "clerk_id": OWNER,
    }  # fmt: skip
    session = SaleSession(catalog=ledger.catalog(), card=None, **ports)
    refunds = RefundService(**ports)
    _say("ready")
    n = 0
    while _sales(ledger) < target:
        n += 1
        for i in range(1 + n % 3):
            session.add_barcode(ITEMS[(n + i) % len(ITEMS)].barcodes[0])
        session.pay_cash(100_000)
        record = session.last_record
        assert record is not None and record.receipt_no is not None
        _say(f"committed {record.receipt_no}")
        printer.wait_idle(10)
        if record.receipt_no % 3 == 0:
            original = refunds.find(receipt_no=record.receipt_no)
            refund = refunds.refund(original, {1: 1000}, reason="crash test")
            _say(f"committed {refund.receipt_no}")
            printer.wait_idle(10)
    if not printer.wait_idle(20):
        raise SystemExit("receipts still spooled at the end")
    printer.stop()
    ledger.close()
    _say("done")


def main() -> None:
    for command in sys.stdin:
        _run, data_dir, port, target, crash_at = command.split()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                crashpoint.arm("" if crash_at == "-" else crash_at)
                sell(Path(data_dir), int(port), int(target))
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                os._exit(code)
        _say(f"forked {pid}")
        _pid, status = os.waitpid(pid, 0)
        _say(f"exit {-os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)}")


if __name__ == "__main__":
    main()
