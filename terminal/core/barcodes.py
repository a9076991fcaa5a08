"""Retail barcodes: EAN-8, EAN-13, UPC-A and UPC-E with their check digits, and GS1
variable-measure EAN-13 (prefixes 20-29) carrying a price or a weight.

Scanners report digits without saying which symbology they decoded, so ``parse_product`` decides
from length and check digit, and ``lookup_keys`` lists every equivalent form a catalog may hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from terminal.core.errors import BarcodeError

EAN8 = "EAN-8"
EAN13 = "EAN-13"
UPCA = "UPC-A"
UPCE = "UPC-E"


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for ``body`` (all digits but the check digit)."""
    if not body or not body.isdigit() or not body.isascii():
        raise BarcodeError(f"{body!r} is not a string of digits", code="barcode.not_digits")
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def with_check_digit(body: str) -> str:
    return body + str(gtin_check_digit(body))


def has_valid_check_digit(code: str) -> bool:
    if len(code) < 2 or not code.isdigit() or not code.isascii():
        return False
    return gtin_check_digit(code[:-1]) == int(code[-1])


def _require_check(code: str, symbology: str) -> None:
    expected = gtin_check_digit(code[:-1])
    if int(code[-1]) != expected:
        raise BarcodeError(
            f"{symbology} {code}: check digit is {code[-1]}, should be {expected}; rescan",
            code="barcode.check_digit",
        )


def expand_upce(code: str) -> str:
    """UPC-E (8 digits: number system 0 or 1, six digits, check digit) to its 12-digit UPC-A.

    The UPC-E check digit is the UPC-A's, so it is verified after expansion.
    """
    if len(code) != 8 or not code.isdigit() or not code.isascii():
        raise BarcodeError(f"UPC-E must be 8 digits, got {code!r}", code="barcode.length")
    ns, d, check = code[0], code[1:7], code[7]
    if ns not in "01":
        raise BarcodeError(
            f"UPC-E {code}: number system must be 0 or 1, not {ns}", code="barcode.upce_system"
        )
    last = d[5]
    if last in "012":
        body = ns + d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = ns + d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = ns + d[0:4] + "00000" + d[4]
    else:
        body = ns + d[0:5] + "0000" + last
    expected = gtin_check_digit(body)
    if int(check) != expected:
        raise BarcodeError(
            f"UPC-E {code}: check digit is {check}, should be {expected}; rescan",
            code="barcode.check_digit",
        )
    return body + check


def compress_upca(code: str) -> str | None:
    """The UPC-E form of a UPC-A, or None when it has none (the inverse of ``expand_upce``)."""
    if len(code) != 12 or not has_valid_check_digit(code) or code[0] not in "01":
        return None
    ns, m, check = code[0], code[1:11], code[11]
    candidates = []
    if m[2] in "012" and m[3:7] == "0000":
        candidates.append(m[0:2] + m[7:10] + m[2])
    if m[3:8] == "00000":
        candidates.append(m[0:3] + m[8:10] + "3")
    if m[4:9] == "00000":
        candidates.append(m[0:4] + m[9] + "4")
    if m[5:9] == "0000" and m[9] in "56789":
        candidates.append(m[0:5] + m[9])
    for six in candidates:
        upce = ns + six + check
        if expand_upce(upce) == code:
            return upce
    return None


@dataclass(frozen=True, slots=True)
class ProductCode:
    symbology: str
    code: str
    """As scanned."""
    gtin13: str | None
    """The 13-digit form (UPC-A and UPC-E get leading zeros), None for EAN-8."""


