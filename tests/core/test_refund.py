"""Refunds: lookup by QR and number, line by line, never above what was paid, back to the
original tender, with the receipt and age rights."""

from __future__ import annotations

import pytest

from terminal.core.errors import (
    IllegalStep,
    InvalidInput,
    JournalError,
    NotFound,
    PaymentFailed,
    RefundError,
)
from terminal.core.ports import PaymentOutcome, PaymentResult
from terminal.core.records import SaleRecord
from terminal.core.refund import RefundService, parse_receipt_qr
from terminal.core.rights import (
    Approval,
    ApprovalRequired,
    Decision,
    PermissionDenied,
    Right,
    Verdict,
)

from .store import CHIPS, COLA, IMPORTED, MILK, WECHAT_CODE, Rig, rig


def service(r: Rig, clerk: str = "alice", **kw) -> RefundService:
    ids = iter(f"refund{n:03d}" for n in range(1, 1000))
    return RefundService(
        ledger=r.ledger,
        printer=r.printer,
        drawer=r.drawer,
        payments=r.payments,
        clock=r.clock,
        gate=r.gate,
        settings=r.settings,
        clerk_id=clerk,
        catalog=r.catalog,
        new_id=lambda: next(ids),
        **kw,
    )


def sold(r: Rig, *codes: str, pay: str = "cash", discount_bp: int | None = None) -> SaleRecord:
    for c in codes:
        r.session.add_barcode(c)
    if discount_bp:
        r.session.discount_sale(percent_bp=discount_bp)
    if pay == "cash":
        r.session.pay_cash(100_000)
    elif pay == "split":
        r.session.start_tender()
        r.session.pay_cash(500)
        r.session.pay_qr(WECHAT_CODE)
    else:
        r.session.pay_card()
    rec = r.session.last_record
    assert rec is not None
    return rec


def test_parse_receipt_qr() -> None:
    assert parse_receipt_qr("POS1:T1:abc123") == ("T1", "abc123")
    for bad in ("POS1:T1", "POS1::x", "hello", "POS1:a:b:c"):
        with pytest.raises(InvalidInput):
            parse_receipt_qr(bad)


def test_find_by_qr_and_number() -> None:
    r = rig()
    rec = sold(r, COLA, CHIPS)
    svc = service(r)
    by_qr = svc.find(qr=f"POS1:T1:{rec.sale_id}")
    by_no = svc.find(receipt_no=rec.receipt_no)
    assert by_qr.record.sale_id == by_no.record.sale_id == rec.sale_id
    assert [x.remaining_milli for x in by_qr.lines] == [1000, 1000]
    with pytest.raises(RefundError):
        svc.find(qr=f"POS1:T9:{rec.sale_id}")
    with pytest.raises(NotFound):
        svc.find(receipt_no=99)


def test_line_by_line_never_above_paid() -> None:
    r = rig()
    r.session.add_sku("COLA", qty_milli=3000)  # 10.50
    r.session.add_barcode(MILK)
    r.session.discount_sale(percent_bp=1000)
    r.session.pay_cash(5000)
    rec = r.session.last_record
    svc = service(r)
    parts = []
    for _ in range(3):
        out = svc.refund(svc.find(sale_id=rec.sale_id), {1: 1000}, reason="damaged")
        parts.append(out.total)
        assert out.kind == "refund" and out.original_sale_id == rec.sale_id
        assert out.receipt_no is not None
    cola_net = rec.lines[0].net
    assert sum(parts) == cola_net  # three thirds add up to exactly the line
    with pytest.raises(RefundError) as e:
        svc.refund(svc.find(sale_id=rec.sale_id), {1: 1000}, reason="again")
    assert e.value.code == "refund.over_quantity"
    last = svc.refund(svc.find(sale_id=rec.sale_id), {2: 1000}, reason="sour")
    assert sum(parts) + last.total == rec.total
    assert svc.find(sale_id=rec.sale_id).fully_refunded
    assert r.ledger.refunded_milli(rec.sale_id) == {1: 3000, 2: 1000}


