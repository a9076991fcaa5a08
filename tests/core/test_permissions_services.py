"""Rights held by the services themselves, with the UI bypassed: checkout, refunds and shifts
on a real SQLite ledger, asking the real permission gate built from the staff store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from terminal.core.approval import ApprovalRefused
from terminal.core.catalog import MemoryCatalog
from terminal.core.checkout import SaleSession
from terminal.core.clock import ManualClock
from terminal.core.records import Item
from terminal.core.refund import RefundService
from terminal.core.rights import Approval, ApprovalRequired, PermissionDenied, Right
from terminal.core.settings import StoreSettings
from terminal.core.shift import ShiftService
from terminal.core.staff_wiring import StaffServices, StaffSettings
from terminal.ledger.db import open_ledger
from terminal.ledger.ledger import SqliteLedger
from terminal.ledger.staff_store import open_staff

from .fakes import FakeCard, FakeDrawer, FakePayments, FakePrinter
from .staff_fakes import CARDS, FAST_SCRYPT, PINS, snapshot_parts
from .store import ITEMS, TAXES

TV = Item("TV", "Television", "电视", 150_000, ())
"""¥1,500.00: under a cashier's sale cap (¥5,000), over their refund cap (¥200)."""


@dataclass
class Counter:
    clock: ManualClock
    ledger: SqliteLedger
    staff: StaffServices
    catalog: MemoryCatalog
    settings: StoreSettings
    drawer: FakeDrawer

    def ports(self, clerk: str, training: bool) -> dict:
        return dict(
            ledger=self.ledger,
            printer=FakePrinter(),
            drawer=self.drawer,
            clock=self.clock,
            gate=self.staff.permissions,
            settings=self.settings,
            clerk_id=clerk,
            training=training,
        )

    def sale(self, clerk: str, training: bool = False) -> SaleSession:
        return SaleSession(
            catalog=self.catalog,
            payments=FakePayments(),
            card=FakeCard(),
            **self.ports(clerk, training),
        )

    def shifts(self, clerk: str, training: bool = False) -> ShiftService:
        return ShiftService(**self.ports(clerk, training))

    def refunds(self, clerk: str, training: bool = False) -> RefundService:
        return RefundService(
            payments=FakePayments(), catalog=self.catalog, **self.ports(clerk, training)
        )

    def approve(
        self,
        clerk: str,
        approver: str,
        right: Right,
        amount: int | None = None,
        reason: str = "damaged goods",
    ) -> Approval:
        return self.staff.approvals.approve(
            clerk_id=clerk,
            right=right,
            card=CARDS[approver],
            pin=PINS[approver],
            reason=reason,
            amount=amount,
        )


@pytest.fixture
def counter(tmp_path: Path) -> Iterator[Counter]:
    clock = ManualClock()
    ledger = open_ledger(tmp_path / "ledger.sqlite3", "T1", clock)
    staff = open_staff(ledger, clock, tmp_path / "card.key", StaffSettings(), scrypt=FAST_SCRYPT)
    staff.staff.apply_snapshot(1, *snapshot_parts())
    c = Counter(
        clock,
        ledger,
        staff,
        MemoryCatalog([*ITEMS, TV], TAXES, []),
        StoreSettings(terminal_id="T1"),
        FakeDrawer(),
    )
    c.shifts("cash1").open_shift(20_000)
    yield c
    ledger.close()


def sell_tv(c: Counter, clerk: str = "cash1", qty: int = 1) -> str:
    s = c.sale(clerk)
    s.add_sku("TV", qty_milli=qty * 1000)
    s.start_tender()
    snap = s.pay_cash(qty * TV.price)
    assert snap.state == "completed"
    return snap.sale_id


