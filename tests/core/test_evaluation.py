"""Clerk figures against the hand-computed fixture journal, scope by the store-report right,
ratings and CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from terminal.core.errors import InvalidInput
from terminal.core.evaluation import CSV_COLUMNS, LedgerScan, compute_figures
from terminal.core.rights import PermissionDenied

from . import evaluation_fixture as fx
from .staff_fakes import StaffEnv


@pytest.fixture
def env() -> StaffEnv:
    e = StaffEnv()
    e.evaluation.cash_tolerance = fx.TOLERANCE
    fx.load(e.ledger, e.clock)
    return e


def assert_matches(fig: object, expected: dict) -> None:
    for key, value in expected.items():
        got = getattr(fig, key)
        if isinstance(value, float):
            assert got == pytest.approx(value), key
        else:
            assert got == value, key


@pytest.mark.parametrize("clerk", sorted(fx.EXPECTED))
def test_figures_match_the_hand_computed_fixture(env: StaffEnv, clerk: str) -> None:
    [fig] = env.evaluation.figures("mgr1", staff_id=clerk, since=fx.SINCE, until=fx.UNTIL)
    assert_matches(fig, fx.EXPECTED[clerk])


def test_ledger_scan_reads_the_same_figures(env: StaffEnv) -> None:
    scan = LedgerScan(env.ledger, page=3)
    figs = compute_figures(
        scan.staff_entries(
            kinds=(
                "sale.completed",
                "refund.completed",
                "sale.voided",
                "line.voided",
                "drawer.opened",
                "shift.closed",
                "sale.rated",
            ),
            since=fx.SINCE,
            until=fx.UNTIL,
        ),
        cash_tolerance=fx.TOLERANCE,
    )
    for clerk, expected in fx.EXPECTED.items():
        assert_matches(figs[clerk], expected)


def test_period_bounds(env: StaffEnv) -> None:
    [all_time] = env.evaluation.figures("mgr1", staff_id="cash1")
    assert all_time.sales_count == 4  # the next day's sale joins; training still does not
    [next_day] = env.evaluation.figures(
        "mgr1", staff_id="cash1", since=fx.UNTIL, until="2026-01-07T00:00:00+00:00"
    )
    assert next_day.sales_count == 1 and next_day.refunds == 0
    with pytest.raises(InvalidInput):
        env.evaluation.figures("mgr1", since=fx.UNTIL, until=fx.SINCE)


def test_clerk_sees_only_own_figures(env: StaffEnv) -> None:
    rows = env.evaluation.figures("cash1", since=fx.SINCE, until=fx.UNTIL)
    assert [r.staff_id for r in rows] == ["cash1"]
    assert rows[0].name == "Chen Jing"
    with pytest.raises(PermissionDenied):
        env.evaluation.figures("cash1", staff_id="cash2")
    assert env.evaluation.store_scope("cash1") is False


def test_store_scope_sees_everyone(env: StaffEnv) -> None:
    rows = env.evaluation.figures("sup1", since=fx.SINCE, until=fx.UNTIL)
    ids = [r.staff_id for r in rows]
    assert "cash1" in ids and "cash2" in ids and "mgr1" in ids
    idle = next(r for r in rows if r.staff_id == "mgr1")
    assert idle.sales_count == 0 and idle.items_per_minute is None and idle.void_ratio is None


def test_csv_export(env: StaffEnv) -> None:
    text = env.evaluation.export_csv("mgr1", since=fx.SINCE, until=fx.UNTIL)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_id = {r["staff_id"]: r for r in rows}
    assert by_id["cash1"]["sales_amount"] == "6100"
    assert by_id["cash1"]["items_per_minute"] == "1.7500"
    assert by_id["cash1"]["void_ratio"] == "0.6667"
    assert by_id["mgr1"]["rating_average"] == ""


def test_ratings_are_validated_and_training_ratings_do_not_count(env: StaffEnv) -> None:
    for bad in (0, 6, 4.5, True, "5"):
        with pytest.raises(InvalidInput):
            env.ratings.rate("S6", "cash2", bad)  # type: ignore[arg-type]
    env.ratings.rate("S6", "cash2", 5)
    env.ratings.rate("T1", "cash2", 1, training=True)
    [fig] = env.evaluation.figures("mgr1", staff_id="cash2")
    assert fig.ratings_count == 2 and fig.rating_average == 4.0
