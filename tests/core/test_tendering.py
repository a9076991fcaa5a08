"""Taking payment on fakes: split and mobile tenders, declines and timeouts, tender and
collection rights, cash rounding, and committing a paid sale when the ledger refused first."""

from __future__ import annotations

import pytest

from terminal.core.errors import IllegalStep, InvalidInput, JournalError, PaymentFailed
from terminal.core.ports import PaymentOutcome, PaymentResult
from terminal.core.rights import Approval, ApprovalRequired, PermissionDenied, Right, Verdict
from terminal.core.sale import SaleState

from .fakes import FakeCard, FakePayments, full_rights
from .store import ALIPAY_CODE, CHIPS, COLA, MILK, WECHAT_CODE, completed, rig


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
    assert snap.last_error.code == "ledger.disk_full"
    assert len(r.ledger.journal) == before and r.drawer.opens == 0 and not r.printer.docs
    with pytest.raises(IllegalStep) as e2:
        s.add_barcode(CHIPS)
    assert e2.value.code == "sale.paid"
    r.ledger.full = False
    snap = s.complete()
    assert snap.state == "completed" and snap.receipt_no == 1 and snap.change == 2000 - 1640
    assert r.drawer.opens == 1


@pytest.mark.parametrize("retry", ["complete", "cash", "card", "qr", "scan"])
def test_a_paid_sale_whose_commit_failed_is_finished_by_any_payment_step(retry: str) -> None:
    """After a failed commit every tender (and a payment code scanned) retries the commit
    instead of answering "fully paid": no customer is charged twice, nothing is lost."""
    r = rig()
    s = r.session
    s.add_barcode(COLA)
    s.start_tender()
    r.ledger.full = True
    with pytest.raises(JournalError) as e:
        s.pay_cash(500)
    assert e.value.code == "ledger.disk_full"
    # Still full: the retry fails the same way and leaves the sale paid and intact.
    with pytest.raises(JournalError):
        s.pay_cash(0)
    assert s.snapshot().state == "tendering" and s.snapshot().balance_due == 0
    r.ledger.full = False
    snap = {
        "complete": s.complete,
        "cash": lambda: s.pay_cash(0),
        "card": s.pay_card,
        "qr": lambda: s.pay_qr(WECHAT_CODE),
        "scan": lambda: (s.handle_read(WECHAT_CODE), s.snapshot())[1],
    }[retry]()
    assert snap.state == "completed" and snap.receipt_no == 1 and snap.change == 500 - 350
    assert r.card.charges == [] and r.payments.charges == []
    rec = completed(r)
    assert [(t.kind, t.tendered) for t in rec.tenders] == [("cash", 500)]
    assert [e.number for e in r.ledger.of_kind("sale.completed")] == [1]


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
        def charge(self, payment_code, amount, currency, sale_id, tender_no=1):  # type: ignore[override]
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


def test_a_fully_discounted_sale_completes_without_payment() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    r.session.discount_sale(percent_bp=10_000, approval=Approval("bob", "promo winner"))
    snap = r.session.start_tender()
    assert snap.state == "completed" and snap.total == 0 and snap.receipt_no == 1
    rec = completed(r)
    assert rec.tenders == () and rec.discount_total == 350
    assert r.drawer.opens == 0
