"""Taking payment for the open sale: cash, card and mobile QR tenders, each within the clerk's
tender, sale-size and daily-collection rights, and committing the sale once it is paid.

A sale is only "done" once the ledger has committed it; when the ledger refuses (disk full), the
sale stays as it was and ``complete()`` tries again. Printing and the drawer come after the
commit and never block it.

A payment a provider (or the card terminal) approved is journaled before the snapshot goes
back: as ``payment.authorised`` when a balance is left, inside ``sale.completed`` when it
settles the sale. A part payment in cash is journaled the same way. A payment that cannot be
recorded is reversed with its provider at once; one that can be neither recorded nor reversed
stays on the sale and its entry is retried at the next step. Taking a payment off the sale
(``remove_tender``, a void) reverses it with its provider first, then journals
``payment.reversed``.
"""

from __future__ import annotations

from collections.abc import Callable

from terminal.core import receipt as receipts
from terminal.core.errors import (
    IllegalStep,
    InvalidInput,
    JournalError,
    NotFound,
    PaymentFailed,
    PosError,
)
from terminal.core.ports import PaymentOutcome, PaymentResult
from terminal.core.records import SaleRecord, TenderRecord
from terminal.core.rights import Approval, ApprovalRequired, PermissionDenied, Right
from terminal.core.sale import Sale, SaleState
from terminal.core.scan import classify, shown
from terminal.core.session import SessionCore, sale_action
from terminal.core.tenders import CARD, CASH, QR, check_electronic_amount, quick_cash
from terminal.core.views import SaleSnapshot

TENDER_RIGHTS = {CASH: Right.TENDER_CASH, CARD: Right.TENDER_CARD, QR: Right.TENDER_QR}


