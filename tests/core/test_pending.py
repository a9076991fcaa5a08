"""Nothing lost at the counter: every change of an open sale and every payment taken is in the
journal before the screen moves on, and a restart (a new session over the same journal) gives
open, parked and held sales back with their clerk, lines, discounts and payments."""

from __future__ import annotations

import pytest

from terminal.core.checkout import SaleSession
from terminal.core.errors import IllegalStep, JournalError, NotFound, PaymentFailed
from terminal.core.pending import UnfinishedSales, fold
from terminal.core.ports import LedgerFull
from terminal.core.rights import Approval, ApprovalRequired
from terminal.core.settings import StoreSettings
from terminal.core.shift import ShiftService

from .store import CHIPS, COLA, MILK, WECHAT_CODE, Rig, completed, rig


def restart(r: Rig, clerk: str = "alice", **settings: object) -> SaleSession:
    """A new process: a fresh session over the same journal, restored the way the app does."""
    st = StoreSettings(terminal_id="T1", **settings) if settings else r.settings
    s = SaleSession(
        catalog=r.catalog, ledger=r.ledger, printer=r.printer, drawer=r.drawer,
        payments=r.payments, card=r.card, clock=r.clock, gate=r.gate, settings=st,
        clerk_id=clerk, clerk_name=clerk.title(),
    )
    s.restore_pending(r.ledger.pending_sales())
    s.resume_own()
    return s


def shifts(r: Rig, clerk: str = "alice") -> ShiftService:
    return ShiftService(
        ledger=r.ledger, printer=r.printer, drawer=r.drawer, clock=r.clock, gate=r.gate,
        settings=r.settings, clerk_id=clerk,
    )


def test_each_cart_change_is_one_progress_entry_and_nothing_else_posts() -> None:
    r = rig()
    s = r.session
    s.add_barcode(COLA)
    assert r.ledger.kinds()[-1] == "sale.progress"
    n = len(r.ledger.journal)
    s.snapshot()
    with pytest.raises(NotFound):
        s.add_barcode("6901234999990")  # unknown item: nothing changed, nothing posted
    s.start_tender()  # the state moves, the basket does not
    s.back_to_cart()
    assert len(r.ledger.journal) == n
    s.add_barcode(CHIPS)
    s.discount_sale(percent_bp=500, reason="loyal")
    assert len(r.ledger.journal) == n + 2
    body = r.ledger.journal[-1].payload
    assert [ln["sku"] for ln in body["lines"]] == ["COLA", "CHIPS"]
    assert body["sale_discount"]["percent_bp"] == 500


def test_an_approved_qr_part_payment_is_journaled_before_the_snapshot_returns() -> None:
    r = rig()
    r.session.add_barcode(MILK)
    r.session.start_tender()
    snap = r.session.pay_qr(WECHAT_CODE, 500)
    assert snap.paid == 500
    auth = r.ledger.of_kind("payment.authorised")[-1].payload
    assert (auth["sale_id"], auth["kind"], auth["amount"], auth["reference"]) == (
        "sale0001", "qr", 500, "QR000001")
    [pending] = r.ledger.pending_sales()
    assert pending.status == "open" and pending.staff_id == "alice"
    assert [t.reference for t in pending.payments] == ["QR000001"]


def test_a_payment_that_settles_the_sale_is_journaled_in_the_sale() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    r.session.start_tender()
    r.session.pay_card()
    assert "payment.authorised" not in r.ledger.kinds()
    assert completed(r).tenders[0].reference == "AUTH0001"
    assert r.ledger.pending_sales() == []


def test_after_a_restart_the_clerk_finds_the_sale_with_its_lines_and_payments() -> None:
    r = rig()
    r.session.add_barcode(MILK)
    r.session.add_barcode(COLA)
    r.session.discount_line(2, percent_bp=1000)
    r.session.start_tender()
    r.session.pay_qr(WECHAT_CODE, 600)
    before = r.session.snapshot()
    # Another clerk logging in first does not get alice's sale.
    bob = restart(r, "bob")
    assert bob.snapshot().state == "idle"
    assert [(v.sale_id, v.status, v.clerk_id, v.paid) for v in bob.snapshot().suspended] == [
        ("sale0001", "open", "alice", 600)]
    s = restart(r, "alice")
    snap = s.snapshot()
    assert snap.state == "tendering" and snap.sale_id == "sale0001"
    assert [ln.sku for ln in snap.lines] == ["MILK", "COLA"] and snap.lines[1].discount > 0
    assert (snap.total, snap.paid, snap.balance_due) == (before.total, 600, before.balance_due)
    assert snap.tenders == before.tenders
    s.pay_cash(snap.cash_due)
    rec = completed(r)
    assert [(t.kind, t.reference) for t in rec.tenders] == [("qr", "QR000001"), ("cash", "")]
    assert r.ledger.pending_sales() == []
    assert r.payments.cancels == []


