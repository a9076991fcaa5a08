"""Shifts: float, cash moves, no-sale, blind close with over/short, X and Z reports."""

from __future__ import annotations

import pytest

from terminal.core.errors import IllegalStep, InvalidInput, NotFound, ShiftError
from terminal.core.records import Row, Text
from terminal.core.rights import Approval, ApprovalRequired, PermissionDenied, Right, Verdict
from terminal.core.shift import ShiftService

from .store import CHIPS, COLA, WECHAT_CODE, Rig, rig


def service(r: Rig, clerk: str = "alice", **kw) -> ShiftService:
    ids = iter(f"shift{n}" for n in range(1, 100))
    return ShiftService(
        ledger=r.ledger,
        printer=r.printer,
        drawer=r.drawer,
        clock=r.clock,
        gate=r.gate,
        settings=r.settings,
        clerk_id=clerk,
        clerk_name="Alice",
        new_id=lambda: next(ids),
        **kw,
    )


def test_open_sell_move_cash_close_blind_and_z() -> None:
    r = rig(open_shift=False, language="en")
    svc = service(r)
    shift_id = svc.open_shift(20_000)
    assert r.ledger.current_shift()["shift_id"] == shift_id
    with pytest.raises(IllegalStep):
        svc.open_shift(100)
    r.session.add_barcode(COLA)
    r.session.pay_cash(1000)  # 3.50 cash
    r.session.add_barcode(CHIPS)
    r.session.pay_qr(WECHAT_CODE)  # 7.90 QR
    svc.cash_in(5_000, "change from bank")
    svc.cash_out(2_000, "bought milk for the office")
    svc.no_sale("change for a 100 note")
    assert r.drawer.opens == 1 + 3
    no_sale = [e for e in r.ledger.of_kind("drawer.opened") if e.payload["reason"] == "no_sale"]
    assert no_sale[0].payload["note"] == "change for a 100 note"

    x = svc.x_report()
    assert x.totals.sales_count == 2 and x.totals.by_tender == {"cash": 350, "qr": 790}
    assert x.totals.expected_cash == 20_000 + 350 + 5_000 - 2_000
    assert r.ledger.journal[-1].kind == "report.printed"

    with pytest.raises(IllegalStep):
        svc.z_report()  # the shift is still open
    result = svc.close_shift(23_300)
    assert (result.expected, result.counted, result.over_short) == (23_350, 23_300, -50)
    closed = r.ledger.of_kind("shift.closed")[-1].payload
    assert closed["over_short"] == -50 and closed["totals"]["sales_count"] == 2
    assert r.ledger.current_shift() is None
    with pytest.raises(ShiftError):
        svc.close_shift(0)

    z = svc.z_report()
    assert z.number == 1 and z.totals.net_sales == 1140
    entry = r.ledger.of_kind("report.z")[-1]
    assert entry.series == "z" and entry.payload["from_seq"] == 1
    assert entry.payload["to_seq"] == entry.seq - 1
    assert Text("Z REPORT #1", align="center", bold=True, size=2) in z.doc.blocks
    assert not any(isinstance(b, Text) and b.text == "DUPLICATE" for b in z.doc.blocks)

    # A second Z covers only what came after the first.
    svc.open_shift(0)
    r.session.add_barcode(COLA)
    r.session.pay_cash(350)
    svc.close_shift(350)
    z2 = svc.z_report()
    assert z2.number == 2 and z2.totals.sales_count == 1 and z2.totals.net_sales == 350

    dup = svc.reprint_z(1)
    assert dup.duplicate and dup.totals.net_sales == 1140
    assert Text("DUPLICATE", align="center", bold=True, size=2) in dup.doc.blocks
    assert dup.doc.key.startswith("z:1:dup")
    assert r.ledger.journal[-1].payload == {"report": "z", "number": 1, "duplicate": True}
    with pytest.raises(NotFound):
        svc.reprint_z(9)


def test_rights_on_shift_actions() -> None:
    r = rig()
    r.gate.grants["alice"][Right.NO_SALE] = (Verdict.APPROVAL, None)
    r.gate.grants["alice"][Right.CASH_MOVE] = (Verdict.ALLOW, 10_000)
    r.gate.grants["alice"][Right.REPORT_Z] = (Verdict.DENY, None)
    svc = service(r)
    with pytest.raises(ApprovalRequired):
        svc.no_sale("change")
    assert r.drawer.opens == 0
    svc.no_sale("change", approval=Approval("bob", "change for customer"))
    opened = r.ledger.of_kind("drawer.opened")[-1].payload
    assert opened["approver_id"] == "bob" and opened["reason"] == "no_sale"
    with pytest.raises(ApprovalRequired):
        svc.cash_out(20_000, "bank deposit")
    svc.cash_out(20_000, "bank deposit", approval=Approval("bob", "deposit"))
    assert r.ledger.of_kind("shift.cash_out")[-1].payload["approver_id"] == "bob"
    svc.close_shift(0)
    with pytest.raises(PermissionDenied):
        svc.z_report()
    assert r.ledger.of_kind("permission.denied")[-1].payload["right"] == "report.z"


def test_bad_input_is_refused() -> None:
    r = rig()
    svc = service(r)
    with pytest.raises(InvalidInput):
        svc.cash_in(0, "x")
    with pytest.raises(InvalidInput):
        svc.cash_in(100, "  ")
    with pytest.raises(InvalidInput):
        svc.no_sale("")
    with pytest.raises(InvalidInput):
        svc.close_shift(-1)


def test_training_never_opens_the_drawer() -> None:
    r = rig()
    svc = service(r, training=True)
    svc.no_sale("practice")
    assert r.drawer.opens == 0
    assert r.ledger.journal[-1].training


def test_x_report_print_shows_expected_cash() -> None:
    x = service(rig(language="en")).x_report()
    assert Row("Expected cash", "CNY 200.00", True) in x.doc.blocks
    x = service(rig()).x_report()
    assert Row("应有现金", "¥200.00", True) in x.doc.blocks
