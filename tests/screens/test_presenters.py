"""Keypad editing and the text the screens show for quantities, names, cart rows and reports."""

from __future__ import annotations

from typing import Any

from terminal.core.records import Item, ReportTotals
from terminal.screens.port import LineView
from terminal.screens.presenters import (
    CartRow,
    active_line,
    apply_key,
    cart_rows,
    item_name,
    mask_pin,
    qty_text,
    report_rows,
    result_rows,
)


def test_keypad_editing() -> None:
    buf = ""
    for k in ["1", "2", ".", "5", "0", "9"]:
        buf = apply_key(buf, k, decimals=2)
    assert buf == "12.50"
    assert apply_key("12.5", ".") == "12.5"
    assert apply_key("", ".") == "0."
    assert apply_key("12", "back") == "1"
    assert apply_key("12", "clear") == ""
    assert apply_key("1234", "5", max_len=4) == "1234"
    assert apply_key("12", ".", decimals=0) == "12"
    assert apply_key("1", "00") == "100"
    assert apply_key("1", "x") == "1"


def test_quantities_and_names() -> None:
    assert qty_text(3000, "each") == "3"
    assert qty_text(1250, "kg") == "1.250 kg"
    assert qty_text(500, "each") == "0.5"
    line = {"name": "Apple", "name_zh": "苹果"}
    assert item_name(line, "zh_CN") == "苹果"
    assert item_name(line, "en") == "Apple"
    assert item_name({"name": "", "name_zh": "苹果"}, "en") == "苹果"
    assert mask_pin("1234") == "●●●●"


def _line(line_no: int, **kw: Any) -> LineView:
    """A line as the sale snapshot hands it to the screen."""
    fields: dict[str, Any] = {
        "line_no": line_no, "sku": f"S{line_no}", "name": f"Item {line_no}",
        "name_zh": f"商品{line_no}", "display_name": f"Item {line_no}", "qty_milli": 1000,
        "unit": "each", "unit_price": 350, "gross": 350, "discount": 0, "net": 350, "tax": 0,
        "price_source": "catalog", "barcode": "", "voided": False,
    }
    return LineView(**{**fields, **kw})


def test_cart_rows_show_quantity_price_discount_and_scale_labels() -> None:
    lines = [
        _line(1, qty_milli=3000, gross=1050, discount=105, net=945),
        _line(2, unit="kg", qty_milli=1250, unit_price=798, gross=998, net=998),
        _line(3, price_source="embedded", qty_milli=1000, unit_price=2150, gross=2150,
              net=2150),
    ]
    rows = cart_rows(lines, selected=2, language="en", currency="CNY", _=str)
    assert rows[0] == CartRow(line_no=1, name="Item 1", qty="3", price="¥3.50", total="¥9.45",
                              discount="¥1.05", detail="3 × ¥3.50  disc. ¥1.05",
                              voided=False, selected=False)
    assert (rows[1].qty, rows[1].detail, rows[1].selected) == (
        "1.250 kg", "1.250 kg × ¥7.98", True)
    assert rows[2].detail == "Scale label ¥21.50" and rows[2].discount == ""
    zh = cart_rows(lines, selected=None, language="zh_CN", currency="CNY",
                   _=lambda s: {"Scale label {amount}": "秤签 {amount}"}.get(s, s))
    assert zh[0].name == "商品1" and zh[2].detail == "秤签 ¥21.50"


def test_voided_lines_are_flagged_and_never_selected_by_default() -> None:
    lines = [_line(1), _line(2), _line(3, voided=True, net=0)]
    rows = cart_rows(lines, selected=None, language="en", currency="CNY", _=str)
    assert [r.voided for r in rows] == [False, False, True]
    assert rows[2].total == "¥3.50"  # struck through on screen: what was taken off
    # The newest line still in the cart is the one the keys act on ...
    assert active_line(lines, None) == 2
    assert active_line(lines, 3) == 2
    # ... unless the clerk picked another that is still there.
    assert active_line(lines, 1) == 1
    assert active_line([], 1) is None
    assert active_line([_line(1, voided=True)], None) is None


def test_search_results_become_rows() -> None:
    items = [Item(sku="S1", name="Cola", name_zh="可乐", price=300)]
    assert [(r.sku, r.name, r.price) for r in result_rows(items, language="zh_CN",
                                                            currency="CNY")] == [
        ("S1", "可乐", "¥3.00")]


def test_report_rows_carry_each_tender_and_expected_cash() -> None:
    totals = ReportTotals(sales_count=2, net_sales=3000, by_tender={"cash": 1000, "qr": 2000},
                          opening_float=500)
    rows = {key: (value, is_money) for key, _label, value, is_money in report_rows(totals, str)}
    assert rows["sales_count"] == (2, False)
    assert rows["tender.cash"] == (1000, True)
    assert rows["tender.qr"] == (2000, True)
    assert rows["expected_cash"] == (totals.expected_cash, True)
    assert totals.expected_cash == 1500


def test_errors_are_described_in_the_screen_language() -> None:
    from terminal.core.errors import BarcodeError, PaymentFailed, PosError
    from terminal.core.rights import Decision, PermissionDenied, Right, Verdict
    from terminal.screens.errors import describe
    from terminal.screens.i18n import Translator

    zh = Translator("zh_CN").gettext
    en = Translator("en").gettext
    denied = PermissionDenied(Decision(Verdict.DENY, Right.REPORT_Z, "cashiers may not"))
    # Said from the right, not the core's English reason.
    assert describe(denied, en) == ("permission.denied", "You may not run the Z report.")
    assert describe(denied, zh) == ("permission.denied", "您无权做 Z 报表（日结）。")
    declined = PaymentFailed("payment declined: insufficient funds", code="payment.declined")
    assert describe(declined, zh) == ("payment.declined", "支付被拒。请重试或改用其他支付方式。")
    misread = BarcodeError("EAN-13 690...: check digit", code="barcode.length")
    code, text = describe(misread, en)
    assert code == "barcode.length" and text == "The barcode has the wrong length: scan it again."
    odd = BarcodeError("EAN-13 690...: something new", code="barcode.something_new")
    assert describe(odd, en)[1] == "Barcode not valid: EAN-13 690...: something new"
    assert describe(PosError("odd", code="x.unknown"), en) == ("x.unknown", "odd")
    assert describe(RuntimeError("boom"), en) == (
        "internal", "Something went wrong: RuntimeError: boom")
