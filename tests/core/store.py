"""A small fixed store for core tests: a few items, both tax treatments, a session factory, and
the check every journaled sale must pass."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from terminal.core.barcodes import with_check_digit
from terminal.core.catalog import MemoryCatalog
from terminal.core.checkout import SaleSession
from terminal.core.clock import ManualClock
from terminal.core.records import Item, SaleRecord, TaxClass
from terminal.core.rights import Right, Verdict
from terminal.core.settings import StoreSettings

from .fakes import (
    FakeCard,
    FakeDrawer,
    FakeGate,
    FakeLedger,
    FakePayments,
    FakePrinter,
    full_rights,
)

COLA = with_check_digit("690123400001")
CHIPS = with_check_digit("690123400002")
MILK = with_check_digit("690123400003")
IMPORTED = with_check_digit("690123400004")
WECHAT_CODE = "134567890123456789"
ALIPAY_CODE = "2834567890123456"

TAXES = [
    TaxClass("standard", 1300, True, "VAT 13%"),
    TaxClass("reduced", 900, True, "VAT 9%"),
    TaxClass("excl", 1000, False, "Sales tax 10%"),
]

ITEMS = [
    Item("COLA", "Cola 330ml", "可乐", 350, (COLA,)),
    Item("CHIPS", "Potato chips", "薯片", 790, (CHIPS,)),
    Item("MILK", "Milk 1L", "牛奶", 1290, (MILK,), tax_class="reduced"),
    Item("IMP", "Imported tea", "进口茶", 1000, (IMPORTED,), tax_class="excl"),
    Item("APPLE", "Apples", "苹果", 1198, ("10001",), tax_class="reduced", unit="kg"),
    Item("CAKE", "Cake", "蛋糕", 0, ("10002",)),
    Item("MISC", "Miscellaneous", "杂项", 0, (), open_price=True),
]


@dataclass
class Rig:
    clock: ManualClock
    ledger: FakeLedger
    catalog: MemoryCatalog
    gate: FakeGate
    printer: FakePrinter
    drawer: FakeDrawer
    payments: FakePayments
    card: FakeCard
    settings: StoreSettings
    session: SaleSession
    extra: dict[str, Any] = field(default_factory=dict)


def rig(
    *,
    clerk: str = "alice",
    training: bool = False,
    grants: dict[str, Any] | None = None,
    open_shift: bool = True,
    **settings: Any,
) -> Rig:
    clock = ManualClock()
    ledger = FakeLedger(clock)
    catalog = MemoryCatalog(ITEMS, TAXES, ["COLA", "CHIPS"])
    gate = FakeGate(
        grants
        if grants is not None
        else {
            "alice": {
                **full_rights(SALE_MAX_AMOUNT=100_000, DISCOUNT=1000, PRICE_OVERRIDE=500),
                Right.VOID_SALE: (Verdict.APPROVAL, None),
                Right.REFUND_WITHOUT_RECEIPT: (Verdict.DENY, None),
            },
            "bob": full_rights(),
            "carol": {Right.TENDER_CASH: (Verdict.ALLOW, None)},
        }
    )
    st = StoreSettings(terminal_id="T1", **settings)
    printer, drawer, payments, card = FakePrinter(), FakeDrawer(), FakePayments(), FakeCard()
    if open_shift:
        ledger.post("shift.opened", {"shift_id": "S1", "opening_float": 20000}, staff_id=clerk)
    ids = iter(f"sale{n:04d}" for n in range(1, 10_000))
    session = SaleSession(
        catalog=catalog,
        ledger=ledger,
        printer=printer,
        drawer=drawer,
        payments=payments,
        card=card,
        clock=clock,
        gate=gate,
        settings=st,
        clerk_id=clerk,
        clerk_name=clerk.title(),
        training=training,
        new_id=lambda: next(ids),
    )
    return Rig(clock, ledger, catalog, gate, printer, drawer, payments, card, st, session)


def assert_consistent(rec: SaleRecord) -> None:
    assert rec.subtotal == sum(x.gross for x in rec.lines)
    assert rec.discount_total == sum(x.discount for x in rec.lines)
    assert rec.tax_total == sum(x.tax for x in rec.lines)
    for x in rec.lines:
        assert x.net == x.gross - x.discount
    excl = sum(x.tax for x in rec.lines if not x.tax_inclusive)
    assert rec.total == sum(x.net for x in rec.lines) + excl + rec.rounding
    assert sum(t.amount for t in rec.tenders) == rec.total
    assert rec == SaleRecord.from_payload(json.loads(json.dumps(rec.to_payload())))


def completed(r: Rig) -> SaleRecord:
    """The last completed sale as journaled, checked for consistency."""
    entry = r.ledger.of_kind("sale.completed")[-1]
    rec = SaleRecord.from_payload(entry.payload)
    assert_consistent(rec)
    return rec
