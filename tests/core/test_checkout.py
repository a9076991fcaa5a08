"""SaleSession end to end on fakes: every path a sale can take, the rights it asks for, and what
it leaves in the journal."""

from __future__ import annotations

import json

import pytest

from terminal.core.barcodes import VariableMeasureLayout, make_variable_measure
from terminal.core.checkout import SaleSession
from terminal.core.errors import IllegalStep, InvalidInput, JournalError, NotFound, PaymentFailed
from terminal.core.ports import PaymentOutcome, PaymentResult
from terminal.core.records import QR, SaleRecord, Text
from terminal.core.rights import Approval, ApprovalRequired, PermissionDenied, Right, Verdict
from terminal.core.sale import SaleState

from .fakes import FakeCard, FakePayments, full_rights
from .store import ALIPAY_CODE, CHIPS, COLA, IMPORTED, MILK, WECHAT_CODE, rig


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


def completed(r) -> SaleRecord:
    entry = r.ledger.of_kind("sale.completed")[-1]
    rec = SaleRecord.from_payload(entry.payload)
    assert_consistent(rec)
    return rec


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


def test_repeated_scans_merge_unless_configured_not_to() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    snap = r.session.add_barcode(COLA)
    assert [(x.sku, x.qty_milli) for x in snap.lines] == [("COLA", 2000)]
    r2 = rig(merge_lines=False)
    r2.session.add_barcode(COLA)
    snap = r2.session.add_barcode(COLA)
    assert [(x.sku, x.qty_milli) for x in snap.lines] == [("COLA", 1000), ("COLA", 1000)]


def test_upc_and_ean_forms_find_the_same_item() -> None:
    r = rig()
    # COLA is stored as EAN-13 with a leading 6; a UPC-A item stored as 13 digits with 0:
    assert r.session.add_barcode(COLA).lines[0].sku == "COLA"
    with pytest.raises(InvalidInput) as e:
        r.session.add_barcode(COLA[:-1] + str((int(COLA[-1]) + 1) % 10))
    assert e.value.code == "barcode.check_digit"
    with pytest.raises(NotFound):
        r.session.add_barcode("6901234999990")
    assert r.session.snapshot().last_error is not None
    assert r.session.snapshot().last_error.code == "catalog.not_found"


def test_weight_and_price_embedded_labels() -> None:
    r = rig()
    layout = r.settings.variable_measure
    apples = make_variable_measure("10001", 1250, layout, kind="weight")
    cake = make_variable_measure("10002", 2380, layout, kind="price")
    snap = r.session.add_barcode(apples)
    snap = r.session.add_barcode(cake)
    a, c = snap.lines
    assert (a.sku, a.qty_milli, a.unit_price, a.gross) == ("APPLE", 1250, 1198, 1498)  # 14.975
    assert (c.sku, c.qty_milli, c.gross, c.price_source) == ("CAKE", 1000, 2380, "embedded")
    # A second identical weight label is a second package: never merged.
    assert len(r.session.add_barcode(apples).lines) == 3
    with pytest.raises(IllegalStep):
        r.session.set_quantity(c.line_no, 2000)


def test_alternative_layout_with_price_check_digit() -> None:
    layout = VariableMeasureLayout(
        price_prefixes=("28",), weight_prefixes=("29",), item_digits=4, value_check_digit=True
    )
    r = rig(variable_measure=layout)
    r.catalog.upsert_items([r.catalog.by_sku("CAKE").__class__("PIE", "Pie", "派", 0, ("4321",))])
    code = make_variable_measure("4321", 1575, layout, kind="price")
    assert r.session.add_barcode(code).lines[0].gross == 1575
    bad = code[:6] + str((int(code[6]) + 1) % 10) + code[7:12]
    from terminal.core.barcodes import with_check_digit

    with pytest.raises(InvalidInput) as e:
        r.session.add_barcode(with_check_digit(bad))
    assert e.value.code == "barcode.value_check_digit"


def test_tax_inclusive_and_exclusive() -> None:
    r = rig()
    r.session.add_barcode(MILK)  # 12.90 incl. 9 %
    snap = r.session.add_barcode(IMPORTED)  # 10.00 + 10 % on top
    milk, tea = snap.lines
    assert milk.tax == 107  # 1290 * 900 / 10900 = 106.5 -> 107
    assert tea.tax == 100
    assert snap.total == 1290 + 1000 + 100
    r.session.pay_cash(5000)
    rec = completed(r)
    assert rec.tax_total == 207 and rec.total == 2390


