"""Exact money arithmetic: rounding modes, allocation, cash rounding, formatting, parsing."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.core.errors import MoneyFormatError
from terminal.core.money import (
    Rounding,
    allocate,
    cash_round,
    div_round,
    exponent,
    format_money,
    format_qty,
    mul_qty,
    parse_money,
    parse_qty,
    percent_of,
)


@pytest.mark.parametrize(
    ("n", "d", "mode", "want"),
    [
        (5, 2, Rounding.HALF_UP, 3),
        (-5, 2, Rounding.HALF_UP, -3),
        (5, 2, Rounding.HALF_EVEN, 2),
        (7, 2, Rounding.HALF_EVEN, 4),
        (-7, 2, Rounding.HALF_EVEN, -4),
        (9, 4, Rounding.DOWN, 2),
        (-9, 4, Rounding.DOWN, -2),
        (9, 4, Rounding.UP, 3),
        (-9, 4, Rounding.UP, -3),
        (8, 4, Rounding.UP, 2),
        (14, 10, Rounding.HALF_UP, 1),
        (15, 10, Rounding.HALF_UP, 2),
        (5, -2, Rounding.HALF_UP, -3),
    ],
)
def test_div_round(n: int, d: int, mode: Rounding, want: int) -> None:
    assert div_round(n, d, mode) == want


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**6), st.sampled_from(list(Rounding)))
def test_div_round_matches_exact_fraction(n: int, d: int, mode: Rounding) -> None:
    exact = Fraction(n, d)
    got = div_round(n, d, mode)
    assert abs(got - exact) < 1
    if mode is Rounding.HALF_UP or mode is Rounding.HALF_EVEN:
        assert abs(got - exact) <= Fraction(1, 2)
    if mode is Rounding.DOWN:
        assert abs(got) <= abs(exact)
    if mode is Rounding.UP:
        assert abs(got) >= abs(exact)


def test_mul_qty_and_percent() -> None:
    assert mul_qty(1198, 1250) == 1498  # 14.975 -> 14.98
    assert mul_qty(999, 333) == 333  # 332.667
    assert mul_qty(350, 3000) == 1050
    assert percent_of(790, 1000) == 79
    assert percent_of(1290, 1300) == 168  # 167.7


@given(st.integers(-(10**9), 10**9), st.lists(st.integers(0, 10**7), min_size=1, max_size=30))
def test_allocate_sums_exactly_and_is_close_to_proportional(total: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        weights[0] = 1
    parts = allocate(total, weights)
    assert sum(parts) == total
    wsum = sum(weights)
    for p, w in zip(parts, weights, strict=True):
        assert abs(p - Fraction(total * w, wsum)) < 1


def test_allocate_edge_cases() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        allocate(1, [0, 0])
    with pytest.raises(ValueError):
        allocate(1, [1, -1])


def test_cash_round() -> None:
    assert cash_round(3724, 10) == 3720
    assert cash_round(3725, 10) == 3730
    assert cash_round(3725, 10, Rounding.HALF_EVEN) == 3720
    assert cash_round(3721, 10, Rounding.UP) == 3730
    assert cash_round(3729, 10, Rounding.DOWN) == 3720
    assert cash_round(3723, 5) == 3725
    assert cash_round(3723, 0) == 3723
    assert cash_round(3723, 1) == 3723
    with pytest.raises(ValueError):
        cash_round(1, -10)


def test_format_money() -> None:
    assert format_money(1250, "CNY") == "¥12.50"
    assert format_money(-5, "CNY") == "-¥0.05"
    assert format_money(123456789, "USD", "en_US") == "$1,234,567.89"
    assert format_money(123456, "EUR", "de_DE") == "1.234,56 €"
    assert format_money(1250, "JPY") == "¥1,250"
    assert format_money(1250, "CNY", ascii_only=True) == "CNY 12.50"
    assert format_money(1250, "SGD") == "SGD 12.50"
    assert format_money(1250, "KWD") == "KWD 1.250"
    with pytest.raises(MoneyFormatError):
        format_money(1, "XXX")


def test_parse_money() -> None:
    assert parse_money("12.5", "CNY") == 1250
    assert parse_money("12", "CNY") == 1200
    assert parse_money(" ¥1,234.05 ", "CNY") == 123405
    assert parse_money("￥3", "CNY") == 300
    assert parse_money(".5", "CNY") == 50
    assert parse_money("7.", "CNY") == 700
    assert parse_money("1250", "JPY") == 1250
    assert parse_money("-1", "CNY", allow_negative=True) == -100
    for bad, code in [
        ("", "money.empty"),
        ("   ", "money.empty"),
        ("abc", "money.not_a_number"),
        ("1.2.3", "money.not_a_number"),
        (".", "money.not_a_number"),
        ("12.505", "money.too_many_decimals"),
        ("-1", "money.negative"),
        ("1e3", "money.not_a_number"),
    ]:
        with pytest.raises(MoneyFormatError) as e:
            parse_money(bad, "CNY")
        assert e.value.code == code, bad
    with pytest.raises(MoneyFormatError) as e:
        parse_money("12.5", "JPY")
    assert "no decimals" in str(e.value)


@given(st.integers(0, 10**12), st.sampled_from(["CNY", "USD", "JPY", "KWD"]))
def test_format_parse_round_trip(minor: int, currency: str) -> None:
    assert parse_money(format_money(minor, currency, "en_US"), currency) == minor


def test_exponent_and_quantities() -> None:
    assert exponent("cny") == 2 and exponent("JPY") == 0
    assert parse_qty("1.25", "kg") == 1250
    assert parse_qty("3") == 3000
    with pytest.raises(MoneyFormatError):
        parse_qty("1.5")
    with pytest.raises(MoneyFormatError):
        parse_qty("0")
    with pytest.raises(MoneyFormatError):
        parse_qty("1.2345", "kg")
    assert format_qty(1250, "kg") == "1.250 kg"
    assert format_qty(3000) == "3"
    assert format_qty(1500) == "1.5"
