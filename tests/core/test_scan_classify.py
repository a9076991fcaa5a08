"""The one classifier of scans: a payment code only when nothing else fits (GS1 element strings,
ITF-14 and product barcodes never pay a sale), payment-code patterns as configured, and scans
too long to be any code refused before anything reads them."""

from __future__ import annotations

import pytest

from terminal.core import gs1
from terminal.core.barcodes import VariableMeasureLayout, make_variable_measure, with_check_digit
from terminal.core.scan import MAX_SCAN_CHARS, ReadKind, classify
from terminal.core.settings import ScanRules

RULES = ScanRules()
LAYOUT = VariableMeasureLayout()


def kind(code: str, rules: ScanRules = RULES) -> ReadKind:
    return classify(code, rules, LAYOUT).kind


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("134567890123456789", ReadKind.WECHAT_PAY),
        ("101234567890123456", ReadKind.WECHAT_PAY),  # (10) alone would swallow every 10 code
        ("151234567890123456", ReadKind.WECHAT_PAY),
        ("2812345678901234", ReadKind.ALIPAY),
        ("301234567890123456789012", ReadKind.ALIPAY),
        ("2512345678901234567", ReadKind.ALIPAY),
        ("]Q1134567890123456789", ReadKind.WECHAT_PAY),  # QR with its AIM identifier
    ],
)
def test_payment_codes_of_each_provider(code: str, expected: ReadKind) -> None:
    read = classify(code, RULES, LAYOUT)
    assert read.kind is expected and read.is_payment
    assert read.code == code.removeprefix("]Q1")


@pytest.mark.parametrize(
    "code",
    [
        "112611031012345678",  # (11) 2026-11-03 (10) batch 12345678: 18 digits from 11
        "2550614141123452",  # (255) GCN with a valid check digit: 16 digits from 25
        "132512311012345678",  # (13) packed 2025-12-31 (10) ...
        "]C1112611031012345678",  # marked GS1-128
        "11261103\x1d10ABC",  # FNC1 inside
    ],
)
def test_gs1_element_strings_are_never_payment_codes(code: str) -> None:
    read = classify(code, RULES, LAYOUT)
    assert not read.is_payment
    assert read.kind is ReadKind.UNKNOWN and read.error_code == "scan.gs1_label"
    assert gs1.element_string(code) is not None


def test_gs1_string_with_a_gtin_sells_the_item() -> None:
    gtin = "09501101530003"
    read = classify(f"01{gtin}1726123110ABC123", RULES, LAYOUT)
    assert (read.kind, read.code) == (ReadKind.PRODUCT, gtin)
    # Same data as a 16-digit string that starts like an Alipay code would: still the GTIN.
    assert classify(f"01{gtin}", RULES, LAYOUT).kind is ReadKind.PRODUCT


def test_a_payment_shaped_string_that_fails_gs1_checks_stays_a_payment() -> None:
    # (11) with month 13 is no date, so this is no element string.
    assert gs1.element_string("111399031012345678") is None
    assert kind("111399031012345678") is ReadKind.WECHAT_PAY
    # (255) with a wrong check digit.
    assert kind("2550614141123453") is ReadKind.ALIPAY


def test_itf14_ean13_and_scale_labels() -> None:
    itf14 = with_check_digit("1540014128876")
    assert kind(itf14) is ReadKind.PRODUCT
    assert kind("]I1" + itf14) is ReadKind.PRODUCT
    assert kind("4006381333931") is ReadKind.PRODUCT
    assert kind("]E04006381333931") is ReadKind.PRODUCT
    assert kind("4006381333932") is ReadKind.UNKNOWN  # bad check digit, says so
    assert classify("4006381333932", RULES, LAYOUT).error_code == "barcode.check_digit"
    assert kind(make_variable_measure("10201", 1234, LAYOUT)) is ReadKind.VARIABLE_MEASURE
    assert kind("2210201012346") is ReadKind.VARIABLE_MEASURE


def test_itf_is_never_a_payment_even_in_a_payment_shape() -> None:
    # An 18-digit ITF (even length) marked as such by the scanner.
    assert kind("]I0134567890123456789") is ReadKind.UNKNOWN