def test_refund_goes_back_to_original_tenders() -> None:
    r = rig()
    rec = sold(r, MILK, CHIPS, pay="split")  # 5.00 cash + 15.80 QR
    out = service(r).refund(
        service(r).find(sale_id=rec.sale_id), {1: 1000, 2: 1000}, reason="wrong items"
    )
    by_kind = {t.kind: t for t in out.tenders}
    assert by_kind["cash"].amount + by_kind["qr"].amount == rec.total
    assert by_kind["qr"].reference == rec.tenders[1].reference
    assert r.payments.refunds == [("refund001", by_kind["qr"].amount, "QR000001")]
    entry = r.ledger.of_kind("refund.completed")[-1]
    assert entry.series == "receipt" and entry.number == 2
    assert r.ledger.journal[-1].payload == {"reason": "refund", "sale_id": "refund001"}


def test_card_refund_records_the_card_reference() -> None:
    r = rig()
    rec = sold(r, CHIPS, pay="card")
    svc = service(r)
    out = svc.refund(svc.find(sale_id=rec.sale_id), {1: 1000}, reason="faulty")
    assert [(t.kind, t.reference) for t in out.tenders] == [("card", "AUTH0001")]
    assert r.drawer.opens == 0


def test_qr_refund_declined_refunds_nothing() -> None:
    r = rig()
    rec = sold(r, CHIPS, pay="split")

    def decline(sale_id: str, reference: str, amount: int) -> PaymentResult:
        return PaymentResult(PaymentOutcome.DECLINED, message="merchant balance low")

    r.payments.refund = decline  # type: ignore[method-assign]
    svc = service(r)
    with pytest.raises(PaymentFailed):
        svc.refund(svc.find(sale_id=rec.sale_id), {1: 1000}, reason="x")
    assert not r.ledger.of_kind("refund.completed")
    assert r.ledger.refunded_milli(rec.sale_id) == {}


def test_refund_cap_needs_approval() -> None:
    r = rig()
    r.gate.grants["alice"][Right.REFUND_WITH_RECEIPT] = (Verdict.ALLOW, 500)
    rec = sold(r, CHIPS)
    svc = service(r)
    with pytest.raises(ApprovalRequired):
        svc.refund(svc.find(sale_id=rec.sale_id), {1: 1000}, reason="broken")
    with pytest.raises(PermissionDenied):
        svc.refund(
            svc.find(sale_id=rec.sale_id),
            {1: 1000},
            reason="broken",
            approval=Approval("alice", "me"),
        )
    out = svc.refund(
        svc.find(sale_id=rec.sale_id),
        {1: 1000},
        reason="broken",
        approval=Approval("bob", "broken on arrival"),
    )
    assert out.approver_id == "bob" and out.reason == "broken"
    granted = r.ledger.of_kind("approval.granted")[-1].payload
    assert (granted["actor"], granted["approver"], granted["right"], granted["amount"]) == (
        "alice",
        "bob",
        "refund.with_receipt",
        790,
    )


def test_receipt_age_limits() -> None:
    r = rig(refund_max_age_days=30)
    rec = sold(r, COLA)
    r.clock.advance(days=31)
    svc = service(r)
    with pytest.raises(PermissionDenied) as e:
        svc.refund(svc.find(sale_id=rec.sale_id), {1: 1000}, reason="late")
    assert "31 days" in str(e.value)


def test_gate_age_limit_through_check_limit() -> None:
    r = rig()

    def check_limit(staff_id, right, limit, value, *, training=False):
        cap = {"alice": 7, "bob": 30}.get(staff_id, 0)
        verdict = Verdict.ALLOW if value <= cap else Verdict.APPROVAL
        return Decision(verdict, right, f"over {cap} days", cap)

    r.gate.check_limit = check_limit  # type: ignore[attr-defined]
    rec = sold(r, COLA)
    r.clock.advance(days=10)
    svc = service(r)
    with pytest.raises(ApprovalRequired):
        svc.refund(svc.find(sale_id=rec.sale_id), {1: 1000}, reason="late")
    out = svc.refund(
        svc.find(sale_id=rec.sale_id),
        {1: 1000},
        reason="late",
        approval=Approval("bob", "regular customer"),
    )
    assert out.approver_id == "bob"


