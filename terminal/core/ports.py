"""The core's outside world, as Protocols. Ledger, drivers and link implement these; core
services receive them from the composition root (``terminal/app.py``) and never import an
implementation.

Threading contract: every method here may block (disk, serial, network) unless it says otherwise,
so the UI calls core services from a worker thread and gets results back through ``Dispatch``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from terminal.core.pending import PendingSale
from terminal.core.records import Item, JournalEntry, PrintDoc, ReportTotals, SaleRecord, TaxClass

Dispatch = Callable[[Callable[[], object]], None]
"""Hands a callable to the thread that owns the UI (Kivy's Clock in the app, a direct call in
tests)."""


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary start, for timeouts and durations."""


class LedgerError(Exception):
    """The ledger refused or failed a write; nothing of it was stored."""


class LedgerFull(LedgerError):
    """The disk is full: the write was rolled back whole."""


class LedgerReadOnly(LedgerError):
    """The ledger's file or its file system is read-only: nothing was written."""


class Ledger(Protocol):
    """Append-only journal plus the projections reports need, in one SQLite file.

    ``post`` is the only write. It appends one journal entry (next sequence number, UUID, UTC time,
    hash chained to the previous entry), draws the next number from a gapless series when asked,
    updates the projections the entry kind feeds (sales, lines, tenders, stock, shifts, Z reports)
    and queues an outbox row for the link, all in one transaction: either all of it is on disk
    after ``post`` returns, or none of it is and ``LedgerError`` is raised.
    """

    terminal_id: str

    def post(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        staff_id: str | None,
        series: str | None = None,
        training: bool = False,
    ) -> JournalEntry: ...

    def entries(self, after_seq: int = 0, limit: int = 1000) -> list[JournalEntry]: ...

    def last_entry(self) -> JournalEntry | None: ...

    def find_sale(
        self, *, sale_id: str | None = None, receipt_no: int | None = None, training: bool = False
    ) -> SaleRecord | None:
        """By id, or by receipt number among real receipts (training receipts with
        ``training``, as they are numbered apart)."""

    def refunded_milli(self, sale_id: str) -> dict[int, int]:
        """Quantity already refunded per original line number."""

    def pending_sales(self, training: bool = False) -> list[PendingSale]:
        """Open, parked and held sales the journal leaves unfinished, with the payments taken
        and not reversed (``core/pending.py``), oldest change first."""

    def totals(
        self,
        *,
        shift_id: str | None = None,
        since_last_z: bool = False,
        staff_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> ReportTotals: ...

    def current_shift(self) -> Mapping[str, Any] | None:
        """The open shift as stored by the "shift.opened" projection, or None."""

    def last_z(self) -> Mapping[str, Any] | None: ...

    def z_report(self, number: int) -> Mapping[str, Any] | None: ...


class Catalog(Protocol):
    """Read side of the catalog. Lookups are indexed and must stay fast at 100,000 items."""

    def by_barcode(self, code: str) -> Item | None: ...

    def by_sku(self, sku: str) -> Item | None: ...

    def search(self, text: str, limit: int = 50) -> list[Item]:
        """Case-insensitive match on name, Chinese name, SKU or barcode prefix."""

    def quick_keys(self) -> list[Item]: ...

    def tax_class(self, code: str) -> TaxClass: ...


class CatalogWriter(Protocol):
    def upsert_items(self, items: Iterable[Item]) -> int: ...

    def set_tax_classes(self, classes: Iterable[TaxClass]) -> None: ...

    def set_quick_keys(self, skus: Sequence[str]) -> None: ...


class DeviceHealth(Enum):
    OK = "ok"
    FAULT = "fault"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    health: DeviceHealth
    online: bool | None = None
    paper_low: bool | None = None
    paper_out: bool | None = None
    cover_open: bool | None = None
    detail: str = ""
    pending_jobs: int = 0


class ReceiptPrinter(Protocol):
    def submit(self, doc: PrintDoc) -> None:
        """Queue a document and return at once; the job survives restarts until printed.
        A key that was already printed is ignored."""

    def status(self) -> PrinterStatus:
        """Last known status; never blocks on the device."""


class CashDrawer(Protocol):
    def open(self) -> None:
        """Fire the kick pulse. Returns once the pulse is done (tens of milliseconds)."""

    def is_open(self) -> bool | None:
        """True/False from the open sensor, None when the drawer has no sensor."""


@dataclass(frozen=True, slots=True)
class ScanRead:
    code: str
    source: str
    """Stable device identity (by-id path, "serial:/dev/ttyACM0", "sim")."""


class ScanSource(Protocol):
    def start(self, on_read: Callable[[ScanRead], None]) -> None:
        """Begin delivering reads; ``on_read`` is called on the reader's thread."""

    def stop(self) -> None: ...


class PaymentOutcome(Enum):
    APPROVED = "approved"
    DECLINED = "declined"
    TIMEOUT = "timeout"


@dataclass(frozen=True, slots=True)
class PaymentResult:
    outcome: PaymentOutcome
    reference: str = ""
    message: str = ""
    provider: str = ""


class PaymentProvider(Protocol):
    """Mobile QR: the customer's payment code (WeChat Pay, Alipay) is scanned and charged."""

    def charge(
        self, payment_code: str, amount: int, currency: str, sale_id: str, tender_no: int = 1
    ) -> PaymentResult:
        """``tender_no`` is the tender's place in the sale (1, 2 ...): with the sale id it keys
        the provider's order, so charging the same tender again cannot charge twice."""

    def cancel(self, sale_id: str, reference: str) -> None:
        """Reverse a charge whose sale could not complete (best effort, journaled by the
        caller)."""

    def refund(self, sale_id: str, reference: str, amount: int) -> PaymentResult:
        """Pay ``amount`` back to the payment ``reference`` (all or part of it) after the sale
        completed; ``sale_id`` is the refund's own id. Approved, declined or timed out."""


class CardTerminal(Protocol):
    """An external bank-card terminal: it takes the card; we record its approval."""

    def charge(self, amount: int, currency: str, sale_id: str) -> PaymentResult: ...

    def reverse(self, sale_id: str, reference: str, amount: int) -> PaymentResult:
        """Undo an approved charge of a sale that will not complete (void, a tender taken
        off, a restart that reverses interrupted payments). Approved, declined or timed out."""


class Link(Protocol):
    def wake(self) -> None:
        """New outbox rows were committed: drain soon. Never blocks."""
