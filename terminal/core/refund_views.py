"""What the refund screen shows: the receipt found with what is left to refund on each line, and
the refund once it is done. Built from ``core/refund.py``'s records by the facade."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from terminal.core.errors import InvalidInput
from terminal.core.records import SaleRecord
from terminal.core.refund import RefundableSale


@dataclass(frozen=True, slots=True)
class TenderView:
    kind: str
    amount: int


@dataclass(frozen=True, slots=True)
class RefundLineView:
    line_no: int
    sku: str
    name: str
    name_zh: str
    unit: str
    qty_milli: int
    net: int
    refunded_milli: int
    remaining_milli: int


@dataclass(frozen=True, slots=True)
class ReceiptView:
    """A receipt found for a refund."""

    sale_id: str
    receipt_no: int | None
    total: int
    completed_at: str
    completed_local: str
    """``completed_at`` in the store's time zone, as the receipt printed it."""
    age_days: int
    tenders: tuple[TenderView, ...]
    lines: tuple[RefundLineView, ...]
    fully_refunded: bool

    @classmethod
    def of(cls, found: RefundableSale, completed_local: str) -> ReceiptView:
        r = found.record
        return cls(
            sale_id=r.sale_id, receipt_no=r.receipt_no, total=r.total,
            completed_at=r.completed_at, completed_local=completed_local,
            age_days=found.age_days,
            tenders=tuple(TenderView(t.kind, t.amount) for t in r.tenders),
            lines=tuple(RefundLineView(
                line_no=x.line.line_no, sku=x.line.sku, name=x.line.name,
                name_zh=x.line.name_zh, unit=x.line.unit, qty_milli=x.line.qty_milli,
                net=x.line.net, refunded_milli=x.refunded_milli,
                remaining_milli=x.remaining_milli) for x in found.lines),
            fully_refunded=found.fully_refunded,
        )

    def line(self, line_no: int) -> RefundLineView:
        for ln in self.lines:
            if ln.line_no == line_no:
                return ln
        raise InvalidInput(f"the sale has no line {line_no}", code="refund.unknown_line")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RefundDone:
    """A refund that was journaled (and paid back)."""

    sale_id: str
    receipt_no: int | None
    total: int
    approver_id: str | None
    reason: str
    original_sale_id: str | None
    tenders: tuple[TenderView, ...]
    notice: str
    """What did not go as planned (a provider refund to retry, a drawer that did not open)."""

    @classmethod
    def of(cls, record: SaleRecord, notice: str) -> RefundDone:
        return cls(sale_id=record.sale_id, receipt_no=record.receipt_no, total=record.total,
                   approver_id=record.approver_id, reason=record.reason,
                   original_sale_id=record.original_sale_id,
                   tenders=tuple(TenderView(t.kind, t.amount) for t in record.tenders),
                   notice=notice)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
