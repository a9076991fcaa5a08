"""Consistent sale records for ledger tests (and the crash worker, which imports this file by
path): amounts add up the way core computes them, so projections and totals can be checked
against hand arithmetic."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from terminal.core.records import JournalEntry, SaleLine, SaleRecord, TenderRecord

TS = "2026-01-05T02:00:00.000000+00:00"


def line(
    line_no: int, sku: str = "A1", qty_milli: int = 1000, unit_price: int = 350, discount: int = 0
) -> SaleLine:
    gross = (qty_milli * unit_price + 500) // 1000
    net = gross - discount
    return SaleLine(
        line_no=line_no,
        sku=sku,
        name=f"Item {sku}",
        name_zh=f"商品{sku}",
        qty_milli=qty_milli,
        unit="each",
        unit_price=unit_price,
        gross=gross,
        discount=discount,
        net=net,
        tax_class="standard",
        tax_rate_bp=1300,
        tax_inclusive=True,
        tax=(net * 1300 + 5650) // 11300,
        barcode="",
    )


def sale(
    lines: Sequence[SaleLine] | int = 3,
    *,
    sale_id: str | None = None,
    shift_id: str | None = None,
    staff_id: str = "u1",
    terminal_id: str = "T01",
    training: bool = False,
    kind: str = "sale",
    original_sale_id: str | None = None,
    tenders: Sequence[tuple[str, int]] | None = None,
) -> SaleRecord:
    """``lines`` is a list of lines or a count of 1-piece lines of SKUs A1, A2, ..."""
    if isinstance(lines, int):
        lines = [line(i + 1, sku=f"A{i + 1}", unit_price=100 * (i + 1)) for i in range(lines)]
    total = sum(x.net for x in lines)
    if tenders is None:
        tenders = [("cash", total)]
    return SaleRecord(
        sale_id=sale_id or uuid.uuid4().hex,
        terminal_id=terminal_id,
        shift_id=shift_id,
        staff_id=staff_id,
        currency="CNY",
        started_at=TS,
        completed_at=TS,
        lines=tuple(lines),
        tenders=tuple(
            TenderRecord(kind=k, amount=a, tendered=a, reference="" if k == "cash" else "R1")
            for k, a in tenders
        ),
        subtotal=sum(x.gross for x in lines),
        discount_total=sum(x.discount for x in lines),
        tax_total=sum(x.tax for x in lines),
        total=total,
        training=training,
        kind=kind,
        original_sale_id=original_sale_id,
    )


def post_sale(ledger: Any, record: SaleRecord) -> JournalEntry:
    kind = "sale.completed" if record.kind == "sale" else "refund.completed"
    return ledger.post(
        kind,
        record.to_payload(),
        staff_id=record.staff_id,
        series="receipt",
        training=record.training,
    )
