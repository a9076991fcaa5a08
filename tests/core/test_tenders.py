"""Quick-cash suggestions and the sale state machine on its own."""

from __future__ import annotations

import pytest

from terminal.core.errors import IllegalStep, InvalidInput
from terminal.core.records import Item, TaxClass, TenderRecord
from terminal.core.sale import Sale, SaleState
from terminal.core.tenders import check_electronic_amount, quick_cash

NOTES = (1000, 2000, 5000, 10000)


@pytest.mark.parametrize(
    ("due", "want"),
    [
        (3720, [3720, 4000, 5000, 10000]),
        (4000, [4000, 5000, 10000]),
        (100, [100, 1000, 2000, 5000]),
        (12345, [12345, 13000, 14000, 15000]),
        (0, []),
    ],
)
def test_quick_cash(due: int, want: list[int]) -> None:
    assert quick_cash(due, NOTES) == want


def test_quick_cash_other_notes_and_count() -> None:
    assert quick_cash(3720, (100, 500, 1000, 5000, 10000), count=6) == [
        3720,
        3800,
        4000,
        5000,
        10000,
    ]
    assert quick_cash(3720, ()) == [3720]


def test_electronic_amount_checks() -> None:
    check_electronic_amount(100, 100)
    with pytest.raises(IllegalStep):
        check_electronic_amount(101, 100)
    with pytest.raises(InvalidInput):
        check_electronic_amount(0, 100)


def _sale(**kw) -> Sale:
    s = Sale("s1", "2026-01-05T02:00:00+00:00", **kw)
    s.cart.add(Item("A", "A", "A", 1234), TaxClass("standard", 1300))
    return s


def test_state_machine() -> None:
    s = _sale()
    assert s.state is SaleState.OPEN
    with pytest.raises(IllegalStep) as e:
        s.add_cash(100)
    assert e.value.code == "sale.open"
    s.begin_tender()
    s.back_to_cart()
    s.begin_tender()
    s.add_cash(1000)
    assert s.balance == 234 and not s.fully_paid
    with pytest.raises(IllegalStep):
        s.back_to_cart()
    with pytest.raises(IllegalStep):
        s.add_tender(TenderRecord("card", 235, 235))
    s.add_tender(TenderRecord("card", 234, 234))
    assert s.fully_paid
    with pytest.raises(IllegalStep) as e:
        s.require_can_add()
    assert e.value.code == "sale.paid"
    rec = s.build_record(
        terminal_id="T1",
        shift_id=None,
        staff_id="a",
        completed_at="2026-01-05T02:01:00+00:00",
        training=False,
    )
    s.mark_completed(rec, 7)
    assert s.state is SaleState.COMPLETED and s.record.receipt_no == 7
    for step in (s.begin_tender, s.suspend, s.mark_voided, s.recall):
        with pytest.raises(IllegalStep):
            step()


def test_cash_rounding_and_change() -> None:
    s = _sale(cash_step=10)
    s.begin_tender()
    assert s.cash_due == 1230
    rec = s.add_cash(2000)
    assert (rec.amount, rec.change, s.rounding, s.total, s.balance) == (1230, 770, -4, 1230, 0)


def test_partial_cash_is_not_rounded() -> None:
    s = _sale(cash_step=10)
    s.begin_tender()
    s.add_cash(1000)
    assert s.rounding == 0 and s.balance == 234 and s.cash_due == 230
    s.add_cash(230)
    assert s.fully_paid and s.total == 1230


def test_suspend_recall_rules() -> None:
    s = _sale()
    s.suspend()
    assert s.state is SaleState.SUSPENDED
    with pytest.raises(IllegalStep):
        s.require_can_add()
    s.recall()
    assert s.state is SaleState.OPEN
    empty = Sale("s2", "t")
    with pytest.raises(IllegalStep):
        empty.suspend()
    with pytest.raises(IllegalStep):
        empty.begin_tender()
