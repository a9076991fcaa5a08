"""The checkout service the UI and the automation channel call: one clerk's sales on one
terminal, from the first scan to the receipt.

``SaleSession`` puts together the cart steps (``cart_editing``) and the payment steps
(``tendering``) over the shared session state (``session``), and adds what routes a scan, what
leaves a sale (void, suspend, recall) and reprinting. Every action that moves money asks the
``rights.Gate`` first and journals any decision that was denied or needed a supervisor.

Methods are meant to run on the app's single worker thread; ``snapshot()`` may be called from
any thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from terminal.core import receipt as receipts
from terminal.core.cart import CartLine, Discount
from terminal.core.cart_editing import CartEditing
from terminal.core.errors import IllegalStep, InvalidInput, NotFound
from terminal.core.records import Item, JournalEntry, SaleRecord
from terminal.core.rights import Approval, Right
from terminal.core.sale import Sale, SaleState
from terminal.core.scan import ReadKind, classify
from terminal.core.session import sale_action
from terminal.core.tendering import Tendering
from terminal.core.tenders import CARD, QR
from terminal.core.views import ReadOutcome, SaleSnapshot


class SaleSession(CartEditing, Tendering):
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
    def void_sale(self, *, reason: str = "", approval: Approval | None = None) -> SaleSnapshot:
        """Abandon the open sale. Mobile payments already taken are cancelled with the provider
        and cash handed back; a card payment cannot be undone here (refund it instead)."""
        sale = self._current("void the sale")
        if sale.state not in (SaleState.OPEN, SaleState.TENDERING):
            raise IllegalStep(
                f"cannot void: the sale is {sale.state.value}", code=f"sale.{sale.state.value}"
            )
        if not sale.cart.lines and not sale.tenders:
            self._sale = None
            return self.snapshot()
        if any(t.kind == CARD for t in sale.tenders):
            raise IllegalStep(
                "a card payment was taken: finish the sale and refund it", code="sale.card_taken"
            )
        total = sale.total
        approver = self.guard.require(
            Right.VOID_SALE, amount=total, approval=approval, subject=self._subject(total=total)
        )
        for tender in list(sale.tenders):
            if tender.kind == QR:
                self.payments.cancel(sale.sale_id, tender.reference)
            self._post(
                "payment.reversed",
                {
                    "sale_id": sale.sale_id,
                    "kind": tender.kind,
                    "amount": tender.amount,
                    "reference": tender.reference,
                    "message": reason or "sale voided",
                },
                what="the payment reversal",
            )
            sale.tenders.remove(tender)
        self._post(
            "sale.voided",
            {
                "sale_id": sale.sale_id,
                "lines": [ln.spec() for ln in sale.cart.lines],
                "total": total,
                "reason": reason,
                "approver_id": approver,
            },
            what="the sale void",
        )
        sale.mark_voided()
        self._sale = None
        self._done = None
        return self.snapshot()

    @sale_action
    def new_sale(self) -> SaleSnapshot:
        """Clear the finished sale from the screen."""
        if self._sale is not None:
            raise IllegalStep("a sale is open: finish, suspend or void it", code="sale.open")
        self._done = None
        self._notice = ""
        return self.snapshot()

    @sale_action
    def suspend(self, *, approval: Approval | None = None) -> SaleSnapshot:
        sale = self._current("suspend the sale")
        if sale.tenders:
            raise IllegalStep("cannot suspend: payment has been taken", code="sale.payment_taken")
        if sale.cart.is_empty():
            raise IllegalStep("cannot suspend an empty sale", code="sale.empty")
        self.guard.require(
            Right.SUSPEND_SALE, amount=sale.total, approval=approval, subject=self._subject()
        )
        self._post(
            "sale.suspended",
            {
                "sale_id": sale.sale_id,
                "started_at": sale.started_at,
                "lines": [ln.spec() for ln in sale.cart.lines],
                "sale_discount": sale.cart.sale_discount_spec(),
            },
            what="the suspended sale",
        )
        sale.suspend()
        self._suspended[sale.sale_id] = sale
        self._sale = None
        return self.snapshot()

    @sale_action
    def recall(self, sale_id: str) -> SaleSnapshot:
        if self._sale is not None:
            raise IllegalStep("finish, suspend or void the open sale first", code="sale.open")
        sale = self._suspended.get(sale_id)
        if sale is None:
            raise NotFound(f"no suspended sale {sale_id}", code="sale.not_suspended")
        self._post(
            "sale.recalled",
            {
                "sale_id": sale.sale_id,
                "lines": [ln.spec() for ln in sale.cart.lines],
            },
            what="the recalled sale",
        )
        del self._suspended[sale_id]
        sale.recall()
        # The sale is paid into the drawer of the shift it is finished in.
        sale.shift_id = None if self.training else self._shift_id()
        self._sale = sale
        self._done = None
        self._max_checked = 0
        return self.snapshot()

    @sale_action
    def restore_suspended(self, entries: Iterable[JournalEntry]) -> SaleSnapshot:
        """Rebuild sales that were suspended and never recalled, voided or completed, from
        journal entries (the composition root passes the entries since the last Z report), so
        a restart loses no parked sale. Entries of the other mode (training or not) are skipped."""
        open_payloads: dict[str, Mapping[str, Any]] = {}
        for e in entries:
            if e.training != self.training:
                continue
            sale_id = e.payload.get("sale_id") if isinstance(e.payload, Mapping) else None
            if e.kind == "sale.suspended" and sale_id:
                open_payloads[sale_id] = e.payload
            elif e.kind in ("sale.recalled", "sale.voided", "sale.completed") and sale_id:
                open_payloads.pop(sale_id, None)
        for sale_id, payload in open_payloads.items():
            if sale_id in self._suspended or (self._sale and self._sale.sale_id == sale_id):
                continue
            self._suspended[sale_id] = self._rebuild(payload)
        return self.snapshot()

    def _rebuild(self, payload: Mapping[str, Any]) -> Sale:
        sale = self._new_sale(
            str(payload["sale_id"]), str(payload.get("started_at") or self._now_iso())
        )
        for spec in payload.get("lines", ()):
            item = self.catalog.by_sku(str(spec["sku"])) or Item(
                sku=str(spec["sku"]),
                name=str(spec.get("name") or spec["sku"]),
                name_zh="",
                price=int(spec["unit_price"]),
                tax_class=str(spec.get("tax_class") or "standard"),
            )
            tax = self.catalog.tax_class(str(spec.get("tax_class") or item.tax_class))
            sale.cart.restore_line(CartLine.from_spec(dict(spec), item, tax))
        disc = payload.get("sale_discount")
        if disc:
            sale.cart.set_sale_discount(
                Discount(
                    percent_bp=disc.get("percent_bp"),
                    amount=disc.get("amount"),
                    approver_id=disc.get("approver_id"),
                    reason=disc.get("reason") or "",
                )
            )
        sale.state = SaleState.SUSPENDED
        return sale

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
