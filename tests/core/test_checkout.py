"""SaleSession end to end on fakes: whole sales, scans routed by kind, voiding, suspending
and recalling, clerks, receipts, and what it leaves in the journal."""

from __future__ import annotations

import json

import pytest

from terminal.core.checkout import SaleSession
from terminal.core.errors import IllegalStep, InvalidInput, NotFound, PaymentFailed
from terminal.core.ports import PaymentOutcome
from terminal.core.records import QR, SaleRecord, Text
from terminal.core.rights import Approval, ApprovalRequired

from .store import ALIPAY_CODE, CHIPS, COLA, MILK, WECHAT_CODE, completed, rig


def test_cash_sale_commits_prints_and_opens_drawer() -> None:
    r = rig()
    s = r.session
    s.add_barcode(COLA)
    s.add_barcode(CHIPS)
    snap = s.start_tender()
    assert snap.state == "tendering"
    assert snap.total == 350 + 790
    snap = s.pay_cash(2000)
    assert snap.state == "completed"
    assert snap.change == 2000 - 1140
    assert snap.receipt_no == 1
    rec = completed(r)
    assert rec.staff_id == "alice" and rec.shift_id == "S1" and rec.terminal_id == "T1"
    assert [t.kind for t in rec.tenders] == ["cash"]
    assert rec.tenders[0].tendered == 2000 and rec.tenders[0].change == 860
    entry = r.ledger.of_kind("sale.completed")[-1]
    assert entry.series == "receipt" and entry.staff_id == "alice" and not entry.training
    assert r.drawer.opens == 1
    assert r.ledger.kinds()[-1] == "drawer.opened"
    assert r.ledger.journal[-1].payload == {"reason": "sale", "sale_id": rec.sale_id}
    doc = r.printer.docs[-1]
    assert doc.key == "receipt:1"
    assert QR(f"POS1:T1:{rec.sale_id}") in doc.blocks
    # The next scan starts a fresh sale.
    snap = s.add_barcode(COLA)
    assert snap.sale_id != rec.sale_id and snap.state == "open" and len(snap.lines) == 1


def test_illegal_steps() -> None:
    r = rig()
    s = r.session
    with pytest.raises(IllegalStep) as e:
        s.start_tender()
    assert e.value.code == "sale.idle"
    with pytest.raises(IllegalStep):
        s.pay_cash(100)
    s.add_barcode(COLA)
    with pytest.raises(IllegalStep) as e:
        s.complete()
    assert e.value.code == "sale.balance_due"
    snap = s.void_line(1)
    with pytest.raises(IllegalStep) as e:
        s.start_tender()
    assert e.value.code == "sale.empty"
    s.add_barcode(CHIPS)
    s.start_tender()
    s.pay_cash(500)
    with pytest.raises(IllegalStep) as e:
        s.void_line(2)
    assert e.value.code == "sale.payment_taken"
    with pytest.raises(IllegalStep):
        s.back_to_cart()
    with pytest.raises(IllegalStep):
        s.suspend()
    with pytest.raises(IllegalStep):
        s.new_sale()
    snap = s.snapshot()
    assert snap.last_error.code == "sale.open"
    assert snap.balance_due == 290


def test_void_sale_needs_approval_and_cancels_mobile_payments() -> None:
    r = rig()
    s = r.session
    s.add_barcode(MILK)
    s.start_tender()
    s.pay_qr(WECHAT_CODE, 500)
    with pytest.raises(ApprovalRequired):
        s.void_sale(reason="customer left")
    snap = s.void_sale(reason="customer left", approval=Approval("bob", "customer left"))
    assert snap.state == "idle"
    assert r.payments.cancels == [("sale0001", "QR000001")]
    rev = r.ledger.of_kind("payment.reversed")[-1].payload
    assert rev["kind"] == "qr" and rev["amount"] == 500
    voided = r.ledger.of_kind("sale.voided")[-1].payload
    assert voided["approver_id"] == "bob" and voided["total"] == 1290
    assert voided["lines"][0]["sku"] == "MILK"


def test_void_sale_with_card_payment_reverses_it_with_the_card_terminal() -> None:
    r = rig()
    r.session.add_barcode(MILK)
    r.session.start_tender()
    r.session.pay_card(500)
    snap = r.session.void_sale(reason="customer left", approval=Approval("bob", "x"))
    assert snap.state == "idle"
    assert r.card.reversals == [("sale0001", "AUTH0001", 500)]
    kinds = r.ledger.kinds()
    assert kinds.index("payment.authorised") < kinds.index("payment.reversed")
    assert kinds.index("payment.reversed") < kinds.index("sale.voided")
    assert r.ledger.pending_sales() == []


def test_void_sale_refused_by_the_card_terminal_keeps_the_payment() -> None:
    r = rig()
    r.session.add_barcode(MILK)
    r.session.start_tender()
    r.session.pay_card(500)
    r.card.reverse_outcome = PaymentOutcome.DECLINED
    with pytest.raises(PaymentFailed) as e:
        r.session.void_sale(approval=Approval("bob", "x"))
    assert e.value.code == "payment.reverse_failed"
    assert "payment.reversed" not in r.ledger.kinds()
    assert r.session.snapshot().paid == 500
    [pending] = r.ledger.pending_sales()
    assert [t.reference for t in pending.payments] == ["AUTH0001"]


