"""Keypad editing and the text the screens show for quantities, names and reports."""

from __future__ import annotations

from terminal.screens.presenters import apply_key, item_name, mask_pin, qty_text, report_rows


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


def test_report_rows_carry_each_tender_and_expected_cash() -> None:
    report = {"totals": {"sales_count": 2, "net_sales": 3000, "by_tender": {"cash": 1000,
                                                                            "qr": 2000},
                         "opening_float": 500, "expected_cash": 1500}}
    rows = {key: (value, is_money) for key, _label, value, is_money in report_rows(report, str)}
    assert rows["sales_count"] == (2, False)
    assert rows["tender.cash"] == (1000, True)
    assert rows["tender.qr"] == (2000, True)
    assert rows["expected_cash"] == (1500, True)


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