class Tendering(SessionCore):
    """The payment steps of ``SaleSession``."""

    @sale_action
    def start_tender(self, *, approval: Approval | None = None) -> SaleSnapshot:
        self._start_tender(approval)
        return self.snapshot()

    def _start_tender(self, approval: Approval | None) -> bool:
        """Move to payment; True when that completed the sale because nothing is due."""
        sale = self._current("take payment")
        sale.begin_tender()
        try:
            self._check_sale_max(sale, approval)
        except (PermissionDenied, ApprovalRequired, PosError):
            if not sale.tenders:
                sale.state = SaleState.OPEN
            raise
        if sale.total == 0:
            # Everything was discounted away: nothing to pay, but the sale (and its stock
            # movement and discounts) must still be on record.
            self._complete(sale)
            return True
        return False

    def _check_sale_max(self, sale: Sale, approval: Approval | None) -> None:
        total = sale.total
        if total <= self._max_checked:
            return
        self.guard.require(
            Right.SALE_MAX_AMOUNT, amount=total, approval=approval, subject=self._subject()
        )
        self._max_checked = total

    @sale_action
    def back_to_cart(self) -> SaleSnapshot:
        self._current("go back to the cart").back_to_cart()
        return self.snapshot()

    def quick_cash(self) -> list[int]:
        with self._lock:
            sale = self._sale
            if sale is None or sale.state is not SaleState.TENDERING:
                return []
            return quick_cash(sale.cash_due, self.settings.quick_cash_denominations)

    def _collected_today(self) -> int:
        since = self.settings.business_day_start(self.clock.now()).isoformat()
        totals = self.ledger.totals(staff_id=self.clerk_id, since=since)
        return sum(totals.by_tender.values())

    def _authorize_tender(
        self, sale: Sale, kind: str, amount: int, approval: Approval | None
    ) -> None:
        subject = self._subject(tender=kind)
        self.guard.require(TENDER_RIGHTS[kind], amount=amount, approval=approval, subject=subject)
        self._check_sale_max(sale, approval)
        if not self.training:
            collected = self._collected_today() + sale.paid + amount
            self.guard.require(
                Right.DAILY_COLLECTION, amount=collected, approval=approval, subject=subject
            )

    @sale_action
    def pay_cash(self, tendered: int, *, approval: Approval | None = None) -> SaleSnapshot:
        """Cash handed over. At or above the (cash-rounded) balance it settles the sale and
        the rest is change; below it, it pays part and another tender follows."""
        sale = self._current("take cash")
        if sale.state is SaleState.OPEN and self._start_tender(approval):
            return self.snapshot()
        if self._retry_commit(sale):
            return self.snapshot()
        sale.require_payable()
        if not isinstance(tendered, int) or tendered < 0:
            raise InvalidInput("enter the cash handed over", code="tender.amount")
        applied = min(tendered, sale.cash_due)
        if tendered == 0 and sale.cash_due > 0:
            raise InvalidInput("enter the cash handed over", code="tender.amount")
        self._authorize_tender(sale, CASH, applied, approval)
        rec = sale.add_cash(tendered)
        if sale.fully_paid:
            self._complete(sale)
        else:
            self._journal_tender(sale, rec)
        return self.snapshot()

    @sale_action
    def pay_card(
        self, amount: int | None = None, *, approval: Approval | None = None
    ) -> SaleSnapshot:
        sale = self._current("take a card payment")
        if sale.state is SaleState.OPEN and self._start_tender(approval):
            return self.snapshot()
        if self._retry_commit(sale):
            return self.snapshot()
        sale.require_payable()
        amount = sale.balance if amount is None else amount
        check_electronic_amount(amount, sale.balance)
        self._authorize_tender(sale, CARD, amount, approval)
        result = self._charge(
            sale, CARD, amount, lambda: self.card.charge(amount, sale.currency, sale.sale_id)
        )
        self._take(
            sale,
            TenderRecord(
                kind=CARD,
                amount=amount,
                tendered=amount,
                reference=result.reference,
                provider=result.provider,
            ),
        )
        return self.snapshot()

    @sale_action
    def pay_qr(
        self, payment_code: str, amount: int | None = None, *, approval: Approval | None = None
    ) -> SaleSnapshot:
        """Charge the customer's scanned WeChat Pay / Alipay code."""
        sale = self._current("take a mobile payment")
        if sale.state is SaleState.OPEN and self._start_tender(approval):
            return self.snapshot()
        self._pay_qr(payment_code, amount, approval)
        return self.snapshot()

    def _pay_qr(self, payment_code: str, amount: int | None, approval: Approval | None) -> None:
        sale = self._current("take a mobile payment")
        if self._retry_commit(sale):
            return
        sale.require_payable()
        code = payment_code.strip()
        read = classify(code, self.settings.scan_rules, self.settings.variable_measure)
        if not read.is_payment:
            raise InvalidInput(
                f"{shown(code)!r} is not a WeChat Pay or Alipay payment code",
                code="tender.not_payment_code",
            )
        code = read.code  # without a scanner's symbology identifier
        amount = sale.balance if amount is None else amount
        check_electronic_amount(amount, sale.balance)
        self._authorize_tender(sale, QR, amount, approval)
        result = self._charge(
            sale,
            QR,
            amount,
            lambda: self.payments.charge(
                code, amount, sale.currency, sale.sale_id, len(sale.tenders) + 1
            ),
        )
        self._take(
            sale,
            TenderRecord(
                kind=QR,
                amount=amount,
                tendered=amount,
                reference=result.reference,
                provider=result.provider or read.kind.value,
            ),
        )

    # -- journaling payments ---------------------------------------------------------------

    def _take(self, sale: Sale, rec: TenderRecord) -> None:
        """An approved electronic payment onto the sale, and into the journal."""
        sale.add_tender(rec)
        if not sale.fully_paid:
            self._journal_tender(sale, rec)
            return
        try:
            self._complete(sale)
        except JournalError:
            # The sale could not be stored; the approval must at least be on record.
            try:
                self._post("payment.authorised", self._payment_payload(sale, rec),
                           what="the payment taken")
            except JournalError:
                self._unjournaled.append(rec)
            raise

    def _journal_tender(self, sale: Sale, rec: TenderRecord) -> None:
        try:
            self._post("payment.authorised", self._payment_payload(sale, rec),
                       what="the payment taken")
        except JournalError as e:
            if rec.kind == CASH:
                sale.tenders.remove(rec)  # the cash is still in the clerk's hand
                raise
            if self._reverse(sale, rec):
                sale.tenders.remove(rec)
                raise PaymentFailed(
                    f"{e.message} The payment was cancelled with the provider, so nothing was "
                    "charged; take it again once the problem is fixed",
                    code="payment.not_recorded",
                ) from e
            self._unjournaled.append(rec)
            raise

    def _reverse(self, sale: Sale, rec: TenderRecord) -> bool:
        """Undo one payment with whoever took it; True when it is undone (cash: the clerk
        hands it back)."""
        try:
            if rec.kind == QR:
                self.payments.cancel(sale.sale_id, rec.reference)
            elif rec.kind == CARD:
                result = self.card.reverse(sale.sale_id, rec.reference, rec.amount)
                return result.outcome is PaymentOutcome.APPROVED
        except (TimeoutError, OSError):
            return False
        return True

    def _reverse_and_journal(self, sale: Sale, rec: TenderRecord, reason: str) -> None:
        """Provider first, journal second: a reversal that failed is never on record as done."""
        if not self._reverse(sale, rec):
            raise PaymentFailed(
                f"the {rec.kind} payment {rec.reference} could not be reversed with its "
                "provider; try again, or finish the sale and refund it",
                code="payment.reverse_failed",
            )
        payload = {
            "sale_id": sale.sale_id,
            "kind": rec.kind,
            "amount": rec.amount,
            "reference": rec.reference,
            "message": reason,
        }
        # The money is back with the customer: the tender leaves the sale even if the entry
        # saying so has to wait for the disk (it is posted before the next step).
        sale.tenders.remove(rec)
        if rec in self._unjournaled:
            self._unjournaled.remove(rec)
        try:
            self._post("payment.reversed", payload, what="the payment reversal")
        except JournalError:
            self._reversals_due.append(payload)
            raise

    @sale_action
    def remove_tender(
        self, index: int, *, reason: str = "", approval: Approval | None = None
    ) -> SaleSnapshot:
        """Take payment ``index`` (0-based, as listed) off the unfinished sale: reversed with
        its provider (cash handed back) and journaled. Money goes back out, so it needs the
        void-sale right for its amount."""
        sale = self._current("take off a payment")
        if sale.state is not SaleState.TENDERING:
            raise IllegalStep(
                f"cannot take off a payment: the sale is {sale.state.value}",
                code=f"sale.{sale.state.value}",
            )
        if not isinstance(index, int) or not 0 <= index < len(sale.tenders):
            raise NotFound("that payment is not on the sale", code="tender.not_found")
        rec = sale.tenders[index]
        self.guard.require(
            Right.VOID_SALE,
            amount=rec.amount,
            approval=approval,
            subject=self._subject(tender=rec.kind, reference=rec.reference),
        )
        self._reverse_and_journal(sale, rec, reason or "payment taken off the sale")
        return self.snapshot()

    def _charge(
        self, sale: Sale, kind: str, amount: int, call: Callable[[], PaymentResult]
    ) -> PaymentResult:
        try:
            result = call()
        except (TimeoutError, OSError) as e:
            result = PaymentResult(PaymentOutcome.TIMEOUT, message=str(e) or "no answer")
        if result.outcome is PaymentOutcome.APPROVED:
            return result
        if result.outcome is PaymentOutcome.TIMEOUT and kind == QR:
            # A charge that timed out may still go through later; cancel it (by sale id when
            # there is no reference yet) so a retry cannot charge the customer twice.
            try:
                self.payments.cancel(sale.sale_id, result.reference)
            except (TimeoutError, OSError) as e:
                result = PaymentResult(
                    result.outcome,
                    result.reference,
                    f"{result.message}; cancelling the attempt failed too ({e}): check the "
                    "customer's phone before charging again",
                    result.provider,
                )
        self._post(
            "payment.declined",
            {
                "sale_id": sale.sale_id,
                "kind": kind,
                "amount": amount,
                "reference": result.reference,
                "message": result.message,
                "outcome": result.outcome.value,
            },
            what="the declined payment",
        )
        if result.outcome is PaymentOutcome.TIMEOUT:
            raise PaymentFailed(
                f"no answer from the {'card terminal' if kind == CARD else 'payment provider'}"
                f"{': ' + result.message if result.message else ''}; retry or take another "
                "payment",
                code="payment.timeout",
            )
        raise PaymentFailed(
            f"payment declined{': ' + result.message if result.message else ''}; "
            "try again or take another payment",
            code="payment.declined",
        )

    def _retry_commit(self, sale: Sale) -> bool:
        """A sale fully paid but still tendering is one whose commit failed (disk full, read
        only): any further payment step retries that commit instead of refusing, so the clerk
        can finish it from whatever control they press once the disk is back."""
        if sale.state is not SaleState.TENDERING or not sale.fully_paid:
            return False
        self._complete(sale)
        return True

    @sale_action
    def complete(self) -> SaleSnapshot:
        """Commit a fully paid sale whose earlier commit failed (disk full, I/O error)."""
        sale = self._current("complete the sale")
        if not sale.fully_paid:
            raise IllegalStep("cannot complete: a balance is still due", code="sale.balance_due")
        self._complete(sale)
        return self.snapshot()

    def _complete(self, sale: Sale) -> SaleRecord:
        record = sale.build_record(
            terminal_id=self.settings.terminal_id,
            shift_id=sale.shift_id,
            staff_id=self.clerk_id,
            completed_at=self._now_iso(),
            training=self.training,
        )
        entry = self._post("sale.completed", record.to_payload(), series="receipt", what="the sale")
        final = sale.mark_completed(record, entry.number)
        self._sale = None
        self._done = sale
        problems = []
        try:
            self.printer.submit(
                receipts.sale_receipt(final, self.settings, clerk_name=self._name(self.clerk_id))
            )
        except Exception as e:  # the sale is stored; a printer problem is shown, not fatal
            problems.append(f"receipt not printed: {e}")
        if sale.has_cash() and not self.training:
            try:
                self.drawer.open()
            except Exception as e:  # same: reported on screen, the sale stands
                problems.append(f"drawer did not open: {e}")
            else:
                try:
                    self._post(
                        "drawer.opened",
                        {"reason": "sale", "sale_id": sale.sale_id},
                        what="the drawer opening",
                    )
                except JournalError as e:
                    problems.append(str(e))
        self._notice = "; ".join(problems)
        return final