def test_a_store_may_reverse_interrupted_payments_at_restart() -> None:
    r = rig()
    r.session.add_barcode(MILK)
    r.session.start_tender()
    r.session.pay_qr(WECHAT_CODE, 500)
    s = restart(r, reverse_interrupted_payments=True)
    assert r.payments.cancels == [("sale0001", "QR000001")]
    rev = r.ledger.of_kind("payment.reversed")[-1].payload
    assert (rev["kind"], rev["amount"], rev["reference"]) == ("qr", 500, "QR000001")
    snap = s.snapshot()
    assert snap.sale_id == "sale0001" and snap.paid == 0 and len(snap.lines) == 1
    assert r.ledger.pending_sales()[0].payments == ()


def test_held_and_parked_sales_come_back_after_a_restart() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    r.session.suspend()
    r.session.add_barcode(CHIPS)
    r.session.add_barcode(CHIPS)
    r.session.suspend(parked=True)
    s = restart(r, "alice")
    # The parked sale is alice's and comes back at her login; the held one waits in the list.
    snap = s.snapshot()
    assert snap.sale_id == "sale0002" and snap.lines[0].qty_milli == 2000
    assert [(v.sale_id, v.status) for v in snap.suspended] == [("sale0001", "held")]
    s.pay_cash(10_000)
    s.new_sale()
    snap = s.recall("sale0001")
    assert [ln.sku for ln in snap.lines] == ["COLA"]
    s.pay_cash(1000)
    assert r.ledger.pending_sales() == []


def test_a_clerk_can_take_a_card_payment_off_the_sale() -> None:
    r = rig()
    s = r.session
    s.add_barcode(MILK)
    s.start_tender()
    s.pay_card(400)
    s.pay_qr(WECHAT_CODE, 300)
    with pytest.raises(ApprovalRequired):
        s.remove_tender(0)
    snap = s.remove_tender(0, approval=Approval("bob", "wrong card"))
    assert [t.kind for t in snap.tenders] == ["qr"] and snap.paid == 300
    assert r.card.reversals == [("sale0001", "AUTH0001", 400)]
    assert r.ledger.of_kind("payment.reversed")[-1].payload["reference"] == "AUTH0001"
    assert [t.reference for t in r.ledger.pending_sales()[0].payments] == ["QR000001"]
    s.remove_tender(0, approval=Approval("bob", "customer pays cash"))
    assert r.payments.cancels == [("sale0001", "QR000001")]
    s.back_to_cart()  # nothing is paid any more: the cart can change again
    s.add_barcode(COLA)
    s.pay_cash(5000)
    assert [t.kind for t in completed(r).tenders] == ["cash"]


def test_a_payment_that_cannot_be_recorded_is_cancelled_with_the_provider() -> None:
    r = rig()
    r.session.add_barcode(MILK)
    r.session.start_tender()
    r.ledger.fail_next = LedgerFull("database or disk is full")
    with pytest.raises(PaymentFailed) as e:
        r.session.pay_qr(WECHAT_CODE, 500)
    assert e.value.code == "payment.not_recorded"
    assert r.payments.cancels == [("sale0001", "QR000001")]
    assert r.session.snapshot().paid == 0


def test_a_payment_neither_recorded_nor_reversed_is_journaled_at_the_next_step() -> None:
    r = rig()
    r.session.add_barcode(MILK)
    r.session.start_tender()
    r.ledger.fail_next = LedgerFull("database or disk is full")

    def refuse(sale_id: str, reference: str) -> None:
        raise OSError("provider unreachable")

    r.payments.cancel = refuse  # type: ignore[method-assign]
    with pytest.raises(JournalError):
        r.session.pay_qr(WECHAT_CODE, 500)
    assert r.session.snapshot().paid == 500  # kept: the money was taken
    assert "payment.authorised" not in r.ledger.kinds()
    r.session.snapshot()  # reading posts nothing
    assert "payment.authorised" not in r.ledger.kinds()
    with pytest.raises(IllegalStep):
        r.session.back_to_cart()  # any step records the payment first, even a refused one
    assert [e.payload["reference"] for e in r.ledger.of_kind("payment.authorised")] == [
        "QR000001"]


