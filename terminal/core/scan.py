"""What a scanner read is: a product, a scale label, a staff card, a receipt QR, a member card,
a customer's mobile payment code, or something unknown (with a message saying so).

This is the one classifier: the sale session, the QR tender and the app's login and approval
screens all ask it. Order matters: explicit prefixes first (they are configured to be
unambiguous), then everything a label can be (scale labels, product barcodes, ITF-14, GS1
element strings from GS1-128 / DataBar / DataMatrix), and a payment code only when nothing else
fits: charging a customer for a pallet label is worse than asking them to show the code again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from terminal.core import barcodes, gs1
from terminal.core.errors import BarcodeError
from terminal.core.settings import ScanRules


class ReadKind(StrEnum):
    PRODUCT = "product"
    VARIABLE_MEASURE = "variable_measure"
    STAFF_CARD = "staff_card"
    RECEIPT_QR = "receipt_qr"
    MEMBER_CARD = "member_card"
    WECHAT_PAY = "wechat_pay"
    ALIPAY = "alipay"
    UNKNOWN = "unknown"


PAYMENT_KINDS = (ReadKind.WECHAT_PAY, ReadKind.ALIPAY)


@dataclass(frozen=True, slots=True)
class ClassifiedRead:
    kind: ReadKind
    code: str
    value: str = ""
    """The part after a prefix (staff id, member number, receipt payload), else the code."""
    message: str = ""
    """For UNKNOWN: why, in words the clerk can act on."""
    error_code: str = ""

    @property
    def is_payment(self) -> bool:
        return self.kind in PAYMENT_KINDS


MAX_SCAN_CHARS = 512
"""Longer than any code this terminal reads (a GS1 DataMatrix of a pharmacy pack is ~100): a
longer read is a stuck key or a scanner gone wrong, refused before anything looks at it."""

_PAYMENT_SYMBOLOGIES = ("", "]C0", "]Q0", "]Q1")
"""Payment codes are shown as Code 128 and QR; a read marked as anything else is no payment."""


def _symbology(code: str) -> tuple[str, str]:
    """(AIM symbology identifier or "", the data after it)."""
    if len(code) >= 3 and code[0] == "]" and code[1].isalpha() and code[2].isalnum():
        return code[:3], code[3:]
    return "", code


def _payment_kind(code: str, rules: ScanRules) -> ReadKind | None:
    if not (code.isdigit() and code.isascii()):
        return None
    for kind, lengths, starts in (
        (ReadKind.WECHAT_PAY, rules.wechat_lengths, rules.wechat_starts),
        (ReadKind.ALIPAY, rules.alipay_lengths, rules.alipay_starts),
    ):
        if len(code) in lengths and any(code.startswith(s) for s in starts):
            return kind
    return None


def _unknown(code: str, message: str, error_code: str = "scan.unknown") -> ClassifiedRead:
    return ClassifiedRead(ReadKind.UNKNOWN, code, message=message, error_code=error_code)


def shown(code: str, limit: int = 24) -> str:
    """A scan as a message may quote it: never longer than ``limit`` characters."""
    return code if len(code) <= limit else code[: limit - 3] + "..."


def classify(code: str, rules: ScanRules, layout: barcodes.VariableMeasureLayout) -> ClassifiedRead:
    if len(code) > MAX_SCAN_CHARS:
        return _unknown(
            code[:MAX_SCAN_CHARS],
            f"a scan of {len(code)} characters is longer than any code ({MAX_SCAN_CHARS}); "
            "it was ignored: scan again",
            "scan.too_long",
        )
    # Scanners may add a trailing CR/LF or spaces; GS1 group separators inside stay.
    code = code.strip(" \r\n\t")
    if not code:
        return _unknown(code, "empty scan", "scan.empty")
    symbology, data = _symbology(code)
    for kind, prefix in (
        (ReadKind.RECEIPT_QR, rules.receipt_prefix),
        (ReadKind.STAFF_CARD, rules.staff_prefix),
        (ReadKind.MEMBER_CARD, rules.member_prefix),
    ):
        if prefix and data.startswith(prefix):
            return ClassifiedRead(kind, data, data[len(prefix) :])
    label = _label(data, layout)
    if label is not None:
        return label
    elements = gs1.element_string(code)
    if elements is not None:
        return _gs1_read(code, elements)
    payment = _payment_kind(data, rules) if symbology in _PAYMENT_SYMBOLOGIES else None
    if payment is not None:
        return ClassifiedRead(payment, data, data)
    if data.isdigit() and data.isascii():
        if len(data) in (8, 12, 13, 14):
            try:
                barcodes.parse_product(data)
            except BarcodeError as e:
                return _unknown(data, e.message, e.code)
        return _unknown(
            data,
            f"{len(data)}-digit code {shown(data)} is neither a product barcode nor a "
            "WeChat Pay or Alipay payment code",
        )
    return _unknown(
        code,
        f"unrecognised code {shown(code)!r}: not a product, card, receipt or payment code",
    )


def _label(data: str, layout: barcodes.VariableMeasureLayout) -> ClassifiedRead | None:
    """A scale label or a product barcode (EAN/UPC, ITF-14/GTIN-14) with a valid check digit."""
    if barcodes.is_variable_measure(data, layout):
        try:
            barcodes.parse_variable_measure(data, layout)
        except BarcodeError as e:
            return _unknown(data, e.message, e.code)
        return ClassifiedRead(ReadKind.VARIABLE_MEASURE, data, data)
    if len(data) in (8, 12, 13, 14) and barcodes.is_product_code(data):
        return ClassifiedRead(ReadKind.PRODUCT, data, data)
    return None


def _gs1_read(code: str, elements: list[gs1.Element]) -> ClassifiedRead:
    """A GS1 element string sells the item its GTIN (01) names; without one it is a logistics
    label (dates, batches, a GCN) and nothing to sell or charge."""
    gtin = next((e.value for e in elements if e.ai == "01"), None)
    if gtin is not None:
        return ClassifiedRead(ReadKind.PRODUCT, gtin, code)
    return _unknown(
        code,
        f"GS1 label {shown(gs1.describe(elements), 40)} names no product: "
        "scan the item's own barcode",
        "scan.gs1_label",
    )
