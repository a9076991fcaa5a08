"""Barcodes: check digits, symbology detection, UPC-E expansion and GS1 variable measure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.core.barcodes import (
    EAN8,
    EAN13,
    UPCA,
    UPCE,
    VariableMeasureLayout,
    compress_upca,
    expand_upce,
    gtin_check_digit,
    has_valid_check_digit,
    lookup_keys,
    make_variable_measure,
    parse_product,
    parse_variable_measure,
    price_check_digit,
    with_check_digit,
)
from terminal.core.errors import BarcodeError

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def body(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


@pytest.mark.parametrize(
    ("code", "symbology"),
    [
        ("4006381333931", EAN13),
        ("9501101531000", EAN13),
        ("036000291452", UPCA),
        ("96385074", EAN8),
        ("04252614", UPCE),
    ],
)
def test_known_codes(code: str, symbology: str) -> None:
    assert parse_product(code).symbology == symbology


def test_known_check_digits() -> None:
    assert gtin_check_digit("400638133393") == 1
    assert gtin_check_digit("03600029145") == 2
    assert gtin_check_digit("9638507") == 4
    assert price_check_digit("2875") == 9
    assert price_check_digit("14685") == 6


def test_bad_check_digit_says_what_it_should_be() -> None:
    with pytest.raises(BarcodeError) as e:
        parse_product("4006381333932")
    assert e.value.code == "barcode.check_digit"
    assert "should be 1" in str(e.value)


@pytest.mark.parametrize("bad", ["", "abc", "123", "12345678901", "４００６３８１３３３９３１"])
def test_not_a_barcode(bad: str) -> None:
    with pytest.raises(BarcodeError):
        parse_product(bad)


@given(st.sampled_from([7, 11, 12]).flatmap(body))
def test_computed_check_digit_validates(b: str) -> None:
    code = with_check_digit(b)
    assert has_valid_check_digit(code)
    if len(code) in (8, 12, 13):
        assert parse_product(code).code == code


@given(body(12), st.integers(1, 9))
def test_any_single_digit_error_is_caught(b: str, delta: int) -> None:
    code = with_check_digit(b)
    for i in range(len(code)):
        wrong = code[:i] + str((int(code[i]) + delta) % 10) + code[i + 1 :]
        assert not has_valid_check_digit(wrong)


def test_upce_expansion_rules() -> None:
    assert expand_upce("04252614") == "042100005264"
    assert expand_upce("01234505") == "012000003455"
    assert expand_upce("01234558") == "012345000058"
    with pytest.raises(BarcodeError):
        expand_upce("24252614")
    with pytest.raises(BarcodeError) as e:
        expand_upce("04252615")
    assert e.value.code == "barcode.check_digit"


@given(st.sampled_from("01"), body(6))
def test_upce_round_trips(ns: str, six: str) -> None:
    partial = ns + six
    # the check digit of a UPC-E comes from its expansion
    for check in "0123456789":
        try:
            upca = expand_upce(partial + check)
        except BarcodeError:
            continue
        assert len(upca) == 12 and has_valid_check_digit(upca)
        back = compress_upca(upca)
        assert back is not None and expand_upce(back) == upca
        break
    else:
        pytest.fail("no check digit fits")


def test_lookup_keys() -> None:
    assert lookup_keys("036000291452") == ["036000291452", "0036000291452"]
    assert lookup_keys("0036000291452") == ["0036000291452", "036000291452"]
    assert lookup_keys("04252614") == ["04252614", "042100005264", "0042100005264"]
    assert lookup_keys("042100005264")[1:] == ["0042100005264", "04252614"]
    assert lookup_keys("hello") == ["hello"]


def test_variable_measure_default_layout() -> None:
    layout = VariableMeasureLayout()
    code = make_variable_measure("12345", 1250, layout)
    assert code.startswith("2212345") and has_valid_check_digit(code)
    vm = parse_variable_measure(code, layout)
    assert (vm.item_code, vm.kind, vm.value, vm.prefix) == ("12345", "price", 1250, "22")
    w = make_variable_measure("00042", 765, layout, kind="weight")
    vm = parse_variable_measure(w, layout)
    assert (vm.item_code, vm.kind, vm.value) == ("00042", "weight", 765)


def test_variable_measure_layout_with_price_check_digit() -> None:
    layout = VariableMeasureLayout(
        price_prefixes=("22",), weight_prefixes=("28",), item_digits=4, value_check_digit=True
    )
    assert layout.value_digits == 5
    code = make_variable_measure("0815", 14685, layout)
    assert code[6] == "6"  # the price check digit of 14685
    assert parse_variable_measure(code, layout).value == 14685
    bad = with_check_digit(code[:6] + "7" + code[7:12])
    with pytest.raises(BarcodeError) as e:
        parse_variable_measure(bad, layout)
    assert e.value.code == "barcode.value_check_digit"
    with pytest.raises(BarcodeError) as e:
        parse_variable_measure("2212345012500", VariableMeasureLayout())
    assert e.value.code == "barcode.check_digit"
    with pytest.raises(BarcodeError) as e:
        parse_variable_measure(with_check_digit("201234501250"), layout)
    assert e.value.code == "barcode.not_variable"


def test_layout_validation() -> None:
    with pytest.raises(ValueError):
        VariableMeasureLayout(price_prefixes=("20",), weight_prefixes=("20",))
    with pytest.raises(ValueError):
        VariableMeasureLayout(price_prefixes=("30",))
    with pytest.raises(ValueError):
        VariableMeasureLayout(item_digits=3, value_check_digit=True)  # 6-digit value


@given(
    st.integers(4, 8).flatmap(lambda n: st.tuples(st.just(n), body(n))),
    st.booleans(),
    st.booleans(),
    st.data(),
)
def test_variable_measure_round_trip(item, check: bool, weight: bool, data) -> None:
    n, item_code = item
    if check and 10 - n - 1 not in (4, 5):
        check = False
    layout = VariableMeasureLayout(item_digits=n, value_check_digit=check)
    value = data.draw(st.integers(0, 10**layout.value_digits - 1))
    kind = "weight" if weight else "price"
    code = make_variable_measure(item_code, value, layout, kind=kind)
    assert len(code) == 13 and parse_product(code).symbology == EAN13
    vm = parse_variable_measure(code, layout)
    assert (vm.item_code, vm.value, vm.kind) == (item_code, value, kind)
