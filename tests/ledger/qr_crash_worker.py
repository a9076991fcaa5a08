"""Child process for tests/ledger/test_qr_crash.py: a terminal that dies the moment a mobile-QR
or card part payment is approved, before the cash part.

Run as ``python qr_crash_worker.py DATA_DIR MODE TENDER`` (MODE ``restore`` or ``reverse``,
TENDER ``qr`` or ``card``). It opens the ledger, restores unfinished sales the way the app does
at login (``reverse``: with the store setting that reverses interrupted payments), finishes
whatever came back with cash, then rings up a new sale, pays part of it by TENDER and SIGKILLs
itself as soon as the payment step returns.

The simulated provider and card terminal stand for the customer's bank: every approval,
cancel and reversal is appended (and fsynced) to ``provider.log`` in the data directory before
the terminal hears about it, so the parent can check that every charge taken is in the journal.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
from pathlib import Path
from typing import Any

from terminal.core.checkout import SaleSession
from terminal.core.clock import SystemClock
from terminal.core.permissions import Permissions
from terminal.core.ports import PaymentOutcome, PaymentResult
from terminal.core.records import Item, PrintDoc, TaxClass
from terminal.core.settings import StoreSettings
from terminal.core.staff import OWNER
from terminal.drivers.drawer.simulated import SimulatedDrawer
from terminal.drivers.payment.card import SimulatedCardTerminal
from terminal.drivers.payment.qr import SimulatedQrProvider
from terminal.ledger.db import ledger_path, open_ledger
from terminal.ledger.ledger import SqliteLedger

ITEMS = [
    Item(f"Q{i:02d}", f"Item {i}", f"商品{i}", 300 + 41 * i, (f"69100000{i:04d}0",), "standard")
    for i in range(1, 13)
]
WECHAT = "134567890123456789"


class BankLog(SimulatedQrProvider):
    """The provider's own record, written before the answer leaves the provider."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._log = path

    def _write(self, **event: Any) -> None:
        _append(self._log, **event)

    def charge(self, payment_code: str, amount: int, currency: str, sale_id: str,
               tender_no: int = 1) -> PaymentResult:
        result = super().charge(payment_code, amount, currency, sale_id, tender_no)
        if result.outcome is PaymentOutcome.APPROVED:
            self._write(event="approved", sale_id=sale_id, reference=result.reference,
                        amount=amount)
        return result

    def cancel(self, sale_id: str, reference: str) -> None:
        super().cancel(sale_id, reference)
        self._write(event="cancelled", sale_id=sale_id, reference=reference)


class CardBank(SimulatedCardTerminal):
    """The card terminal with the bank's log; it reverses any charge the log shows approved,
    also one taken before the terminal restarted."""

    def __init__(self, path: Path) -> None:
        super().__init__(seed=random.randrange(1 << 30))
        self._log = path

    def charge(self, amount: int, currency: str, sale_id: str) -> PaymentResult:
        result = super().charge(amount, currency, sale_id)
        if result.outcome is PaymentOutcome.APPROVED:
            _append(self._log, event="approved", sale_id=sale_id, reference=result.reference,
                    amount=amount)
        return result

    def reverse(self, sale_id: str, reference: str, amount: int) -> PaymentResult:
        taken = [json.loads(x) for x in self._log.read_text().splitlines()]
        if not any(t["event"] == "approved" and t["reference"] == reference for t in taken):
            return PaymentResult(PaymentOutcome.DECLINED, reference, "unknown charge")
        _append(self._log, event="cancelled", sale_id=sale_id, reference=reference)
        return PaymentResult(PaymentOutcome.APPROVED, reference, "", "sim-card")


def _append(path: Path, **event: Any) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(event) + "\n")
        f.flush()
        os.fsync(f.fileno())


class _Paper:
    def submit(self, doc: PrintDoc) -> None:
        pass

    def status(self) -> Any:
        return None


class _NoStaff:
    def member(self, staff_id: str) -> Any:
        return None


def _say(**what: Any) -> None:
    sys.stdout.write(json.dumps(what) + "\n")
    sys.stdout.flush()


def _session(ledger: SqliteLedger, data_dir: Path, reverse: bool) -> SaleSession:
    return SaleSession(
        catalog=ledger.catalog(), ledger=ledger, printer=_Paper(), drawer=SimulatedDrawer(),
        payments=BankLog(data_dir / "provider.log"), card=CardBank(data_dir / "provider.log"),
        clock=SystemClock(), gate=Permissions(_NoStaff(), ledger=ledger),
        settings=StoreSettings(terminal_id="T01", reverse_interrupted_payments=reverse),
        clerk_id=OWNER,
    )


def main() -> None:
    data_dir, mode, tender = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    ledger = open_ledger(ledger_path(data_dir), "T01", SystemClock())
    catalog = ledger.catalog()
    if catalog.count() == 0:
        catalog.set_tax_classes([TaxClass("standard", 1300, True, "VAT 13%")])
        catalog.upsert_items(ITEMS)
    if ledger.current_shift() is None:
        ledger.post("shift.opened", {"shift_id": "qr-1", "opening_float": 0}, staff_id="m")
    session = _session(ledger, data_dir, mode == "reverse")
    session.restore_pending(ledger.pending_sales())
    snap = session.resume_own()
    if snap.sale_id is not None:
        _say(restored=snap.sale_id, skus=[ln.sku for ln in snap.lines],
             references=[t.reference for t in snap.tenders], paid=snap.paid)
        if snap.state == "open":
            session.start_tender()
        session.pay_cash(session.snapshot().cash_due)
        _say(completed=snap.sale_id)
    rng = random.Random()
    for _ in range(rng.randint(1, 4)):
        session.add_barcode(ITEMS[rng.randrange(len(ITEMS))].barcodes[0])
    sale = session.start_tender()
    # A different payment code each time, so the provider never answers with an old charge.
    code = WECHAT[:-6] + f"{rng.randrange(1, 999_999):06d}"
    if code.endswith(("0000", "9999")):
        code = code[:-1] + "1"
    part = max(sale.total // 2, 1)
    snap = session.pay_qr(code, part) if tender == "qr" else session.pay_card(part)
    _say(approved=snap.sale_id, skus=[ln.sku for ln in snap.lines],
         reference=snap.tenders[-1].reference, amount=snap.tenders[-1].amount)
    # Dead before the cash part, as when the reviewer pulled the plug.
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main()
