"""The checkout service the UI and the automation channel call: one clerk's sales on one
terminal, from the first scan to the receipt.

``SaleSession`` puts together the cart steps (``cart_editing``), the payment steps
(``tendering``) and leaving and resuming a sale (``holding``: void, hold, park, recall, restore
after a restart) over the shared session state (``session``), and adds what routes a scan and
reprinting. Every action that moves money asks the
``rights.Gate`` first and journals any decision that was denied or needed a supervisor.

Methods are meant to run on the app's single worker thread; ``snapshot()`` may be called from
any thread.
"""

from __future__ import annotations

from terminal.core import receipt as receipts
from terminal.core.cart_editing import CartEditing
from terminal.core.errors import IllegalStep, InvalidInput
from terminal.core.holding import Holding
from terminal.core.records import SaleRecord
from terminal.core.sale import SaleState
from terminal.core.scan import ReadKind, classify
from terminal.core.session import sale_action
from terminal.core.views import ReadOutcome, SaleSnapshot


class SaleSession(CartEditing, Holding):
    """One clerk's sales on one terminal; every public step returns the new snapshot."""

    # -- clerk -----------------------------------------------------------------------------

    @sale_action
    def switch_clerk(
        self, clerk_id: str, *, clerk_name: str = "", training: bool | None = None
    ) -> SaleSnapshot:
        """Quick clerk switch: an open sale stays open and is finished by the new clerk.
        Training mode only changes between sales, so no sale mixes real and training steps."""
        if training is not None and training != self.training:
            if self._sale is not None:
                raise IllegalStep(
                    "finish or suspend the sale before switching training mode", code="sale.open"
                )
            if self._suspended:
                raise IllegalStep(
                    "recall or void suspended sales before switching training mode",
                    code="sale.suspended",
                )
            self.training = training
        self.clerk_id = clerk_id
        self.clerk_name = clerk_name
        self._max_checked = 0
        return self.snapshot()

    @sale_action
    def handle_read(self, code: str) -> ReadOutcome:
        """Route a scanner read: products to the cart, payment codes to a QR payment of the
        balance (starting payment if the cart is open). Other kinds are returned for the
        caller (login, refund lookup, member lookup) without touching the sale."""
        read = classify(code, self.settings.scan_rules, self.settings.variable_measure)
        if read.kind in (ReadKind.PRODUCT, ReadKind.VARIABLE_MEASURE):
            self._add_scanned(read.code)
            return ReadOutcome(read, "added")
        if read.is_payment:
            sale = self._current("take a mobile payment")
            completed = sale.state is SaleState.OPEN and self._start_tender(None)
            if not completed:
                self._pay_qr(read.code, None, None)
            return ReadOutcome(read, "paid")
        if read.kind is ReadKind.UNKNOWN:
            # Stores label some goods with in-house codes; try them before giving up.
            item = self.catalog.by_barcode(read.code) if read.code else None
            if item is not None:
                self._add(item, barcode=read.code)
                return ReadOutcome(read, "added")
            raise InvalidInput(read.message, code=read.error_code or "scan.unknown")
        return ReadOutcome(read, "none")

    # -- leaving a sale --------------------------------------------------------------------

    @sale_action
    def new_sale(self) -> SaleSnapshot:
        """Clear the finished sale from the screen."""
        if self._sale is not None:
            raise IllegalStep("a sale is open: finish, suspend or void it", code="sale.open")
        self._done = None
        self._notice = ""
        return self.snapshot()

    # -- receipts --------------------------------------------------------------------------

    @sale_action
    def reprint_last(self) -> SaleSnapshot:
        """Print the last completed sale again, marked DUPLICATE."""
        if self._done is None or self._done.record is None:
            raise IllegalStep("no completed sale to reprint", code="sale.none_completed")
        self.printer.submit(
            receipts.sale_receipt(
                self._done.record,
                self.settings,
                clerk_name=self._name(self._done.record.staff_id),
                duplicate=True,
                copy_no=self.clock.now().strftime("%Y%m%d%H%M%S%f"),
            )
        )
        return self.snapshot()

    @property
    def last_record(self) -> SaleRecord | None:
        with self._lock:
            return self._done.record if self._done else None
