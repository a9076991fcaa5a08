"""Receipts exactly once: every sale and refund the ledger committed gets its receipt spooled,
even when the terminal died between the commit and the spool.

The ledger writes a "receipt owed" row in the sale's own transaction (``Ledger.post``), so the
job is as durable as the sale. Right after each commit the desk (a ledger listener) tells the
printer that the receipt's key is owed: the checkout's own ``submit`` of that receipt, which
follows at once, is then spooled without a sync of its own, and the sale costs one durable
commit. At start the desk spools every receipt a crash left owed. The job's key is the
receipt's own key, so a job spooled twice prints once. The printer reports each job printed;
the ledger then forgets it.

What reaches the paper more than once is the printer's business: a job it finds half sent
after a crash or a fault is printed again under the receipt's reprint title, so a second copy
is always marked (``drivers/printer/service.py``).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Protocol

from terminal.core import receipt as receipts
from terminal.core.records import JournalEntry, PrintDoc, SaleRecord
from terminal.core.settings import StoreSettings

RECEIPT_KINDS = frozenset({"sale.completed", "refund.completed"})

log = logging.getLogger(__name__)


class OwedReceipts(Protocol):
    """The ledger side (``SqliteLedger``)."""

    def owed_receipts(self) -> list[JournalEntry]: ...

    def receipt_printed(self, seq: int) -> None: ...

    def settle_receipts(self, seqs: Iterable[int]) -> None: ...


class ReceiptSpool(Protocol):
    """The printer side (``SpoolingPrinter``)."""

    def submit(self, doc: PrintDoc, *, durable: bool = True) -> None: ...

    def expect(self, key: str) -> None:
        """The job ``key`` is kept durably elsewhere: spool it without a sync when it comes."""

    def job_state(self, key: str) -> str | None: ...


class ReceiptDesk:
    def __init__(
        self,
        ledger: OwedReceipts,
        printer: ReceiptSpool,
        settings: StoreSettings,
        name_of: Callable[[str], str] | None = None,
    ) -> None:
        self.ledger = ledger
        self.printer = printer
        self.settings = settings
        self._name_of = name_of
        self._lock = threading.Lock()
        self._keys: dict[str, int] = {}
        """Key of a spooled receipt -> its journal seq, until the printer reports it."""

    def document(self, entry: JournalEntry) -> PrintDoc:
        """The receipt for a committed sale or refund, as the checkout prints it."""
        record = dataclasses.replace(
            SaleRecord.from_payload(dict(entry.payload)), receipt_no=entry.number
        )
        approver = record.approver_id
        return receipts.sale_receipt(
            record,
            self.settings,
            clerk_name=self._name(record.staff_id),
            approver_name=self._name(approver) if approver else "",
        )

    def catch_up(self) -> int:
        """At start: spool every receipt still owed that the spool does not hold, and forget
        those it already printed. Returns how many were spooled now."""
        spooled = 0
        printed: list[int] = []
        for entry in self.ledger.owed_receipts():
            doc = self.document(entry)
            state = self.printer.job_state(doc.key)
            if state in ("done", "failed"):
                printed.append(entry.seq)
                continue
            with self._lock:
                self._keys[doc.key] = entry.seq
            if state is None:
                self.printer.submit(doc, durable=False)
                spooled += 1
        self.ledger.settle_receipts(printed)
        return spooled

    def on_entry(self, entry: JournalEntry) -> None:
        """Ledger listener: runs after the commit, before the checkout moves on to print. It
        does no layout and no I/O, so the sale's path gains nothing but the owed row."""
        if entry.kind not in RECEIPT_KINDS:
            return
        number = entry.number if entry.number is not None else entry.payload.get("sale_id", "")
        key = receipts.receipt_key(number, entry.training)
        with self._lock:
            self._keys[key] = entry.seq
        self.printer.expect(key)

    def on_settled(self, key: str) -> None:
        """Printer callback (its owner thread): the job is printed, or can never be."""
        with self._lock:
            seq = self._keys.pop(key, None)
        if seq is not None:
            self.ledger.receipt_printed(seq)

    def _name(self, staff_id: str) -> str:
        if not staff_id or self._name_of is None:
            return staff_id or ""
        try:
            return self._name_of(staff_id)
        except Exception:  # a receipt with the clerk's id beats no receipt
            log.exception("no name for staff %s", staff_id)
            return staff_id
