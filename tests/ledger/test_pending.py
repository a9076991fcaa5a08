"""The pending area on a real SQLite file: open, parked and held sales and the payments taken,
as the journal says (``core/pending.fold``), across closing and reopening the file, and filled
from history when a terminal with an older schema is upgraded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from terminal.core.checkout import SaleSession
from terminal.core.clock import ManualClock
from terminal.core.pending import fold
from terminal.core.settings import StoreSettings
from terminal.ledger.db import open_ledger
from terminal.ledger.ledger import SqliteLedger
from terminal.ledger.verify import verify_file
from terminal.sample import sample_catalog
from tests.core.fakes import FakeCard, FakeDrawer, FakeGate, FakePayments, FakePrinter, full_rights

WECHAT = "134567890123456789"


def _session(ledger: SqliteLedger, clock: ManualClock, clerk: str = "c1") -> SaleSession:
    catalog = ledger.catalog()
    if catalog.count() == 0:
        items, taxes, _ = sample_catalog()
        catalog.set_tax_classes(taxes)
        catalog.upsert_items(items)
    return SaleSession(
        catalog=catalog, ledger=ledger, printer=FakePrinter(), drawer=FakeDrawer(),
        payments=FakePayments(), card=FakeCard(), clock=clock,
        gate=FakeGate({"c1": full_rights(), "c2": full_rights()}),
        settings=StoreSettings(terminal_id="T1", require_open_shift=False), clerk_id=clerk,
    )


def _codes(ledger: SqliteLedger, n: int) -> list[str]:
    items, _, _ = sample_catalog()
    plain = [i.barcodes[0] for i in items
             if i.unit != "kg" and not i.open_price and i.price > 0 and i.barcodes
             and len(i.barcodes[0]) == 13]
    return plain[:n]


def _journal(ledger: SqliteLedger) -> list:
    return ledger.entries(limit=100_000)


def test_projection_agrees_with_the_journal_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    clock = ManualClock()
    ledger = open_ledger(path, "T1", clock)
    s = _session(ledger, clock)
    a, b, c = _codes(ledger, 3)
    s.add_barcode(a)
    s.add_barcode(b)
    s.suspend()  # held
    s.add_barcode(c)
    s.suspend(parked=True)  # parked
    s.add_barcode(a)
    s.discount_sale(percent_bp=1000, reason="staff")
    s.start_tender()
    s.pay_card(100)
    s.pay_qr(WECHAT, 50)
    s.remove_tender(0)  # the card payment taken off again
    assert ledger.pending_sales() == fold(_journal(ledger))
    assert [(p.status, len(p.lines)) for p in ledger.pending_sales()] == [
        ("held", 2), ("parked", 1), ("open", 1)]
    open_sale = ledger.pending_sales()[-1]
    assert [(t.kind, t.amount) for t in open_sale.payments] == [("qr", 50)]
    assert open_sale.sale_discount is not None and open_sale.sale_discount["percent_bp"] == 1000
    ledger.close()
    assert verify_file(path).ok

    ledger = open_ledger(path, "T1", clock)
    again = _session(ledger, clock)
    again.restore_pending(ledger.pending_sales())
    again.resume_own()
    snap = again.snapshot()
    assert snap.sale_id == open_sale.sale_id and snap.paid == 50 and snap.state == "tendering"
    again.pay_cash(snap.cash_due)
    held = [v.sale_id for v in again.snapshot().suspended]
    again.new_sale()
    for sale_id in held:
        again.recall(sale_id)
        again.void_sale(reason="test")
    assert ledger.pending_sales() == [] == fold(_journal(ledger))
    # Completing and voiding cleared the rows, not only hid them.
    assert ledger.db.execute_sql("SELECT count(*) FROM pending_sale").fetchone()[0] == 0
    assert ledger.db.execute_sql("SELECT count(*) FROM pending_payment").fetchone()[0] == 0
    ledger.close()
    assert verify_file(path).ok


def test_an_upgraded_terminal_fills_the_pending_area_from_its_history(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    clock = ManualClock()
    ledger = open_ledger(path, "T1", clock)
    s = _session(ledger, clock)
    a, b = _codes(ledger, 2)
    s.add_barcode(a)
    s.suspend()  # held, never recalled
    s.add_barcode(b)
    s.suspend()
    s.recall(s.snapshot().suspended[-1].sale_id)
    s.pay_cash(100_000)  # held, recalled and sold: not pending
    s.add_barcode(b)
    s.void_sale(reason="left")  # voided: not pending
    expected = fold(_journal(ledger))
    assert [p.status for p in expected] == ["held"]
    ledger.close()
    # The file as a terminal from before the pending area left it: the journal has the
    # history, the area's tables and version are not there.
    con = sqlite3.connect(path)
    con.executescript(
        "DROP TABLE pending_payment; DROP TABLE pending_sale; "
        "DELETE FROM schema_version WHERE area = 'pending';"
    )
    con.close()

    upgraded = open_ledger(path, "T1", clock)
    assert upgraded.pending_sales() == expected
    upgraded.close()
    assert verify_file(path).ok


def test_a_payment_row_points_at_its_journal_entry(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    clock = ManualClock()
    ledger = open_ledger(path, "T1", clock)
    s = _session(ledger, clock)
    s.add_barcode(_codes(ledger, 1)[0])
    s.start_tender()
    s.pay_qr(WECHAT, 10)
    (seq, kind) = ledger.db.execute_sql(
        "SELECT p.seq, j.kind FROM pending_payment p JOIN journal j USING (seq)"
    ).fetchone()
    assert kind == "payment.authorised"
    assert ledger.entry(seq).payload["reference"] == "QR000001"
    ledger.close()
