"""Projections and report queries: each figure of ReportTotals checked by hand arithmetic."""

from __future__ import annotations

import dataclasses

import pytest

from terminal.core.clock import ManualClock
from terminal.core.ports import LedgerError
from terminal.core.records import Item
from terminal.ledger.ledger import SqliteLedger

from .builders import line, post_sale, sale


def _open_shift(ledger: SqliteLedger, shift_id: str = "s1", float_: int = 10000) -> None:
    ledger.post("shift.opened", {"shift_id": shift_id, "opening_float": float_}, staff_id="u1")


def test_sale_projection_and_find_sale(ledger: SqliteLedger) -> None:
    _open_shift(ledger)
    record = sale(3, shift_id="s1", tenders=[("cash", 300), ("qr", 300)])
    entry = post_sale(ledger, record)
    found = ledger.find_sale(sale_id=record.sale_id)
    assert found == dataclasses.replace(record, receipt_no=entry.number)
    assert ledger.find_sale(receipt_no=1) == found
    assert ledger.find_sale(receipt_no=2) is None
    assert ledger.find_sale(sale_id="nope") is None
    lines = ledger.db.execute_sql(
        "SELECT line_no, sku, qty_milli, net FROM sale_line ORDER BY line_no"
    ).fetchall()
    assert lines == [(1, "A1", 1000, 100), (2, "A2", 1000, 200), (3, "A3", 1000, 300)]


def test_training_sale_found_only_in_training(ledger: SqliteLedger) -> None:
    record = sale(1, training=True)
    post_sale(ledger, record)
    assert ledger.find_sale(receipt_no=1) is None
    assert ledger.find_sale(receipt_no=1, training=True).sale_id == record.sale_id


def test_stock_moves_with_sales_and_refunds(ledger: SqliteLedger) -> None:
    catalog = ledger.catalog()
    catalog.upsert_items(
        [
            Item("A1", "Apple", "苹果", 350, stock_milli=10_000),
            Item("K1", "Rice", "大米", 800, unit="kg", stock_milli=5_000),
            Item("N1", "Bag", "袋子", 10),  # not stock-tracked
        ]
    )
    original = sale([line(1, "A1", 2000, 350), line(2, "K1", 1250, 800), line(3, "N1", 1000, 10)])
    post_sale(ledger, original)
    assert catalog.by_sku("A1").stock_milli == 8_000
    assert catalog.by_sku("K1").stock_milli == 3_750
    assert catalog.by_sku("N1").stock_milli is None
    post_sale(ledger, sale([line(1, "A1", 1000, 350)], training=True))
    assert catalog.by_sku("A1").stock_milli == 8_000
    refund = sale(
        [line(1, "A1", 1000, 350), line(2, "K1", 250, 800)],
        kind="refund",
        original_sale_id=original.sale_id,
    )
    post_sale(ledger, refund)
    assert catalog.by_sku("A1").stock_milli == 9_000
    assert catalog.by_sku("K1").stock_milli == 4_000
    assert ledger.refunded_milli(original.sale_id) == {1: 1000, 2: 250}
    post_sale(
        ledger,
        sale([line(1, "A1", 500, 350)], kind="refund", original_sale_id=original.sale_id),
    )
    assert ledger.refunded_milli(original.sale_id) == {1: 1500, 2: 250}
    assert ledger.refunded_milli("other") == {}


def test_refund_of_unknown_sale_is_refused_whole(ledger: SqliteLedger) -> None:
    with pytest.raises(LedgerError, match="unknown sale"):
        post_sale(ledger, sale(1, kind="refund", original_sale_id="missing"))
    assert ledger.last_entry() is None
    assert ledger.db.execute_sql("SELECT count(*) FROM sale").fetchone()[0] == 0


def test_sale_posted_under_the_wrong_kind_is_refused(ledger: SqliteLedger) -> None:
    record = sale(1, kind="refund")
    with pytest.raises(LedgerError, match="kind"):
        ledger.post("sale.completed", record.to_payload(), staff_id="u1", series="receipt")
    with pytest.raises(LedgerError, match="series"):
        ledger.post("sale.completed", sale(1).to_payload(), staff_id="u1")
    assert ledger.last_entry() is None


