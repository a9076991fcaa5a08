"""Cart totals: tax inclusive and exclusive, discounts and their allocation, voids, merging."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.core.cart import Cart, Discount, tax_of
from terminal.core.errors import IllegalStep, InvalidInput
from terminal.core.records import Item, TaxClass

VAT13 = TaxClass("standard", 1300, True)
VAT9 = TaxClass("agri", 900, True)
EXCL = TaxClass("excl", 825, False)
ZERO = TaxClass("zero", 0, True)


def item(sku: str, price: int, unit: str = "each") -> Item:
    return Item(sku, sku.title(), sku, price, unit=unit)


def test_tax_of() -> None:
    assert tax_of(1130, VAT13) == 130
    assert tax_of(100, VAT13) == 12  # 11.50 -> 12 (half up)
    assert tax_of(1090, VAT9) == 90
    assert tax_of(1000, EXCL) == 83  # 82.5 -> 83
    assert tax_of(1000, ZERO) == 0


def test_lines_and_totals() -> None:
    cart = Cart()
    cart.add(item("a", 1130), VAT13)
    cart.add(item("b", 1000), EXCL, qty_milli=2000)
    cart.add(item("c", 1198, "kg"), VAT9, qty_milli=1250)
    t = cart.totals()
    assert [x.gross for x in t.lines] == [1130, 2000, 1498]
    assert [x.tax for x in t.lines] == [130, 165, 124]
    assert t.subtotal == 4628 and t.tax_total == 419
    assert t.total == 4628 + 165
    assert t.items_milli == 4250
    assert t.by_tax == (
        ("agri", 900, True, 1498, 124),
        ("excl", 825, False, 2000, 165),
        ("standard", 1300, True, 1130, 130),
    )


def test_merge_only_plain_piece_lines() -> None:
    cart = Cart()
    a = item("a", 100)
    cart.add(a, VAT13)
    cart.add(a, VAT13)
    assert [ln.qty_milli for ln in cart.lines] == [2000]
    cart.set_line_discount(1, Discount(percent_bp=1000))
    cart.add(a, VAT13)  # a discounted line is not merged into
    cart.add(a, VAT13, unit_price=50, price_source="open")
    k = item("k", 1000, "kg")
    cart.add(k, VAT9, qty_milli=500)
    cart.add(k, VAT9, qty_milli=500)
    assert [ln.qty_milli for ln in cart.lines] == [2000, 1000, 1000, 500, 500]


def test_void_is_kept_but_excluded() -> None:
    cart = Cart()
    cart.add(item("a", 100), VAT13)
    cart.add(item("b", 200), VAT13)
    cart.void(1, reason="x")
    t = cart.totals()
    assert [x.line_no for x in t.lines] == [2] and t.total == 200
    assert len(cart.lines) == 2 and cart.lines[0].voided
    with pytest.raises(IllegalStep):
        cart.void(1)
    with pytest.raises(InvalidInput):
        cart.line(9)
    # a new scan of a voided item makes a new line
    cart.add(item("a", 100), VAT13)
    assert [ln.line_no for ln in cart.active] == [2, 3]


def test_quantity_rules() -> None:
    cart = Cart(max_qty_milli=10_000)
    with pytest.raises(InvalidInput):
        cart.add(item("a", 100), VAT13, qty_milli=1500)
    with pytest.raises(InvalidInput):
        cart.add(item("a", 100), VAT13, qty_milli=0)
    with pytest.raises(InvalidInput):
        cart.add(item("a", 100), VAT13, qty_milli=11_000)
    with pytest.raises(InvalidInput):
        cart.add(item("a", -1), VAT13)
    assert cart.lines == []


def test_discounts() -> None:
    cart = Cart()
    cart.add(item("a", 1000), VAT13)
    cart.add(item("b", 3000), VAT13)
    cart.set_line_discount(1, Discount(amount=100))
    cart.set_sale_discount(Discount(percent_bp=1000))  # 10 % of 900 + 3000 = 390
    t = cart.totals()
    assert [x.discount for x in t.lines] == [100 + 90, 300]
    assert t.discount_total == 490 and t.total == 3510
    assert all(x.net == x.gross - x.discount for x in t.lines)
    cart.set_sale_discount(Discount(amount=10_000))  # capped at what is left
    assert cart.totals().total == 0


def test_discount_validation_and_effective_percent() -> None:
    with pytest.raises(InvalidInput):
        Discount()
    with pytest.raises(InvalidInput):
        Discount(percent_bp=100, amount=1)
    with pytest.raises(InvalidInput):
        Discount(percent_bp=10_001)
    with pytest.raises(InvalidInput):
        Discount(amount=0)
    assert Discount(amount=80).effective_bp(790) == 1013
    assert Discount(amount=79).effective_bp(790) == 1000
    assert Discount(percent_bp=500).effective_bp(0) == 500


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 100_000),
            st.integers(1, 20),
            st.sampled_from([VAT13, VAT9, EXCL, ZERO]),
            st.one_of(st.none(), st.integers(1, 10_000)),
        ),
        min_size=1,
        max_size=12,
    ),
    st.one_of(st.none(), st.integers(1, 10_000), st.integers(10_001, 10**7)),
)
def test_totals_are_always_consistent(lines, sale_disc) -> None:
    cart = Cart(merge_lines=False)
    for n, (price, qty, tax, disc_bp) in enumerate(lines):
        cart.add(item(f"i{n}", price), tax, qty_milli=qty * 1000)
        if disc_bp:
            cart.set_line_discount(n + 1, Discount(percent_bp=disc_bp))
    if sale_disc is not None:
        d = Discount(percent_bp=sale_disc) if sale_disc <= 10_000 else Discount(amount=sale_disc)
        cart.set_sale_discount(d)
    t = cart.totals()
    assert t.subtotal == sum(x.gross for x in t.lines)
    assert t.discount_total == sum(x.discount for x in t.lines)
    assert t.tax_total == sum(x.tax for x in t.lines)
    excl = sum(x.tax for x in t.lines if not x.tax_inclusive)
    assert t.total == sum(x.net for x in t.lines) + excl
    for x in t.lines:
        assert 0 <= x.discount <= x.gross and x.net == x.gross - x.discount
        assert 0 <= x.tax <= max(x.net, 0) or not x.tax_inclusive