def test_shift_close_and_z_refuse_over_unfinished_sales_naming_them() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    r.session.suspend()
    r.session.add_barcode(CHIPS)
    svc = shifts(r)
    with pytest.raises(UnfinishedSales) as e:
        svc.close_shift(20_000)
    assert e.value.code == "sale.unfinished"
    assert {p.sale_id for p in e.value.sales} == {"sale0001", "sale0002"}
    assert "sale0001" in e.value.message and "held" in e.value.message
    assert "shift.closed" not in r.ledger.kinds()
    r.session.void_sale(reason="customer left", approval=Approval("bob", "left"))
    r.session.recall("sale0001")
    r.session.pay_cash(500)
    svc.close_shift(20_350)
    assert "shift.closed" in r.ledger.kinds()
    svc.z_report(print_it=False)  # nothing outstanding: the day closes


def test_the_z_report_refuses_while_a_sale_is_held() -> None:
    r = rig(open_shift=False, require_open_shift=False)
    r.session.add_barcode(MILK)
    r.session.suspend()
    with pytest.raises(UnfinishedSales) as e:
        shifts(r).z_report()
    assert "close the day" in e.value.message
    assert "report.z" not in r.ledger.kinds()


def test_a_voided_empty_sale_leaves_nothing_pending() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    r.session.void_line(1, reason="wrong")
    r.session.void_sale(reason="nothing left", approval=Approval("bob", "ok"))
    assert r.ledger.pending_sales() == []


def test_fold_matches_the_entries() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    r.session.start_tender()
    r.session.pay_cash(100)
    [p] = fold(r.ledger.journal)
    assert [(t.kind, t.amount) for t in p.payments] == [("cash", 100)]
    r.session.remove_tender(0, approval=Approval("bob", "x"))
    assert fold(r.ledger.journal)[0].payments == ()


def test_a_reversal_the_journal_could_not_take_is_posted_at_the_next_step() -> None:
    r = rig(clerk="bob")  # bob may take a payment off alone: no approval entry in between
    s = r.session
    s.add_barcode(MILK)
    s.start_tender()
    s.pay_qr(WECHAT_CODE, 300)
    r.ledger.fail_next = LedgerFull("database or disk is full")
    with pytest.raises(JournalError):
        s.remove_tender(0)
    # The provider gave the money back: the sale no longer counts it, the journal not yet.
    assert r.payments.cancels == [("sale0001", "QR000001")]
    assert s.snapshot().paid == 0
    assert r.ledger.pending_sales()[0].payments != ()
    s.back_to_cart()
    assert r.ledger.of_kind("payment.reversed")[-1].payload["reference"] == "QR000001"
    assert r.ledger.pending_sales()[0].payments == ()


def test_a_training_sale_on_hold_never_blocks_the_real_close() -> None:
    r = rig(training=True)
    r.session.add_barcode(COLA)
    r.session.suspend()
    assert [p.sale_id for p in r.ledger.pending_sales(training=True)] == ["sale0001"]
    assert r.ledger.pending_sales() == []
    shifts(r).close_shift(20_000)
    assert "shift.closed" in r.ledger.kinds()
    # A real session after a restart does not see it; a training one does.
    assert restart(r).snapshot().suspended == ()
    practice = SaleSession(
        catalog=r.catalog, ledger=r.ledger, printer=r.printer, drawer=r.drawer,
        payments=r.payments, card=r.card, clock=r.clock, gate=r.gate, settings=r.settings,
        clerk_id="alice", training=True,
    )
    practice.restore_pending(r.ledger.pending_sales(training=True))
    assert [v.sale_id for v in practice.snapshot().suspended] == ["sale0001"]


def test_a_sale_the_catalog_no_longer_fits_does_not_block_the_restore() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    r.session.suspend()
    r.session.add_barcode(MILK)  # tax class "reduced", about to disappear
    r.session.suspend()
    del r.catalog._tax["reduced"]
    s = restart(r)
    snap = s.snapshot()
    assert [v.sale_id for v in snap.suspended] == ["sale0001"]
    assert "sale0002" in snap.notice and "could not be restored" in snap.notice


def test_a_basket_that_cannot_be_saved_stays_whole_and_is_saved_at_the_next_step() -> None:
    r = rig()
    r.session.add_barcode(MILK)
    r.ledger.fail_next = LedgerFull("database or disk is full")
    snap = r.session.add_barcode(COLA)  # the scan itself works: only its save failed
    assert [ln.sku for ln in snap.lines] == ["MILK", "COLA"]
    assert snap.last_error is not None and snap.last_error.code.startswith("ledger.")
    saved = r.ledger.of_kind("sale.progress")
    assert len(saved[-1].payload["lines"]) == 1
    r.session.set_quantity(2, 2000)
    assert len(r.ledger.of_kind("sale.progress")[-1].payload["lines"]) == 2