def test_blind_refund_needs_its_own_right() -> None:
    r = rig()
    svc = service(r)
    with pytest.raises(PermissionDenied):
        svc.blind_refund([("COLA", 1000, None)], reason="no receipt")
    out = service(r, clerk="bob").blind_refund([("COLA", 2000, None)], reason="no receipt")
    assert out.total == 700 and out.original_sale_id is None
    assert [t.kind for t in out.tenders] == ["cash"]


def test_refund_needs_reason_and_lines() -> None:
    r = rig()
    rec = sold(r, COLA)
    svc = service(r)
    with pytest.raises(InvalidInput):
        svc.refund(svc.find(sale_id=rec.sale_id), {1: 1000}, reason=" ")
    with pytest.raises(InvalidInput):
        svc.refund(svc.find(sale_id=rec.sale_id), {}, reason="x")
    with pytest.raises(InvalidInput):
        svc.refund(svc.find(sale_id=rec.sale_id), {7: 1000}, reason="x")
    with pytest.raises(InvalidInput):
        svc.refund(svc.find(sale_id=rec.sale_id), {1: 500}, reason="x")


def test_training_refunds_only_training_sales() -> None:
    r = rig()
    rec = sold(r, COLA)
    with pytest.raises(RefundError):
        service(r, training=True).find(sale_id=rec.sale_id)


def test_disk_full_keeps_refund_pending_then_retry() -> None:
    r = rig()
    rec = sold(r, COLA)
    svc = service(r)
    found = svc.find(sale_id=rec.sale_id)
    r.ledger.full = True
    with pytest.raises(JournalError):
        svc.refund(found, {1: 1000}, reason="x")
    assert svc.pending is not None
    with pytest.raises(IllegalStep):
        svc.refund(found, {1: 1000}, reason="x")
    r.ledger.full = False
    out = svc.retry()
    assert out.receipt_no == 2 and svc.pending is None
    assert r.ledger.refunded_milli(rec.sale_id) == {1: 1000}


def test_refund_of_a_rounded_cash_sale_never_exceeds_what_was_paid() -> None:
    r = rig(cash_rounding_step=10)
    r.session.add_sku("MISC", price=3726)  # cash due 37.30: customer paid 4 fen more
    r.session.pay_cash(4000)
    rec = r.session.last_record
    assert rec.total == 3730
    r2 = rig(cash_rounding_step=10)
    r2.session.add_sku("MISC", price=3724)  # cash due 37.20: customer paid 4 fen less
    r2.session.pay_cash(4000)
    rec2 = r2.session.last_record
    svc = service(r2)
    out = svc.refund(svc.find(sale_id=rec2.sale_id), {1: 1000}, reason="x")
    assert out.total == 3720 and out.rounding == -4


def test_refund_of_exclusive_tax_line_includes_the_tax() -> None:
    r = rig()

    rec = sold(r, IMPORTED)  # 10.00 + 1.00 tax
    svc = service(r)
    out = svc.refund(svc.find(sale_id=rec.sale_id), {1: 1000}, reason="x")
    assert out.total == 1100 and out.tax_total == 100 and out.lines[0].net == 1000


def test_partial_refunds_of_a_weighed_line_add_up() -> None:
    r = rig()
    r.session.add_sku("APPLE", qty_milli=1333)  # 11.98/kg -> 15.97
    r.session.discount_sale(percent_bp=700)
    r.session.pay_cash(2000)
    rec = r.session.last_record
    svc = service(r)
    totals = [
        svc.refund(svc.find(sale_id=rec.sale_id), {1: q}, reason="x").total for q in (333, 500, 500)
    ]
    assert sum(totals) == rec.total


def test_training_refund_by_training_receipt_number() -> None:
    r = rig()
    real = sold(r, COLA)
    r.session.switch_clerk("alice", clerk_name="Alice", training=True)
    r.session.add_barcode(CHIPS)
    r.session.pay_cash(1000)
    trained = r.session.last_record
    assert trained.training and trained.receipt_no == real.receipt_no == 1
    svc = service(r, training=True)
    found = svc.find(receipt_no=1)
    assert found.record.sale_id == trained.sale_id
    out = svc.refund(found, {1: 1000}, reason="practice")
    assert out.training and r.ledger.journal[-1].training
    assert r.drawer.opens == 1  # only the real sale's
    assert service(r).find(receipt_no=1).record.sale_id == real.sale_id