def test_refund_over_the_cap_needs_a_supervisors_card_and_pin(counter: Counter) -> None:
    c = counter
    sale_id = sell_tv(c)
    refunds = c.refunds("cash1")
    original = refunds.find(sale_id=sale_id)
    with pytest.raises(ApprovalRequired) as needed:
        refunds.refund(original, {1: 1000}, reason="damaged")
    assert needed.value.decision.limit == 20_000
    # A senior cashier's cap (¥1,000) does not cover ¥1,500: refused at the dialog, and an
    # Approval naming them is refused by the service too.
    with pytest.raises(ApprovalRefused):
        c.approve("cash1", "senior1", Right.REFUND_WITH_RECEIPT, 150_000)
    with pytest.raises(PermissionDenied):
        refunds.refund(
            original, {1: 1000}, reason="damaged", approval=Approval("senior1", "damaged goods")
        )
    approval = c.approve("cash1", "sup1", Right.REFUND_WITH_RECEIPT, 150_000)
    record = refunds.refund(original, {1: 1000}, reason="damaged", approval=approval)
    assert record.total == 150_000 and record.approver_id == "sup1"
    entries = c.ledger.entries(limit=10_000)
    refund_entry = next(e for e in entries if e.kind == "refund.completed")
    assert refund_entry.staff_id == "cash1"
    assert refund_entry.payload["approver_id"] == "sup1"
    granted = [e for e in entries if e.kind == "approval.granted"][-1]
    assert granted.staff_id == "cash1"
    assert (granted.payload["actor"], granted.payload["approver"]) == ("cash1", "sup1")
    assert granted.payload["reason"] == "damaged goods"
    verified = [e for e in entries if e.kind == "approval.verified"][-1]
    assert verified.payload["approver_id"] == "sup1"


def test_a_clerk_cannot_approve_their_own_refund(counter: Counter) -> None:
    sale_id = sell_tv(counter, "sup1")
    refunds = counter.refunds("cash1")
    with pytest.raises(PermissionDenied):
        refunds.refund(
            refunds.find(sale_id=sale_id),
            {1: 1000},
            reason="x",
            approval=Approval("cash1", "other"),
        )


def test_sale_cap_discount_void_and_price_override(counter: Counter) -> None:
    c = counter
    big = c.sale("cash1")
    big.add_sku("TV", qty_milli=4000)  # ¥6,000: over the cashier's ¥5,000 sale cap
    with pytest.raises(ApprovalRequired):
        big.start_tender()
    big.start_tender(approval=c.approve("cash1", "senior1", Right.SALE_MAX_AMOUNT, 600_000))
    assert big.pay_cash(600_000).state == "completed"

    s = c.sale("cash1")
    s.add_sku("TV")
    s.discount_line(1, percent_bp=500)  # 5 %: within the cashier's discount right
    with pytest.raises(ApprovalRequired):
        s.discount_line(1, percent_bp=1000)
    s.discount_line(
        1, percent_bp=1000, approval=c.approve("cash1", "senior1", Right.DISCOUNT, 1000)
    )
    with pytest.raises(ApprovalRequired):
        s.override_price(1, 140_000)
    with pytest.raises(ApprovalRequired):
        s.void_sale(reason="customer left")
    s.void_sale(
        reason="customer left",
        approval=c.approve("cash1", "senior1", Right.VOID_SALE, reason="customer changed mind"),
    )
    voided = [e for e in c.ledger.entries(limit=10_000) if e.kind == "sale.voided"][-1]
    assert voided.staff_id == "cash1" and voided.payload["approver_id"] == "senior1"


def test_drawer_reports_and_cash_moves(counter: Counter) -> None:
    c = counter
    cashier = c.shifts("cash1")
    with pytest.raises(ApprovalRequired):
        cashier.no_sale("change for the float")
    assert c.drawer.opens == 0
    approval = c.approve("cash1", "senior1", Right.NO_SALE, reason="change for the float")
    cashier.no_sale("change for the float", approval=approval)
    assert c.drawer.opens == 1
    with pytest.raises(ApprovalRequired):
        cashier.cash_out(5_000, "bank run")
    c.shifts("senior1").no_sale("change for the float")
    assert c.drawer.opens == 2
    cashier.x_report(print_it=False)
    c.shifts("sup1").close_shift(20_000)
    with pytest.raises(PermissionDenied):
        cashier.z_report(print_it=False)
    assert c.shifts("sup1").z_report(print_it=False).number == 1


def test_suspended_and_trainee_clerks_cannot_take_money(counter: Counter) -> None:
    c = counter
    c.staff.staff.suspend("cash2", by="mgr1")
    s = c.sale("cash2")
    s.add_sku("COLA")
    with pytest.raises(PermissionDenied):
        s.pay_cash(1000)
    t = c.sale("trainee1")
    t.add_sku("COLA")
    with pytest.raises(PermissionDenied):
        t.pay_cash(1000)
    practice = c.sale("trainee1", training=True)
    practice.add_sku("COLA")
    assert practice.pay_cash(1000).state == "completed"
    assert c.ledger.totals(since_last_z=True).sales_count == 0
    assert c.staff.training.checklist("trainee1").counts["sale"] == 1