def test_split_cash_then_qr() -> None:
    r = rig()
    r.session.add_barcode(MILK)
    r.session.add_barcode(CHIPS)
    r.session.start_tender()
    snap = r.session.pay_cash(1000)
    assert snap.state == "tendering" and snap.balance_due == 2080 - 1000
    snap = r.session.pay_qr(WECHAT_CODE)
    assert snap.state == "completed" and snap.change == 0
    rec = completed(r)
    assert [(t.kind, t.amount) for t in rec.tenders] == [("cash", 1000), ("qr", 1080)]
    assert rec.tenders[1].reference == "QR000001"
    assert r.payments.charges == [(WECHAT_CODE, 1080, "CNY", rec.sale_id)]
    assert r.drawer.opens == 1


def test_qr_timeout_leaves_sale_payable_then_retry() -> None:
    r = rig()
    r.payments.script = [PaymentOutcome.TIMEOUT, PaymentOutcome.DECLINED]
    r.session.add_barcode(COLA)
    r.session.start_tender()
    with pytest.raises(PaymentFailed) as e:
        r.session.pay_qr(ALIPAY_CODE)
    assert e.value.code == "payment.timeout"
    snap = r.session.snapshot()
    assert snap.state == "tendering" and snap.balance_due == 350 and snap.tenders == ()
    assert snap.last_error.code == "payment.timeout"
    assert r.payments.cancels == [(snap.sale_id, "QR000001")]
    assert r.ledger.journal[-1].kind == "payment.declined"
    assert r.ledger.journal[-1].payload["outcome"] == "timeout"
    with pytest.raises(PaymentFailed) as e:
        r.session.pay_qr(ALIPAY_CODE)
    assert e.value.code == "payment.declined"
    snap = r.session.pay_qr(ALIPAY_CODE)
    assert snap.state == "completed" and snap.last_error is None
    assert completed(r).tenders[0].reference == "QR000003"
    assert r.drawer.opens == 0  # no cash, no drawer


def test_card_decline_then_cash() -> None:
    r = rig()
    r.card.script = [PaymentOutcome.DECLINED]
    r.session.add_barcode(CHIPS)
    r.session.start_tender()
    with pytest.raises(PaymentFailed):
        r.session.pay_card()
    snap = r.session.pay_card()
    assert snap.state == "completed"
    assert completed(r).tenders[0].reference == "AUTH0002"


def test_non_cash_cannot_exceed_balance_and_bad_codes_are_refused() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    r.session.start_tender()
    with pytest.raises(IllegalStep) as e:
        r.session.pay_card(351)
    assert e.value.code == "tender.over"
    with pytest.raises(InvalidInput):
        r.session.pay_qr("12345")
    assert r.card.charges == [] and r.payments.charges == []


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


def test_disk_full_keeps_the_sale_intact_and_retry_commits() -> None:
    r = rig()
    s = r.session
    s.add_barcode(COLA)
    s.add_barcode(MILK)
    s.start_tender()
    before = len(r.ledger.journal)
    r.ledger.full = True
    with pytest.raises(JournalError) as e:
        s.pay_cash(2000)
    assert "disk is full" in str(e.value)
    snap = s.snapshot()
    assert snap.state == "tendering" and snap.balance_due == 0 and len(snap.lines) == 2
    assert snap.last_error.code == "ledger.write_failed"
    assert len(r.ledger.journal) == before and r.drawer.opens == 0 and not r.printer.docs
    with pytest.raises(IllegalStep) as e2:
        s.add_barcode(CHIPS)
    assert e2.value.code == "sale.paid"
    r.ledger.full = False
    snap = s.complete()
    assert snap.state == "completed" and snap.receipt_no == 1 and snap.change == 2000 - 1640
    assert r.drawer.opens == 1


def test_disk_full_on_line_void_changes_nothing() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    r.ledger.full = True
    with pytest.raises(JournalError):
        r.session.void_line(1)
    assert not r.session.snapshot().lines[0].voided


def test_discount_within_limit_over_limit_and_approval() -> None:
    r = rig()
    s = r.session
    s.add_barcode(CHIPS)  # 7.90
    snap = s.discount_line(1, percent_bp=1000)
    assert snap.lines[0].discount == 79 and snap.total == 711
    with pytest.raises(ApprovalRequired) as e:
        s.discount_line(1, percent_bp=2000)
    assert e.value.decision.right is Right.DISCOUNT
    assert s.snapshot().last_error.needs_approval
    with pytest.raises(PermissionDenied):
        s.discount_line(1, percent_bp=2000, approval=Approval("alice", "self"))
    denied = r.ledger.of_kind("permission.denied")[-1].payload
    assert denied["actor"] == "alice" and denied["right"] == "sale.discount"
    with pytest.raises(PermissionDenied):
        s.discount_line(1, percent_bp=2000, approval=Approval("carol", "no right"))
    assert r.ledger.of_kind("permission.denied")[-1].payload["approver"] == "carol"
    snap = s.discount_line(1, percent_bp=2000, approval=Approval("bob", "damaged box"))
    assert snap.lines[0].discount == 158
    granted = r.ledger.of_kind("approval.granted")[-1]
    assert granted.payload == {
        "actor": "alice",
        "approver": "bob",
        "right": "sale.discount",
        "reason": "damaged box",
        "amount": 2000,
        "sale_id": snap.sale_id,
        "line_no": 1,
        "discount": 158,
    }
    s.pay_cash(1000)
    assert completed(r).lines[0].approver_id == "bob"