def parse_product(code: str) -> ProductCode:
    """Validate a product barcode and name its symbology; raises ``BarcodeError`` with the
    expected check digit when it is wrong."""
    code = code.strip()
    if not code.isdigit() or not code.isascii():
        raise BarcodeError(f"{code!r} is not a product barcode (digits only)", "barcode.not_digits")
    n = len(code)
    if n == 13:
        _require_check(code, EAN13)
        return ProductCode(EAN13, code, code)
    if n == 12:
        _require_check(code, UPCA)
        return ProductCode(UPCA, code, "0" + code)
    if n == 8:
        # EAN-8 and UPC-E share the length; the check digit tells them apart almost always.
        if has_valid_check_digit(code):
            return ProductCode(EAN8, code, None)
        if code[0] in "01":
            upca = expand_upce(code)
            return ProductCode(UPCE, code, "0" + upca)
        _require_check(code, EAN8)
    if n == 14:
        _require_check(code, "GTIN-14")
        return ProductCode("GTIN-14", code, code[1:] if code[0] == "0" else None)
    raise BarcodeError(
        f"{code}: {n} digits is not an EAN-8, EAN-13, UPC-A or UPC-E length", "barcode.length"
    )


def is_product_code(code: str) -> bool:
    try:
        parse_product(code)
    except BarcodeError:
        return False
    return True


def lookup_keys(code: str) -> list[str]:
    """The code as scanned, then its equivalent forms in the order a catalog should try them:
    UPC-A <-> EAN-13 with a leading zero, UPC-E expanded (and its UPC-A compressed), GTIN-14."""
    code = code.strip()
    keys = [code]

    def add(k: str | None) -> None:
        if k and k not in keys:
            keys.append(k)

    if not code.isdigit() or not code.isascii():
        return keys
    n = len(code)
    if n == 12 and has_valid_check_digit(code):
        add("0" + code)
        add(compress_upca(code))
    elif n == 13 and has_valid_check_digit(code) and code[0] == "0":
        add(code[1:])
        add(compress_upca(code[1:]))
    elif n == 8 and code[0] in "01":
        try:
            upca = expand_upce(code)
        except BarcodeError:
            upca = None
        if upca:
            add(upca)
            add("0" + upca)
    elif n == 14 and has_valid_check_digit(code) and code[0] == "0":
        add(code[1:])
        if code[1] == "0":
            add(code[2:])
    return keys


# --- GS1 variable measure ------------------------------------------------------------------

# Weighted products of the price/weight check digit (GS1 General Specifications, 7.9.3).
_W2M = (0, 2, 4, 6, 8, 9, 1, 3, 5, 7)
_W3 = (0, 3, 6, 9, 12, 15, 18, 21, 24, 27)
_W5P = (0, 5, 1, 6, 2, 7, 3, 8, 4, 9)
_W5M = (0, 5, 9, 4, 8, 3, 7, 2, 6, 1)


def price_check_digit(value: str) -> int:
    """The check digit GS1 defines for a 4- or 5-digit price or weight field."""
    if not value.isdigit() or not value.isascii() or len(value) not in (4, 5):
        raise BarcodeError(
            f"a price check digit needs a 4- or 5-digit value, got {value!r}", "barcode.layout"
        )
    d = [int(c) for c in value]
    if len(value) == 4:
        total = _W2M[d[0]] + _W2M[d[1]] + _W3[d[2]] + _W5M[d[3]]
        return (total * 3) % 10
    total = _W5P[d[0]] + _W2M[d[1]] + _W5M[d[2]] + _W5P[d[3]] + _W2M[d[4]]
    target = (10 - total % 10) % 10
    return _W5M.index(target)


DEFAULT_PRICE_PREFIXES: tuple[str, ...] = ("22", "23", "24", "25")
DEFAULT_WEIGHT_PREFIXES: tuple[str, ...] = ("20", "21")
"""The store's default split of the GS1 in-store prefixes 20-29, used by the core's default
layout and as the configuration's defaults (``[store] price_prefixes`` / ``weight_prefixes``),
so both read a label the same way."""