def test_totals_shift_day_staff_and_training(ledger: SqliteLedger, clock: ManualClock) -> None:
    _open_shift(ledger, "s1", 10000)
    a = sale([line(1, "A1", 2000, 350, discount=100)], staff_id="u1", shift_id="s1")
    b = sale(2, staff_id="u2", shift_id="s1", tenders=[("cash", 100), ("card", 200)])
    post_sale(ledger, a)  # total 600, tax 69
    post_sale(ledger, b)  # total 300
    post_sale(ledger, sale(5, shift_id="s1", training=True))
    post_sale(
        ledger,
        sale([line(1, "A1", 1000, 350)], kind="refund", original_sale_id=a.sale_id, shift_id="s1"),
    )
    ledger.post(
        "line.voided",
        {
            "sale_id": "x",
            "line_no": 1,
            "sku": "A1",
            "qty_milli": 1000,
            "amount": 350,
            "reason": "wrong",
            "approver_id": None,
        },
        staff_id="u1",
    )
    ledger.post(
        "sale.voided",
        {"sale_id": "y", "lines": 2, "total": 500, "reason": "left", "approver_id": "m1"},
        staff_id="u2",
    )
    ledger.post("drawer.opened", {"reason": "no_sale", "approver_id": "m1"}, staff_id="u1")
    ledger.post("drawer.opened", {"reason": "sale", "sale_id": a.sale_id}, staff_id="u1")
    ledger.post("drawer.opened", {"reason": "no_sale"}, staff_id="u9", training=True)
    ledger.post(
        "shift.cash_in", {"shift_id": "s1", "amount": 2000, "reason": "change"}, staff_id="u1"
    )
    ledger.post("shift.cash_out", {"amount": 500, "reason": "pickup"}, staff_id="u1")

    t = ledger.totals(shift_id="s1")
    assert (t.sales_count, t.refunds_count) == (2, 1)
    assert t.items_milli == 4000
    assert (t.gross, t.discounts, t.net_sales) == (1000, 100, 900)
    assert t.tax == a.tax_total + b.tax_total
    assert t.refunds_total == 350
    assert t.by_tender == {"cash": 600 + 100 - 350, "card": 200}
    assert (t.line_voids, t.sale_voids, t.no_sales) == (1, 1, 1)
    assert (t.cash_in, t.cash_out, t.opening_float) == (2000, 500, 10000)
    assert t.expected_cash == 10000 + 350 + 2000 - 500
    assert (t.first_receipt, t.last_receipt) == (1, 3)
    assert (t.first_seq, t.last_seq) == (2, 5)
    assert ledger.totals(since_last_z=True) == t
    assert ledger.totals() == t

    mine = ledger.totals(staff_id="u2")
    assert (mine.sales_count, mine.net_sales, mine.sale_voids, mine.line_voids) == (1, 300, 1, 0)
    assert mine.by_tender == {"cash": 100, "card": 200}
    assert ledger.totals(shift_id="other").sales_count == 0

    shift = ledger.current_shift()
    assert shift["shift_id"] == "s1" and shift["opening_float"] == 10000
    assert (shift["cash_in"], shift["cash_out"]) == (2000, 500)


def test_z_report_closes_the_day_and_time_filters(ledger: SqliteLedger, clock: ManualClock) -> None:
    _open_shift(ledger, "s1", 5000)
    post_sale(ledger, sale(1, shift_id="s1"))  # 100
    ledger.post(
        "shift.closed",
        {"shift_id": "s1", "counted": 5100, "expected": 5100, "over_short": 0, "totals": {}},
        staff_id="u1",
    )
    assert ledger.current_shift() is None
    day1 = ledger.totals(since_last_z=True)
    last = ledger.last_entry().seq
    z = ledger.post(
        "report.z",
        {"from_seq": 1, "to_seq": last, "totals": day1.to_payload()},
        staff_id="m1",
        series="z",
    )
    assert ledger.last_z()["number"] == 1
    assert ledger.last_z()["to_seq"] == last
    assert ledger.z_report(1)["totals"]["net_sales"] == 100
    assert ledger.z_report(2) is None

    clock.advance(3600 * 24)
    _open_shift(ledger, "s2", 3000)
    post_sale(ledger, sale(2, shift_id="s2"))  # 300
    day2 = ledger.totals(since_last_z=True)
    assert (day2.sales_count, day2.net_sales, day2.opening_float) == (1, 300, 3000)
    assert day2.first_receipt == day2.last_receipt == 2
    assert ledger.totals().net_sales == 400
    assert ledger.totals(since="2026-01-06T00:00:00+00:00").net_sales == 300
    assert ledger.totals(until="2026-01-06T00:00:00Z").net_sales == 100
    # A naive time is UTC; a zoned one is converted.
    assert ledger.totals(since="2026-01-06T09:00:00+08:00").net_sales == 300
    assert z.number == 1


def test_shift_rules_are_enforced_by_the_projection(ledger: SqliteLedger) -> None:
    with pytest.raises(LedgerError, match="needs an open shift"):
        ledger.post("shift.cash_in", {"amount": 100, "reason": "x"}, staff_id="u1")
    _open_shift(ledger, "s1")
    with pytest.raises(LedgerError, match="still open"):
        _open_shift(ledger, "s2")
    with pytest.raises(LedgerError, match="positive"):
        ledger.post("shift.cash_out", {"amount": -5, "reason": "x"}, staff_id="u1")
    # Training shifts are their own: practising a close leaves the real shift open.
    ledger.post("shift.opened", {"shift_id": "t1", "opening_float": 0}, staff_id="t", training=True)
    ledger.post("shift.closed", {"shift_id": "t1", "counted": 0}, staff_id="t", training=True)
    assert ledger.current_shift()["shift_id"] == "s1"
    assert ledger.current_shift(training=True) is None
    assert [e.seq for e in ledger.entries()] == [1, 2, 3]


@pytest.mark.parametrize(
    ("kind", "payload", "words"),
    [
        ("line.voided", {"sale_id": "x", "amount": 5}, "missing line_no"),
        ("line.voided", {"sale_id": "x", "line_no": 1, "amount": "5"}, "must be an integer"),
        ("sale.voided", {"total": 5}, "missing sale_id"),
        ("shift.opened", {"shift_id": "s"}, "missing opening_float"),
        ("report.z", {"from_seq": 1, "to_seq": 2}, "missing totals"),
        ("sale.completed", {"sale_id": "x"}, "sale.completed was not recorded"),
    ],
)
def test_malformed_payloads_are_refused_whole(
    ledger: SqliteLedger, kind: str, payload: dict, words: str
) -> None:
    with pytest.raises(LedgerError, match=words):
        ledger.post(kind, payload, staff_id="u1", series="z" if kind == "report.z" else None)
    assert ledger.last_entry() is None and ledger.outbox().depth() == 0
