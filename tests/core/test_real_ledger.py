"""Checkout, refunds and shifts on the real SQLite ledger and catalog: a full day at the counter,
then the file verifies and the reports agree with what was sold."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.core.barcodes import make_variable_measure
from terminal.core.checkout import SaleSession
from terminal.core.clock import ManualClock
from terminal.core.errors import JournalError
from terminal.core.records import SaleRecord
from terminal.core.refund import RefundService
from terminal.core.settings import StoreSettings
from terminal.core.shift import ShiftService
from terminal.ledger.db import open_ledger
from terminal.ledger.verify import verify_file
from terminal.sample import sample_catalog

from .fakes import FakeCard, FakeDrawer, FakeGate, FakePayments, FakePrinter, full_rights

WECHAT = "134567890123456789"


@pytest.fixture
def counter(tmp_path: Path):
    clock = ManualClock()
    ledger = open_ledger(tmp_path / "ledger.sqlite3", "T1", clock)
    catalog = ledger.catalog()
    items, taxes, quick = sample_catalog()
    catalog.set_tax_classes(taxes)
    catalog.upsert_items(items)
    catalog.set_quick_keys(quick)
    gate = FakeGate({"1002": full_rights(), "1001": full_rights()})
    settings = StoreSettings(terminal_id="T1", cash_rounding_step=10)
    ports = dict(
        ledger=ledger,
        printer=FakePrinter(),
        drawer=FakeDrawer(),
        clock=clock,
        gate=gate,
        settings=settings,
        clerk_id="1002",
        clerk_name="Wang Wei",
    )
    session = SaleSession(catalog=catalog, payments=FakePayments(), card=FakeCard(), **ports)
    shifts = ShiftService(**ports)
    refunds = RefundService(payments=session.payments, catalog=catalog, **ports)
    yield ledger, catalog, session, shifts, refunds, ports
    ledger.close()


def test_full_day_through_the_real_ledger(counter) -> None:
    ledger, _, session, shifts, refunds, ports = counter
    items, _, _ = sample_catalog()
    cola = next(i for i in items if i.name == "Cola 330ml can")
    chips = next(i for i in items if i.name.startswith("Potato chips Original 70g"))
    layout = ports["settings"].variable_measure

    shift_id = shifts.open_shift(20_000)
    session.add_barcode(cola.barcodes[0])
    session.add_barcode(chips.barcodes[0])
    session.add_barcode(make_variable_measure("10002", 1357, layout))  # apples, price label
    session.add_barcode(make_variable_measure("10001", 1250, layout, kind="weight"))  # bananas
    session.start_tender()
    session.pay_cash(1000)
    snap = session.pay_qr(WECHAT)
    assert snap.state == "completed" and snap.receipt_no == 1

    stored = ledger.find_sale(receipt_no=1)
    assert stored is not None and stored.receipt_no == 1
    assert stored.total == 300 + 650 + 1357 + 998 == snap.total
    assert [t.kind for t in stored.tenders] == ["cash", "qr"]
    assert stored.shift_id == shift_id
    assert SaleRecord.from_payload(stored.to_payload()) == stored

    session.add_barcode(cola.barcodes[0])
    session.pay_cash(500)  # 3.00 in cash, no rounding needed; 2.00 change

    out = refunds.refund(
        refunds.find(qr=f"POS1:T1:{stored.sale_id}"), {1: 1000}, reason="dented can"
    )
    assert out.receipt_no == 3 and out.total == 300
    assert ledger.refunded_milli(stored.sale_id) == {1: 1000}

    x = shifts.x_report()
    assert x.totals.sales_count == 2 and x.totals.refunds_count == 1
    assert x.totals.net_sales == stored.total + 300

    result = shifts.close_shift(x.totals.expected_cash)
    assert result.over_short == 0
    z = shifts.z_report()
    assert z.number == 1
    assert z.totals.net_sales == stored.total + 300 and z.totals.refunds_total == out.total
    dup = shifts.reprint_z(1)
    assert dup.duplicate and dup.totals.net_sales == z.totals.net_sales

    report = verify_file(ledger.path)
    assert report.ok, report.summary()


def test_disk_full_on_the_real_ledger_keeps_the_sale(counter) -> None:
    ledger, _, session, shifts, _, _ = counter
    items, _, _ = sample_catalog()
    shifts.open_shift(0)
    for item in items[:40]:
        session.add_sku(item.sku)
    session.start_tender()
    pages = ledger.db.execute_sql("PRAGMA page_count").fetchone()[0]
    ledger.db.execute_sql(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(JournalError):
        session.pay_cash(10**7)
    snap = session.snapshot()
    assert snap.state == "tendering" and len(snap.lines) == 40 and snap.balance_due == 0
    assert ledger.find_sale(sale_id=snap.sale_id) is None
    ledger.db.execute_sql("PRAGMA max_page_count = 1073741823")
    snap = session.complete()
    assert snap.state == "completed" and snap.receipt_no == 1
    assert ledger.find_sale(receipt_no=1).sale_id == snap.sale_id
    assert verify_file(ledger.path).ok


def test_price_label_on_goods_sold_by_weight_moves_the_weight(counter) -> None:
    """Pork belly at 35.98/kg, a scale label priced 12.34: the receipt shows the 0.343 kg the
    price stands for, the stock drops by 343 g, the customer pays the label's price."""
    from dataclasses import replace

    from terminal.core.records import Row

    ledger, catalog, session, shifts, _, ports = counter
    pork = catalog.by_sku("P10201")
    assert (pork.price, pork.unit) == (3598, "kg")
    catalog.upsert_items([replace(pork, stock_milli=10_000)])
    shifts.open_shift(0)
    snap = session.add_barcode("2210201012346")
    (line,) = snap.lines
    assert (line.qty_milli, line.unit_price, line.gross) == (343, 3598, 1234)
    snap = session.pay_card()
    assert snap.state == "completed" and snap.total == 1234
    assert catalog.by_sku("P10201").stock_milli == 10_000 - 343
    stored = ledger.find_sale(receipt_no=snap.receipt_no)
    assert [(ln.qty_milli, ln.unit_price) for ln in stored.lines] == [(343, 3598)]
    rows = [b.left for b in ports["printer"].docs[-1].blocks if isinstance(b, Row)]
    assert any("0.343 kg x 35.98" in r for r in rows), rows
    assert not any("1.000 kg" in r for r in rows)
    assert verify_file(ledger.path).ok