def test_amount_discount_is_checked_as_percent_rounded_up() -> None:
    r = rig()
    r.session.add_barcode(CHIPS)  # 790; 10 % = 79; 80 is 10.13 %
    with pytest.raises(ApprovalRequired):
        r.session.discount_line(1, amount=80)
    assert r.session.discount_line(1, amount=79).total == 711


def test_sale_discount_is_allocated_exactly() -> None:
    r = rig()
    s = r.session
    s.add_barcode(COLA)
    s.add_barcode(CHIPS)
    s.add_barcode(MILK)
    snap = s.discount_sale(amount=100)
    assert snap.discount_total == 100
    assert [x.discount for x in snap.lines] == [14, 33, 53]
    s.pay_cash(snap.total)
    rec = completed(r)
    assert rec.total == 2430 - 100


def test_price_override_and_open_price() -> None:
    r = rig()
    s = r.session
    s.add_barcode(CHIPS)
    snap = s.override_price(1, 500, reason="price match")
    assert snap.lines[0].unit_price == 500 and snap.lines[0].price_source == "override"
    with pytest.raises(ApprovalRequired):
        s.override_price(1, 1200)
    with pytest.raises(IllegalStep):
        s.add_sku("MISC")
    snap = s.add_sku("MISC", price=1234)
    assert snap.lines[-1].price_source == "open" and snap.lines[-1].gross == 1234
    with pytest.raises(IllegalStep):
        s.add_sku("COLA", price=1)


def test_sale_max_amount_needs_approval_before_payment() -> None:
    r = rig()
    s = r.session
    s.add_sku("COLA", qty_milli=300_000)  # 1050.00 > 1000.00 cap
    with pytest.raises(ApprovalRequired):
        s.start_tender()
    assert s.state is SaleState.OPEN
    s.start_tender(approval=Approval("bob", "catering order"))
    assert s.pay_cash(105_000).state == "completed"
    assert completed(r).total == 105_000


def test_tender_rights_per_method() -> None:
    r = rig(clerk="carol")
    s = r.session
    s.add_barcode(COLA)
    with pytest.raises(PermissionDenied):
        s.start_tender()  # carol has no sale max amount right at all
    r.gate.grants["carol"][Right.SALE_MAX_AMOUNT] = (Verdict.ALLOW, None)
    r.gate.grants["carol"][Right.DAILY_COLLECTION] = (Verdict.ALLOW, None)
    s.start_tender()
    with pytest.raises(PermissionDenied):
        s.pay_card()
    assert r.card.charges == []
    assert r.ledger.of_kind("permission.denied")[-1].payload["right"] == "tender.card"
    assert s.pay_cash(350).state == "completed"


def test_daily_collection_counts_todays_sales() -> None:
    r = rig(grants={"alice": full_rights(DAILY_COLLECTION=1000), "bob": full_rights()})
    s = r.session
    s.add_barcode(CHIPS)
    s.pay_cash(790)
    s.add_barcode(COLA)
    with pytest.raises(ApprovalRequired):
        s.pay_cash(350)  # 7.90 + 3.50 > 10.00
    checked = [c for c in r.gate.calls if c[1] is Right.DAILY_COLLECTION][-1]
    assert checked[2] == 1140
    # The next business day starts fresh.
    r.clock.advance(hours=24)
    assert s.pay_cash(350).state == "completed"


def test_void_line_is_journaled_and_excluded() -> None:
    r = rig()
    s = r.session
    s.add_barcode(COLA)
    s.add_barcode(CHIPS)
    snap = s.void_line(1, reason="customer changed mind")
    assert snap.lines[0].voided and snap.total == 790
    e = r.ledger.of_kind("line.voided")[-1]
    assert e.payload == {
        "sale_id": snap.sale_id,
        "line_no": 1,
        "sku": "COLA",
        "qty_milli": 1000,
        "amount": 350,
        "reason": "customer changed mind",
        "approver_id": None,
    }
    with pytest.raises(IllegalStep):
        s.void_line(1)
    s.pay_cash(1000)
    assert [x.line_no for x in completed(r).lines] == [2]


