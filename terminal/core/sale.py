"""One sale and its state machine.

idle -> open (first item) -> tendering -> completed, with voided and suspended on the side.
Every step checks the state first and raises ``IllegalStep`` naming what is wrong, so the UI, the
automation channel and a clerk hammering buttons all get the same clear answer.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from terminal.core.cart import Cart, CartTotals
from terminal.core.errors import IllegalStep
from terminal.core.money import Rounding, cash_round
from terminal.core.records import SaleRecord, TenderRecord
from terminal.core.tenders import CASH


class SaleState(StrEnum):
    IDLE = "idle"
    OPEN = "open"
    TENDERING = "tendering"
    COMPLETED = "completed"
    VOIDED = "voided"
    SUSPENDED = "suspended"


class Sale:
    def __init__(
        self,
        sale_id: str,
        started_at: str,
        *,
        currency: str = "CNY",
        merge_lines: bool = True,
        max_qty_milli: int = 999_000,
        cash_step: int = 0,
        cash_mode: Rounding = Rounding.HALF_UP,
        shift_id: str | None = None,
    ) -> None:
        self.sale_id = sale_id
        self.shift_id = shift_id
        self.started_at = started_at
        self.currency = currency
        self.cart = Cart(merge_lines=merge_lines, max_qty_milli=max_qty_milli)
        self.state = SaleState.OPEN
        self.tenders: list[TenderRecord] = []
        self.rounding = 0
        self.cash_step = cash_step
        self.cash_mode = cash_mode
        self.record: SaleRecord | None = None
        """Set once the ledger has committed the sale."""

    # -- figures ---------------------------------------------------------------------------

    def totals(self) -> CartTotals:
        return self.cart.totals()

    @property
    def total(self) -> int:
        return self.cart.totals().total + self.rounding

    @property
    def paid(self) -> int:
        return sum(t.amount for t in self.tenders)

    @property
    def balance(self) -> int:
        return self.total - self.paid

    @property
    def cash_due(self) -> int:
        """What settles the balance in cash, after cash rounding."""
        return max(cash_round(self.balance, self.cash_step, self.cash_mode), 0)

    @property
    def fully_paid(self) -> bool:
        return self.state is SaleState.TENDERING and self.balance <= 0

    @property
    def change(self) -> int:
        return sum(t.change for t in self.tenders)

    # -- guards ----------------------------------------------------------------------------

    def _require(self, action: str, *states: SaleState) -> None:
        if self.state not in states:
            raise IllegalStep(
                f"cannot {action}: the sale is {self.state.value}", code=f"sale.{self.state.value}"
            )

    def require_can_add(self) -> None:
        self._require("add an item", SaleState.OPEN, SaleState.TENDERING)
        if self.tenders and self.balance <= 0:
            raise IllegalStep("cannot add an item: the sale is fully paid", code="sale.paid")

    def require_can_edit(self, action: str) -> None:
        self._require(action, SaleState.OPEN, SaleState.TENDERING)
        if self.tenders:
            raise IllegalStep(
                f"cannot {action}: payment has been taken; void the sale to start over",
                code="sale.payment_taken",
            )

    # -- transitions -----------------------------------------------------------------------

    def begin_tender(self) -> None:
        self._require("take payment", SaleState.OPEN, SaleState.TENDERING)
        if self.cart.is_empty():
            raise IllegalStep("cannot take payment: the cart is empty", code="sale.empty")
        if self.total < 0:
            raise IllegalStep("cannot take payment: the total is negative", code="sale.negative")
        self.state = SaleState.TENDERING

    def back_to_cart(self) -> None:
        self._require("go back to the cart", SaleState.TENDERING, SaleState.OPEN)
        if self.tenders:
            raise IllegalStep(
                "payment has been taken; finish paying or void the sale",
                code="sale.payment_taken",
            )
        self.state = SaleState.OPEN

    def require_payable(self) -> None:
        if self.state is SaleState.OPEN:
            raise IllegalStep("start payment first", code="sale.open")
        self._require("take payment", SaleState.TENDERING)
        if self.balance <= 0:
            raise IllegalStep("the sale is already paid", code="sale.paid")

    def settles_in_cash(self, tendered: int) -> bool:
        return tendered >= self.cash_due

    def add_cash(self, tendered: int) -> TenderRecord:
        """Cash pays the rest (after cash rounding) and gives change, or pays part of it."""
        self.require_payable()
        if tendered < 0:
            raise IllegalStep("cash handed over cannot be negative", code="tender.amount")
        due = self.cash_due
        if tendered >= due:
            rounding = due - self.balance
            amount = due
        else:
            if tendered == 0:
                raise IllegalStep("enter the cash handed over", code="tender.amount")
            rounding = 0
            amount = tendered
        rec = TenderRecord(kind=CASH, amount=amount, tendered=tendered, change=tendered - amount)
        self.rounding += rounding
        self.tenders.append(rec)
        return rec

    def add_tender(self, rec: TenderRecord) -> None:
        self.require_payable()
        if rec.amount > self.balance:
            raise IllegalStep("a payment cannot exceed the balance due", code="tender.over")
        self.tenders.append(rec)

    def has_cash(self) -> bool:
        return any(t.kind == CASH for t in self.tenders)

    def build_record(
        self,
        *,
        terminal_id: str,
        shift_id: str | None,
        staff_id: str,
        completed_at: str,
        training: bool,
    ) -> SaleRecord:
        if not self.fully_paid:
            raise IllegalStep("cannot complete: a balance is still due", code="sale.balance_due")
        t = self.totals()
        return SaleRecord(
            sale_id=self.sale_id,
            terminal_id=terminal_id,
            shift_id=shift_id,
            staff_id=staff_id,
            currency=self.currency,
            started_at=self.started_at,
            completed_at=completed_at,
            lines=t.lines,
            tenders=tuple(self.tenders),
            subtotal=t.subtotal,
            discount_total=t.discount_total,
            tax_total=t.tax_total,
            total=t.total + self.rounding,
            rounding=self.rounding,
            training=training,
        )

    def mark_completed(self, record: SaleRecord, receipt_no: int | None) -> SaleRecord:
        self.record = replace(record, receipt_no=receipt_no)
        self.state = SaleState.COMPLETED
        return self.record

    def mark_voided(self) -> None:
        self._require("void the sale", SaleState.OPEN, SaleState.TENDERING)
        self.state = SaleState.VOIDED

    def suspend(self) -> None:
        self._require("suspend the sale", SaleState.OPEN, SaleState.TENDERING)
        if self.tenders:
            raise IllegalStep("cannot suspend: payment has been taken", code="sale.payment_taken")
        if self.cart.is_empty():
            raise IllegalStep("cannot suspend an empty sale", code="sale.empty")
        self.state = SaleState.SUSPENDED

    def recall(self) -> None:
        self._require("recall the sale", SaleState.SUSPENDED)
        self.state = SaleState.OPEN