def test_configured_patterns_replace_the_defaults() -> None:
    rules = ScanRules(
        wechat_lengths=(18,),
        wechat_starts=("13",),
        alipay_lengths=(20,),
        alipay_starts=("88",),
    )
    assert kind("134567890123456789", rules) is ReadKind.WECHAT_PAY
    assert kind("104567890123456789", rules) is ReadKind.UNKNOWN
    assert kind("88345678901234567890", rules) is ReadKind.ALIPAY
    assert kind("2812345678901234", rules) is ReadKind.UNKNOWN
    # A configured pattern cannot outrank a product barcode: EAN-13 stays a product.
    greedy = ScanRules(wechat_lengths=(13,), wechat_starts=("40",))
    assert kind("4006381333931", greedy) is ReadKind.PRODUCT
    assert kind("4006381333932", greedy) is ReadKind.WECHAT_PAY


def test_prefixed_reads_come_first() -> None:
    assert kind("STF1001") is ReadKind.STAFF_CARD
    assert kind("MBR555") is ReadKind.MEMBER_CARD
    assert kind("POS1:T1:abc") is ReadKind.RECEIPT_QR
    read = classify("]Q1POS1:T1:abc", RULES, LAYOUT)
    assert (read.kind, read.code, read.value) == (ReadKind.RECEIPT_QR, "POS1:T1:abc", "T1:abc")


def test_a_scan_too_long_is_refused_and_its_message_stays_short() -> None:
    for code in ("1" * 5000, "x" * 5000, "1" * (MAX_SCAN_CHARS + 1)):
        read = classify(code, RULES, LAYOUT)
        assert read.kind is ReadKind.UNKNOWN and read.error_code == "scan.too_long"
        assert len(read.message) < 120 and len(read.code) <= MAX_SCAN_CHARS
    assert classify("5" * MAX_SCAN_CHARS, RULES, LAYOUT).error_code == "scan.unknown"
    for code in ("1" * 400, "y" * 400):
        assert len(classify(code, RULES, LAYOUT).message) < 120


def test_gs1_parser_rejects_partial_and_malformed_strings() -> None:
    assert gs1.parse("0109501101530003") == [gs1.Element("01", "09501101530003")]
    assert gs1.parse("0109501101530004") is None  # GTIN check digit
    assert gs1.parse("01095011015300") is None  # short fixed field
    assert gs1.parse("99") is None  # empty variable field
    assert gs1.parse("11260230") is None  # 30 February
    assert gs1.parse("11260200") == [gs1.Element("11", "260200")]  # day 00: end of month
    assert gs1.parse("3103000125") == [gs1.Element("3103", "000125")]
    assert gs1.parse("10" + "A" * 21) is None  # over 20 characters


def test_gs1_labels_scanned_at_the_cart_or_the_tender_charge_nobody() -> None:
    from terminal.core.errors import InvalidInput

    from .store import COLA, WECHAT_CODE, rig

    r = rig()
    s = r.session
    s.add_barcode(COLA)
    for code in ("112611031012345678", "2550614141123452"):
        with pytest.raises(InvalidInput) as e:
            s.handle_read(code)
        assert e.value.code == "scan.gs1_label"
        s.start_tender()
        with pytest.raises(InvalidInput) as e:
            s.pay_qr(code)
        assert e.value.code == "tender.not_payment_code"
        s.back_to_cart()
    assert r.payments.charges == [] and s.snapshot().state == "open"
    outcome = s.handle_read(WECHAT_CODE)
    assert outcome.action == "paid" and len(r.payments.charges) == 1


def test_a_qr_payment_code_is_charged_without_its_symbology_identifier() -> None:
    from .store import COLA, WECHAT_CODE, rig

    r = rig()
    r.session.add_barcode(COLA)
    r.session.start_tender()
    snap = r.session.pay_qr("]Q1" + WECHAT_CODE)
    assert snap.state == "completed"
    assert [c[0] for c in r.payments.charges] == [WECHAT_CODE]