def test_reducing_quantity_is_a_partial_void() -> None:
    r = rig()
    r.session.add_sku("COLA", qty_milli=3000)
    r.session.set_quantity(1, 1000, reason="two returned to shelf")
    e = r.ledger.of_kind("line.voided")[-1]
    assert (e.payload["qty_milli"], e.payload["amount"]) == (2000, 700)
    assert r.session.set_quantity(1, 5000).lines[0].qty_milli == 5000
    with pytest.raises(InvalidInput):
        r.session.set_quantity(1, 0)
    with pytest.raises(InvalidInput):
        r.session.set_quantity(1, 1500)


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


def test_void_sale_with_card_payment_is_refused() -> None:
    r = rig()
    r.session.add_barcode(MILK)
    r.session.start_tender()
    r.session.pay_card(500)
    with pytest.raises(IllegalStep) as e:
        r.session.void_sale(approval=Approval("bob", "x"))
    assert e.value.code == "sale.card_taken"


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


def test_cash_rounding_to_10_fen() -> None:
    r = rig(cash_rounding_step=10)
    s = r.session
    s.add_sku("MISC", price=3724)
    snap = s.start_tender()
    assert snap.balance_due == 3724 and snap.cash_due == 3720
    assert snap.quick_cash == (3720, 4000, 5000, 10000)
    snap = s.pay_cash(5000)
    assert snap.change == 1280 and snap.rounding == -4
    rec = completed(r)
    assert rec.total == 3720 and rec.rounding == -4


def test_cash_rounding_does_not_apply_to_card() -> None:
    r = rig(cash_rounding_step=10)
    r.session.add_sku("MISC", price=3726)
    r.session.pay_card()
    rec = completed(r)
    assert rec.total == 3726 and rec.rounding == 0


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


def test_payment_ports_raising_timeouts_count_as_timeouts() -> None:
    class Flaky(FakePayments):
        def charge(self, *a, **k):  # type: ignore[override]
            raise TimeoutError("read timed out")

    r = rig()
    r.session.payments = Flaky()
    r.session.add_barcode(COLA)
    with pytest.raises(PaymentFailed) as e:
        r.session.pay_qr(WECHAT_CODE)
    assert e.value.code == "payment.timeout"
    assert r.session.snapshot().state == "tendering"
    r.session.card = FakeCard()
    assert r.session.pay_card().state == "completed"


def test_qr_timeout_without_reference_is_cancelled_by_sale_id() -> None:
    class NoRef(FakePayments):
        def charge(self, payment_code, amount, currency, sale_id):  # type: ignore[override]
            self.charges.append((payment_code, amount, currency, sale_id))
            return PaymentResult(PaymentOutcome.TIMEOUT, message="gateway timeout")

        def cancel(self, sale_id: str, reference: str) -> None:
            self.cancels.append((sale_id, reference))
            raise TimeoutError("cancel timed out")

    r = rig()
    r.session.payments = NoRef()
    r.session.add_barcode(COLA)
    with pytest.raises(PaymentFailed) as e:
        r.session.pay_qr(WECHAT_CODE)
    assert r.session.payments.cancels == [("sale0001", "")]
    assert "check the customer's phone" in str(e.value)
    assert r.session.snapshot().balance_due == 350


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


def test_a_fully_discounted_sale_completes_without_payment() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    r.session.discount_sale(percent_bp=10_000, approval=Approval("bob", "promo winner"))
    snap = r.session.start_tender()
    assert snap.state == "completed" and snap.total == 0 and snap.receipt_no == 1
    rec = completed(r)
    assert rec.tenders == () and rec.discount_total == 350
    assert r.drawer.opens == 0


def test_void_line_approval_is_journaled_with_the_void() -> None:
    r = rig()
    r.gate.grants["alice"][Right.VOID_LINE] = (Verdict.APPROVAL, None)
    r.session.add_barcode(COLA)
    with pytest.raises(ApprovalRequired):
        r.session.void_line(1, reason="scanned twice")
    assert not r.session.snapshot().lines[0].voided
    snap = r.session.void_line(1, reason="scanned twice", approval=Approval("bob", "checked"))
    assert snap.lines[0].voided and snap.lines[0].approver_id == "bob"
    kinds = r.ledger.kinds()
    assert kinds[-2:] == ["approval.granted", "line.voided"]
    assert r.ledger.journal[-1].payload["approver_id"] == "bob"


def test_payment_code_scanned_in_an_open_sale_pays_the_balance() -> None:
    r = rig()
    r.session.handle_read(CHIPS)
    out = r.session.handle_read(ALIPAY_CODE)
    assert out.read.kind.value == "alipay" and out.action == "paid"
    rec = completed(r)
    assert rec.tenders[0].kind == "qr" and rec.tenders[0].amount == 790