def test_suspend_and_recall() -> None:
    r = rig()
    s = r.session
    s.add_barcode(COLA)
    s.add_barcode(CHIPS)
    snap = s.suspend()
    assert snap.state == "idle" and [x.sale_id for x in snap.suspended] == ["sale0001"]
    assert snap.suspended[0].total == 1140
    s.add_barcode(MILK)
    with pytest.raises(IllegalStep):
        s.recall("sale0001")
    s.pay_cash(1290)
    with pytest.raises(NotFound):
        s.recall("nope")
    snap = s.recall("sale0001")
    assert snap.state == "open" and snap.sale_id == "sale0001" and len(snap.lines) == 2
    assert snap.suspended == ()
    kinds = r.ledger.kinds()
    assert kinds.index("sale.suspended") < kinds.index("sale.recalled")
    assert len(r.ledger.of_kind("sale.recalled")[0].payload["lines"]) == 2
    assert s.pay_cash(2000).receipt_no == 2


def test_training_sale_never_opens_drawer_and_is_marked() -> None:
    r = rig(training=True, open_shift=False)
    s = r.session
    s.add_barcode(COLA)
    snap = s.pay_cash(500)
    assert snap.training and snap.state == "completed"
    entry = r.ledger.of_kind("sale.completed")[-1]
    assert entry.training and SaleRecord.from_payload(entry.payload).training
    assert r.drawer.opens == 0
    doc = r.printer.docs[-1]
    assert doc.blocks[0] == Text("TRAINING - NOT A RECEIPT", align="center", bold=True, size=2)
    assert all(c[3] for c in r.gate.calls)  # every check said training


def test_selling_needs_an_open_shift() -> None:
    r = rig(open_shift=False)
    with pytest.raises(IllegalStep) as e:
        r.session.add_barcode(COLA)
    assert e.value.code == "shift.not_open"
    assert r.session.snapshot().state == "idle"


def test_handle_read_routes_by_kind() -> None:
    r = rig()
    s = r.session
    assert s.handle_read(COLA + "\r\n").action == "added"
    assert s.handle_read("STF0042").action == "none"
    assert s.handle_read("POS1:T1:abc").read.value == "T1:abc"
    out = s.handle_read(WECHAT_CODE)
    assert out.action == "paid"
    assert s.snapshot().state == "completed"
    with pytest.raises(InvalidInput) as e:
        s.handle_read("hello")
    assert e.value.code == "scan.unknown"
    with pytest.raises(IllegalStep):
        s.handle_read(WECHAT_CODE)  # nothing to pay


def test_printer_failure_does_not_undo_the_sale() -> None:
    r = rig()
    r.printer.broken = OSError("paper out")
    r.session.add_barcode(COLA)
    snap = r.session.pay_cash(350)
    assert snap.state == "completed" and "paper out" in snap.notice
    assert r.ledger.of_kind("sale.completed")


def test_reprint_says_duplicate() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    r.session.pay_cash(350)
    r.session.reprint_last()
    doc = r.printer.docs[-1]
    assert doc.key.startswith("receipt:1:dup") and doc.key != "receipt:1"
    assert Text("DUPLICATE", align="center", bold=True, size=2) in doc.blocks


def test_snapshot_to_dict_is_json() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    with pytest.raises(ApprovalRequired):
        r.session.discount_sale(percent_bp=5000)
    d = r.session.snapshot().to_dict()
    text = json.dumps(d, ensure_ascii=False)
    assert '"display_name": "可乐"' in text
    assert d["last_error"]["needs_approval"] is True
    assert d["last_error"]["right"] == "sale.discount"


def test_switch_clerk_keeps_the_sale() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    snap = r.session.switch_clerk("bob", clerk_name="Bob")
    assert snap.clerk_id == "bob" and len(snap.lines) == 1
    with pytest.raises(IllegalStep):
        r.session.switch_clerk("bob", training=True)
    r.session.pay_cash(350)
    assert completed(r).staff_id == "bob"


def test_suspended_sales_survive_a_restart() -> None:
    r = rig()
    s = r.session
    s.add_barcode(COLA)
    s.add_barcode(CHIPS)
    s.discount_line(2, percent_bp=1000)
    s.void_line(1, reason="wrong flavour")
    s.add_sku("MISC", price=1234)
    s.discount_sale(amount=100)
    before = s.snapshot()
    s.suspend()
    s.add_barcode(MILK)
    s.suspend()
    s.recall("sale0002")
    s.pay_cash(2000)

    fresh = SaleSession(
        catalog=r.catalog,
        ledger=r.ledger,
        printer=r.printer,
        drawer=r.drawer,
        payments=r.payments,
        card=r.card,
        clock=r.clock,
        gate=r.gate,
        settings=r.settings,
        clerk_id="alice",
        new_id=lambda: "sale9999",
    )
    snap = fresh.restore_suspended(r.ledger.entries())
    assert [x.sale_id for x in snap.suspended] == ["sale0001"]
    snap = fresh.recall("sale0001")
    assert snap.lines == before.lines and snap.total == before.total
    assert snap.sale_discount_amount == 100
    assert fresh.add_barcode(COLA).lines[-1].line_no == 4
    # Training sessions do not see real parked sales.
    t = SaleSession(
        catalog=r.catalog,
        ledger=r.ledger,
        printer=r.printer,
        drawer=r.drawer,
        payments=r.payments,
        card=r.card,
        clock=r.clock,
        gate=r.gate,
        settings=r.settings,
        clerk_id="alice",
        training=True,
    )
    assert t.restore_suspended(r.ledger.entries()).suspended == ()


def test_payment_code_scanned_in_an_open_sale_pays_the_balance() -> None:
    r = rig()
    r.session.handle_read(CHIPS)
    out = r.session.handle_read(ALIPAY_CODE)
    assert out.read.kind.value == "alipay" and out.action == "paid"
    rec = completed(r)
    assert rec.tenders[0].kind == "qr" and rec.tenders[0].amount == 790
