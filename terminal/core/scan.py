"""What a scanner read is: a product, a scale label, a staff card, a receipt QR, a member card,
a customer's mobile payment code, or something unknown (with a message saying so).

Order matters: explicit prefixes first (they are configured to be unambiguous), then payment
codes (fixed lengths and leading digits that GTINs do not have), then product barcodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from terminal.core import barcodes
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


def _payment(code: str, lengths: tuple[int, ...], starts: tuple[str, ...]) -> bool:
    return code.isdigit() and code.isascii() and len(code) in lengths and code[:2] in starts


def classify(code: str, rules: ScanRules, layout: barcodes.VariableMeasureLayout) -> ClassifiedRead:
    # Scanners may add a trailing CR/LF or spaces; GS1 group separators inside stay.
    code = code.strip(" \r\n\t")
    if not code:
        return ClassifiedRead(ReadKind.UNKNOWN, code, message="empty scan", error_code="scan.empty")
    if rules.receipt_prefix and code.startswith(rules.receipt_prefix):
        return ClassifiedRead(ReadKind.RECEIPT_QR, code, code[len(rules.receipt_prefix) :])
    if rules.staff_prefix and code.startswith(rules.staff_prefix):
        return ClassifiedRead(ReadKind.STAFF_CARD, code, code[len(rules.staff_prefix) :])
    if rules.member_prefix and code.startswith(rules.member_prefix):
        return ClassifiedRead(ReadKind.MEMBER_CARD, code, code[len(rules.member_prefix) :])
    if _payment(code, rules.wechat_lengths, rules.wechat_starts):
        return ClassifiedRead(ReadKind.WECHAT_PAY, code, code)
    if _payment(code, rules.alipay_lengths, rules.alipay_starts):
        return ClassifiedRead(ReadKind.ALIPAY, code, code)
    if barcodes.is_variable_measure(code, layout):
        try:
            barcodes.parse_variable_measure(code, layout)
        except BarcodeError as e:
            return ClassifiedRead(ReadKind.UNKNOWN, code, message=e.message, error_code=e.code)
        return ClassifiedRead(ReadKind.VARIABLE_MEASURE, code, code)
    if code.isdigit() and code.isascii():
        if len(code) not in (8, 12, 13, 14):
            return ClassifiedRead(
                ReadKind.UNKNOWN,
                code,
                message=f"{len(code)}-digit code {code} is neither a product barcode nor a "
                "WeChat Pay or Alipay payment code",
                error_code="scan.unknown",
            )
        try:
            barcodes.parse_product(code)
        except BarcodeError as e:
            return ClassifiedRead(ReadKind.UNKNOWN, code, message=e.message, error_code=e.code)
        return ClassifiedRead(ReadKind.PRODUCT, code, code)
    shown = code if len(code) <= 24 else code[:21] + "..."
    return ClassifiedRead(
        ReadKind.UNKNOWN,
        code,
        message=f"unrecognised code {shown!r}: not a product, card, receipt or payment code",
        error_code="scan.unknown",
    )