@dataclass(frozen=True, slots=True)
class VariableMeasureLayout:
    """Which EAN-13 prefixes carry an embedded price or weight, and where the digits sit.

    The default is the common scale layout 2 prefix + 5 item code + 5 value + check. With
    ``value_check_digit`` the layout is 2 + item + 1 price check digit + value + check, e.g.
    2 + 4 + 1 + 5 + 1. Prices are minor units; weights are grams (= thousandths of a kg).
    """

    price_prefixes: tuple[str, ...] = DEFAULT_PRICE_PREFIXES
    weight_prefixes: tuple[str, ...] = DEFAULT_WEIGHT_PREFIXES
    item_digits: int = 5
    value_check_digit: bool = False

    def __post_init__(self) -> None:
        overlap = set(self.price_prefixes) & set(self.weight_prefixes)
        if overlap:
            raise ValueError(f"prefixes {sorted(overlap)} cannot carry both price and weight")
        for p in (*self.price_prefixes, *self.weight_prefixes):
            if len(p) != 2 or not p.isdigit() or p[0] != "2":
                raise ValueError(f"variable-measure prefix {p!r} must be two digits 20-29")
        if not 1 <= self.value_digits <= 6:
            raise ValueError(
                f"item_digits={self.item_digits} leaves {self.value_digits} value digits"
            )
        if self.value_check_digit and self.value_digits not in (4, 5):
            raise ValueError("a price check digit needs a 4- or 5-digit value field")

    @property
    def value_digits(self) -> int:
        return 13 - 2 - 1 - self.item_digits - (1 if self.value_check_digit else 0)

    def kind_of(self, code: str) -> str | None:
        """ "price", "weight" or None for a 13-digit code."""
        if len(code) != 13:
            return None
        if code[:2] in self.price_prefixes:
            return "price"
        if code[:2] in self.weight_prefixes:
            return "weight"
        return None


@dataclass(frozen=True, slots=True)
class VariableMeasure:
    code: str
    prefix: str
    item_code: str
    kind: str
    """"price" (value in minor units) or "weight" (value in grams, i.e. qty_milli of a kg)."""
    value: int


def is_variable_measure(code: str, layout: VariableMeasureLayout) -> bool:
    return code.isdigit() and code.isascii() and layout.kind_of(code) is not None


def parse_variable_measure(code: str, layout: VariableMeasureLayout) -> VariableMeasure:
    code = code.strip()
    kind = layout.kind_of(code) if code.isdigit() and code.isascii() else None
    if kind is None:
        raise BarcodeError(
            f"{code!r} is not a variable-measure code for this store's prefixes",
            code="barcode.not_variable",
        )
    _require_check(code, "variable-measure EAN-13")
    start = 2
    item_code = code[start : start + layout.item_digits]
    start += layout.item_digits
    inner_check = None
    if layout.value_check_digit:
        inner_check = int(code[start])
        start += 1
    value = code[start : start + layout.value_digits]
    if inner_check is not None:
        expected = price_check_digit(value)
        if inner_check != expected:
            raise BarcodeError(
                f"{code}: the {kind} check digit is {inner_check}, should be {expected}; rescan",
                code="barcode.value_check_digit",
            )
    return VariableMeasure(code, code[:2], item_code, kind, int(value))


def make_variable_measure(
    item_code: str, value: int, layout: VariableMeasureLayout, *, kind: str = "price"
) -> str:
    """Build the label a scale would print: for tests, demos and the sample store."""
    prefixes = layout.price_prefixes if kind == "price" else layout.weight_prefixes
    if not prefixes:
        raise ValueError(f"this layout has no {kind} prefix")
    if len(item_code) != layout.item_digits or not item_code.isdigit():
        raise ValueError(f"item code must be {layout.item_digits} digits, got {item_code!r}")
    if not 0 <= value < 10**layout.value_digits:
        raise ValueError(f"{value} does not fit in {layout.value_digits} digits")
    digits = f"{value:0{layout.value_digits}d}"
    body = prefixes[0] + item_code
    if layout.value_check_digit:
        body += str(price_check_digit(digits))
    return with_check_digit(body + digits)
