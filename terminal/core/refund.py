"""Refunds: found by the receipt's QR code or number, line by line, never more than was paid
minus what was already refunded, and paid back the way the customer paid.

Amounts of a partial refund are cut from the original line cumulatively: the first k units of a
line are worth round(net * k / qty), so refunding a line in several steps adds up exactly to its
net and never a cent more.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from terminal.core import receipt as receipts
from terminal.core.cart import tax_of
from terminal.core.errors import (
    IllegalStep,
    InvalidInput,
    JournalError,
    NotFound,
    PaymentFailed,
    RefundError,
)
from terminal.core.guard import ClerkActions, post_or_fail
from terminal.core.money import allocate, div_round, format_qty, mul_qty
from terminal.core.ports import (
    CashDrawer,
    Catalog,
    Clock,
    Ledger,
    PaymentOutcome,
    PaymentProvider,
    PaymentResult,
    ReceiptPrinter,
)
from terminal.core.records import SaleLine, SaleRecord, TenderRecord
from terminal.core.rights import (
    Approval,
    ApprovalRequired,
    Decision,
    Gate,
    PermissionDenied,
    Right,
    Verdict,
)
from terminal.core.settings import StoreSettings
from terminal.core.tenders import CASH, QR

QR_PREFIX = "POS1:"


def parse_receipt_qr(text: str) -> tuple[str, str]:
    """``"POS1:<terminal_id>:<sale_id>"`` -> ``(terminal_id, sale_id)``."""
    raw = text.strip()
    if not raw.startswith(QR_PREFIX):
        raise InvalidInput(f"{raw[:30]!r} is not a receipt code", code="refund.not_receipt_qr")
    parts = raw[len(QR_PREFIX) :].split(":")
    if len(parts) != 2 or not all(parts):
        raise InvalidInput(
            f"receipt code {raw!r} is damaged; type the receipt number",
            code="refund.bad_receipt_qr",
        )
    return parts[0], parts[1]


@dataclass(frozen=True, slots=True)
class RefundableLine:
    line: SaleLine
    refunded_milli: int

    @property
    def remaining_milli(self) -> int:
        return self.line.qty_milli - self.refunded_milli


@dataclass(frozen=True, slots=True)
class RefundableSale:
    record: SaleRecord
    lines: tuple[RefundableLine, ...]
    age_days: int

    def line(self, line_no: int) -> RefundableLine:
        for ln in self.lines:
            if ln.line.line_no == line_no:
                return ln
        raise InvalidInput(f"the sale has no line {line_no}", code="refund.unknown_line")

    @property
    def fully_refunded(self) -> bool:
        return all(ln.remaining_milli <= 0 for ln in self.lines)


def _cum(value: int, part: int, whole: int) -> int:
    return div_round(value * part, whole)


def _contribution(line: SaleLine, upto: int) -> tuple[int, int, int]:
    """(gross, net, tax) of the first ``upto`` thousandths of ``line``."""
    q = line.qty_milli
    return _cum(line.gross, upto, q), _cum(line.net, upto, q), _cum(line.tax, upto, q)


def refund_lines(
    original: RefundableSale, qty_by_line: Mapping[int, int]
) -> tuple[tuple[SaleLine, ...], int, int]:
    """The refund's lines, their raw total (nets plus exclusive tax) and the total of earlier
    refunds of this sale, computed cumulatively."""
    if not qty_by_line:
        raise InvalidInput("choose at least one line to refund", code="refund.nothing")
    out = []
    raw = 0
    for line_no, qty in sorted(qty_by_line.items()):
        rl = original.line(line_no)
        if not isinstance(qty, int) or qty <= 0:
            raise InvalidInput(
                f"line {line_no}: refund quantity must be more than zero", code="refund.qty"
            )
        if qty > rl.remaining_milli:
            raise RefundError(
                f"line {line_no} ({rl.line.name}): only "
                f"{format_qty(rl.remaining_milli, rl.line.unit)} left to refund",
                code="refund.over_quantity",
            )
        if rl.line.unit != "kg" and qty % 1000:
            raise InvalidInput(
                f"line {line_no}: {rl.line.name} is refunded in whole pieces", code="refund.qty"
            )
        g0, n0, t0 = _contribution(rl.line, rl.refunded_milli)
        g1, n1, t1 = _contribution(rl.line, rl.refunded_milli + qty)
        gross, net, tax = g1 - g0, n1 - n0, t1 - t0
        line = SaleLine(
            line_no=rl.line.line_no,
            sku=rl.line.sku,
            name=rl.line.name,
            name_zh=rl.line.name_zh,
            qty_milli=qty,
            unit=rl.line.unit,
            unit_price=rl.line.unit_price,
            gross=gross,
            discount=gross - net,
            net=net,
            tax_class=rl.line.tax_class,
            tax_rate_bp=rl.line.tax_rate_bp,
            tax_inclusive=rl.line.tax_inclusive,
            tax=tax,
            barcode=rl.line.barcode,
            price_source=rl.line.price_source,
            approver_id=rl.line.approver_id,
        )
        out.append(line)
        raw += net + (0 if line.tax_inclusive else tax)
    before = 0
    for rl in original.lines:
        _, n, t = _contribution(rl.line, rl.refunded_milli)
        before += n + (0 if rl.line.tax_inclusive else t)
    return tuple(out), raw, before


class RefundService(ClerkActions):
    """Refunds for one clerk. Constructed like ``SaleSession`` (the composition root shares the
    ports); ``catalog`` is only needed for refunds without a receipt."""

    def __init__(
        self,
        *,
        ledger: Ledger,
        printer: ReceiptPrinter,
        drawer: CashDrawer,
        payments: PaymentProvider,
        clock: Clock,
        gate: Gate,
        settings: StoreSettings,
        clerk_id: str,
        training: bool = False,
        clerk_name: str = "",
        catalog: Catalog | None = None,
        new_id: Callable[[], str] | None = None,
        staff_name: Callable[[str], str] | None = None,
    ) -> None:
        self.ledger = ledger
        self.printer = printer
        self.drawer = drawer
        self.payments = payments
        self.clock = clock
        self.gate = gate
        self.settings = settings
        self.clerk_id = clerk_id
        self.training = training
        self.clerk_name = clerk_name
        self.catalog = catalog
        self._staff_name = staff_name
        self._new_id = new_id or (lambda: uuid.uuid4().hex)
        self.pending: SaleRecord | None = None
        """A refund paid back but not yet journaled (the ledger failed); ``retry`` saves it."""
        self.notice = ""

    # -- finding the sale ------------------------------------------------------------------

    def find(
        self, *, receipt_no: int | None = None, sale_id: str | None = None, qr: str | None = None
    ) -> RefundableSale:
        if qr is not None:
            terminal_id, sale_id = parse_receipt_qr(qr)
            if terminal_id != self.settings.terminal_id:
                raise RefundError(
                    f"this receipt is from terminal {terminal_id}; refund it there",
                    code="refund.other_terminal",
                )
        if receipt_no is None and not sale_id:
            raise InvalidInput("scan the receipt or type its number", code="refund.no_receipt")
        if sale_id:
            record = self.ledger.find_sale(sale_id=sale_id)
        else:
            record = self.ledger.find_sale(receipt_no=receipt_no, training=self.training)
        if record is None or record.kind != "sale":
            what = f"receipt {receipt_no}" if receipt_no is not None else f"sale {sale_id}"
            raise NotFound(f"{what} is not on this terminal", code="refund.not_found")
        if record.training != self.training:
            raise RefundError(
                "a training sale can only be refunded in training mode, and a real sale only "
                "outside it",
                code="refund.training_mismatch",
            )
        refunded = self.ledger.refunded_milli(record.sale_id)
        age = self.clock.now() - datetime.fromisoformat(record.completed_at)
        return RefundableSale(
            record=record,
            lines=tuple(RefundableLine(x, refunded.get(x.line_no, 0)) for x in record.lines),
            age_days=max(age.days, 0),
        )

    # -- refunding -------------------------------------------------------------------------

    def _check_age(
        self, original: RefundableSale, approval: Approval | None, subject: dict[str, object]
    ) -> str | None:
        """The store's hard age limit, then the clerk's own (through the gate's
        ``check_limit`` when it has one). Returns the approver when the age needed one."""
        age = original.age_days
        right = Right.REFUND_WITH_RECEIPT
        if age > self.settings.refund_max_age_days:
            decision = Decision(
                Verdict.DENY,
                right,
                f"receipt is {age} days old; this store refunds up to "
                f"{self.settings.refund_max_age_days} days",
            )
            self.guard.post_decision(
                "permission.denied", right, age, None, decision.reason, subject
            )
            raise PermissionDenied(decision)
        check_limit = getattr(self.gate, "check_limit", None)
        if check_limit is None:
            return None
        mine = check_limit(self.clerk_id, right, "max_age_days", age, training=self.training)
        if mine.verdict is Verdict.ALLOW:
            return None
        if mine.verdict is Verdict.DENY:
            raise PermissionDenied(mine)
        if approval is None:
            raise ApprovalRequired(mine)
        approver = approval.approver_id
        theirs = check_limit(approver, right, "max_age_days", age, training=False)
        if approver == self.clerk_id or theirs.verdict is not Verdict.ALLOW:
            reason = f"approval refused: {theirs.reason or 'the approver may not approve this'}"
            self.guard.post_decision("permission.denied", right, age, approver, reason, subject)
            raise PermissionDenied(Decision(Verdict.DENY, right, reason))
        self.guard.post_decision(
            "approval.granted",
            right,
            age,
            approver,
            approval.reason,
            {**subject, "limit": "max_age_days"},
        )
        return approver

    def refund(
        self,
        original: RefundableSale,
        qty_by_line: Mapping[int, int],
        *,
        reason: str,
        approval: Approval | None = None,
    ) -> SaleRecord:
        """Refund ``qty_by_line`` (original line number -> thousandths) of ``original``."""
        if self.pending is not None:
            raise IllegalStep(
                "an earlier refund is not saved yet: retry it first", code="refund.pending"
            )
        if not reason.strip():
            raise InvalidInput("give a reason for the refund", code="refund.reason")
        # Re-read what was already refunded: ``original`` may be stale.
        fresh = self.find(sale_id=original.record.sale_id)
        lines, raw, before = refund_lines(fresh, qty_by_line)
        paid = fresh.record.total
        total = min(before + raw, paid) - min(before, paid)
        if total <= 0:
            raise RefundError(
                "everything paid on this sale was already refunded", code="refund.nothing_left"
            )
        subject = {"original_sale_id": fresh.record.sale_id, "total": total}
        age_approver = self._check_age(fresh, approval, subject)
        approver = self.guard.require(
            Right.REFUND_WITH_RECEIPT, amount=total, approval=approval, subject=subject
        )
        approver = approver or age_approver
        tenders = self._tenders_back(fresh.record, total)
        record = self._record(
            lines, tenders, total, total - raw, reason, approver, fresh.record.sale_id
        )
        return self._pay_and_commit(record)

    def blind_refund(
        self,
        items: Sequence[tuple[str, int, int | None]],
        *,
        reason: str,
        approval: Approval | None = None,
    ) -> SaleRecord:
        """A refund without a receipt: ``(sku, qty_milli, unit_price or None for the catalog
        price)`` per item, paid back in cash."""
        if self.catalog is None:
            raise IllegalStep("refunds without a receipt need the catalog", code="refund.setup")
        if not reason.strip():
            raise InvalidInput("give a reason for the refund", code="refund.reason")
        if not items:
            raise InvalidInput("choose at least one item to refund", code="refund.nothing")
        lines = []
        for n, (sku, qty, price) in enumerate(items, start=1):
            item = self.catalog.by_sku(sku)
            if item is None:
                raise NotFound(f"no item with SKU {sku}", code="catalog.not_found")
            if qty <= 0 or (item.unit != "kg" and qty % 1000):
                raise InvalidInput(f"{item.name}: bad quantity", code="refund.qty")
            unit_price = item.price if price is None else price
            if unit_price <= 0:
                raise InvalidInput(f"{item.name}: enter the price paid", code="price.range")
            tax = self.catalog.tax_class(item.tax_class)
            gross = mul_qty(unit_price, qty)
            lines.append(
                SaleLine(
                    line_no=n,
                    sku=item.sku,
                    name=item.name,
                    name_zh=item.name_zh,
                    qty_milli=qty,
                    unit=item.unit,
                    unit_price=unit_price,
                    gross=gross,
                    discount=0,
                    net=gross,
                    tax_class=tax.code,
                    tax_rate_bp=tax.rate_bp,
                    tax_inclusive=tax.inclusive,
                    tax=tax_of(gross, tax),
                    price_source="catalog" if price is None else "override",
                )
            )
        total = sum(x.net + (0 if x.tax_inclusive else x.tax) for x in lines)
        approver = self.guard.require(
            Right.REFUND_WITHOUT_RECEIPT, amount=total, approval=approval, subject={"total": total}
        )
        tenders = (TenderRecord(kind=CASH, amount=total, tendered=total),)
        record = self._record(tuple(lines), tenders, total, 0, reason, approver, None)
        return self._pay_and_commit(record)

    def _tenders_back(self, original: SaleRecord, total: int) -> tuple[TenderRecord, ...]:
        """Split the refund over the original tenders in proportion to what each paid; card
        and QR parts go back to their own reference, cash parts as cash."""
        paid = [t for t in original.tenders if t.amount > 0]
        shares = allocate(total, [t.amount for t in paid])
        out: list[TenderRecord] = []
        cash = 0
        for t, share in zip(paid, shares, strict=True):
            if share <= 0:
                continue
            if t.kind == CASH:
                cash += share
            else:
                out.append(
                    TenderRecord(
                        kind=t.kind,
                        amount=share,
                        tendered=share,
                        reference=t.reference,
                        provider=t.provider,
                    )
                )
        if cash:
            out.insert(0, TenderRecord(kind=CASH, amount=cash, tendered=cash))
        return tuple(out)

    def _record(
        self,
        lines: tuple[SaleLine, ...],
        tenders: tuple[TenderRecord, ...],
        total: int,
        rounding: int,
        reason: str,
        approver: str | None,
        original_sale_id: str | None,
    ) -> SaleRecord:
        shift = None if self.training else self.ledger.current_shift()
        if shift is None and self.settings.require_open_shift and not self.training:
            raise IllegalStep("open a shift before refunding", code="shift.not_open")
        now = self.clock.now().isoformat()
        return SaleRecord(
            sale_id=self._new_id(),
            terminal_id=self.settings.terminal_id,
            shift_id=str(shift["shift_id"]) if shift else None,
            staff_id=self.clerk_id,
            currency=self.settings.currency,
            started_at=now,
            completed_at=now,
            lines=lines,
            tenders=tenders,
            subtotal=sum(x.gross for x in lines),
            discount_total=sum(x.discount for x in lines),
            tax_total=sum(x.tax for x in lines),
            total=total,
            rounding=rounding,
            training=self.training,
            kind="refund",
            original_sale_id=original_sale_id,
            approver_id=approver,
            reason=reason.strip(),
        )

    def _pay_and_commit(self, record: SaleRecord) -> SaleRecord:
        paid_back = []
        for tender in record.tenders:
            if tender.kind == QR:
                result = self._refund_qr(record, tender)
                paid_back.append(
                    TenderRecord(
                        kind=QR,
                        amount=tender.amount,
                        tendered=tender.amount,
                        reference=tender.reference,
                        provider=result.provider or tender.provider,
                    )
                )
            else:
                # Cash comes out of the drawer; a card refund is keyed on the card terminal
                # against the recorded approval reference.
                paid_back.append(tender)
        record = replace(record, tenders=tuple(paid_back))
        self.pending = record
        return self.retry()

    def _refund_qr(self, record: SaleRecord, tender: TenderRecord) -> PaymentResult:
        try:
            result = self.payments.refund(record.sale_id, tender.reference, tender.amount)
        except (TimeoutError, OSError) as e:
            result = PaymentResult(PaymentOutcome.TIMEOUT, message=str(e))
        if result.outcome is not PaymentOutcome.APPROVED:
            post_or_fail(
                self.ledger,
                "payment.declined",
                {
                    "sale_id": record.sale_id,
                    "kind": QR,
                    "amount": tender.amount,
                    "reference": tender.reference,
                    "message": result.message or "refund failed",
                    "outcome": result.outcome.value,
                },
                staff_id=self.clerk_id,
                training=self.training,
                what="the failed refund",
            )
            raise PaymentFailed(
                f"the payment provider did not refund ({result.message or result.outcome.value}"
                "); nothing was refunded, try again",
                code=f"refund.{result.outcome.value}",
            )
        return result

    def retry(self) -> SaleRecord:
        """Journal the pending refund (after a ledger failure), then print and open the drawer."""
        record = self.pending
        if record is None:
            raise IllegalStep("no refund is waiting to be saved", code="refund.none_pending")
        entry = post_or_fail(
            self.ledger,
            "refund.completed",
            record.to_payload(),
            staff_id=self.clerk_id,
            series="receipt",
            training=self.training,
            what="the refund",
        )
        self.pending = None
        final = replace(record, receipt_no=entry.number)
        problems = []
        try:
            approver = final.approver_id
            self.printer.submit(
                receipts.sale_receipt(
                    final,
                    self.settings,
                    clerk_name=self.clerk_name,
                    approver_name=self._staff_name(approver)
                    if approver and self._staff_name
                    else "",
                )
            )
        except Exception as e:  # the refund is stored; printing trouble is reported
            problems.append(f"receipt not printed: {e}")
        if any(t.kind == CASH for t in final.tenders) and not self.training:
            try:
                self.drawer.open()
                post_or_fail(
                    self.ledger,
                    "drawer.opened",
                    {"reason": "refund", "sale_id": final.sale_id},
                    staff_id=self.clerk_id,
                    training=self.training,
                    what="the drawer",
                )
            except (OSError, JournalError) as e:
                problems.append(f"drawer: {e}")
        self.notice = "; ".join(problems)
        return final
