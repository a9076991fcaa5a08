"""Exact money arithmetic on integer minor units: rounding, allocation, cash rounding,
formatting and parsing. No floats anywhere: every division states how it rounds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from terminal.core.errors import MoneyFormatError
from terminal.core.records import QTY_ONE

# ISO 4217 minor-unit exponents for the currencies a store here is likely to configure.
EXPONENTS: dict[str, int] = {
    "CNY": 2,
    "HKD": 2,
    "MOP": 2,
    "TWD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "AUD": 2,
    "CAD": 2,
    "SGD": 2,
    "MYR": 2,
    "THB": 2,
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "IDR": 2,
    "KWD": 3,
    "BHD": 3,
}

SYMBOLS: dict[str, str] = {
    "CNY": "¥",
    "JPY": "¥",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "HKD": "HK$",
    "KRW": "₩",
}

# Suffix-style locales write "1.234,50 €"; everything else writes "€1,234.50".
_LOCALE_STYLE: dict[str, tuple[str, str, bool]] = {
    # locale: (decimal mark, grouping mark, symbol after the number)
    "de_DE": (",", ".", True),
    "fr_FR": (",", "\u202f", True),
    "es_ES": (",", ".", True),
    "it_IT": (",", ".", True),
}


class Rounding(StrEnum):
    HALF_UP = "half_up"
    """Halves away from zero: 0.5 -> 1, -0.5 -> -1."""
    HALF_EVEN = "half_even"
    """Halves to the even neighbour (banker's rounding)."""
    DOWN = "down"
    """Toward zero."""
    UP = "up"
    """Away from zero."""


def exponent(currency: str) -> int:
    try:
        return EXPONENTS[currency.upper()]
    except KeyError:
        raise MoneyFormatError(f"unknown currency {currency!r}", code="money.currency") from None


def div_round(numerator: int, denominator: int, mode: Rounding = Rounding.HALF_UP) -> int:
    """``numerator / denominator`` rounded to an integer by ``mode``, exactly."""
    if denominator == 0:
        raise ZeroDivisionError("division by zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    sign = -1 if numerator < 0 else 1
    q, r = divmod(abs(numerator), denominator)
    if r:
        if mode is Rounding.UP:
            q += 1
        elif mode is Rounding.HALF_UP:
            if 2 * r >= denominator:
                q += 1
        elif mode is Rounding.HALF_EVEN:
            if 2 * r > denominator or (2 * r == denominator and q % 2 == 1):
                q += 1
        elif mode is not Rounding.DOWN:
            raise ValueError(f"unknown rounding mode {mode!r}")
    return sign * q


def mul_qty(price: int, qty_milli: int, mode: Rounding = Rounding.HALF_UP) -> int:
    """Price per unit times a quantity in thousandths, in minor units."""
    return div_round(price * qty_milli, QTY_ONE, mode)


def percent_of(amount: int, rate_bp: int, mode: Rounding = Rounding.HALF_UP) -> int:
    """``rate_bp`` basis points (1300 = 13 %) of ``amount``."""
    return div_round(amount * rate_bp, 10_000, mode)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` over ``weights`` proportionally so the parts sum exactly to ``total``.

    Largest remainder: every part gets its floor share, then the leftover units go to the parts
    with the largest remainders (earlier parts win ties), so the result is deterministic.
    """
    if any(w < 0 for w in weights):
        raise ValueError("allocation weights must not be negative")
    if not weights:
        if total:
            raise ValueError("nothing to allocate over")
        return []
    wsum = sum(weights)
    if wsum == 0:
        if total:
            raise ValueError("cannot allocate over weights that are all zero")
        return [0] * len(weights)
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    parts: list[int] = []
    remainders: list[tuple[int, int]] = []
    for i, w in enumerate(weights):
        q, r = divmod(magnitude * w, wsum)
        parts.append(q)
        remainders.append((-r, i))
    left = magnitude - sum(parts)
    for _, i in sorted(remainders)[:left]:
        parts[i] += 1
    return [sign * p for p in parts]


def cash_round(amount: int, step: int, mode: Rounding = Rounding.HALF_UP) -> int:
    """Round ``amount`` to a multiple of ``step`` minor units (10 fen, 5 cents); a step of 0 or 1
    means no cash rounding."""
    if step < 0:
        raise ValueError("cash rounding step must not be negative")
    if step <= 1:
        return amount
    return div_round(amount, step, mode) * step


def format_money(
    minor: int, currency: str = "CNY", locale: str = "zh_CN", *, ascii_only: bool = False
) -> str:
    """``1250, "CNY"`` -> ``"¥12.50"``. With ``ascii_only`` the ISO code replaces a non-ASCII
    symbol (``"CNY 12.50"``), for printers and logs that cannot show it."""
    exp = exponent(currency)
    decimal_mark, group_mark, suffix = _LOCALE_STYLE.get(locale, (".", ",", False))
    sign = "-" if minor < 0 else ""
    units, frac = divmod(abs(minor), 10**exp)
    whole = f"{units:,}".replace(",", group_mark)
    number = f"{whole}{decimal_mark}{frac:0{exp}d}" if exp else whole
    symbol = SYMBOLS.get(currency.upper(), "")
    if ascii_only and not symbol.isascii():
        symbol = ""
    if not symbol:
        return f"{sign}{currency.upper()} {number}"
    if suffix:
        return f"{sign}{number} {symbol}"
    return f"{sign}{symbol}{number}"


def format_amount(minor: int, currency: str = "CNY") -> str:
    """The bare number with the currency's decimals and no symbol: ``1250`` -> ``"12.50"``."""
    exp = exponent(currency)
    sign = "-" if minor < 0 else ""
    units, frac = divmod(abs(minor), 10**exp)
    return f"{sign}{units}.{frac:0{exp}d}" if exp else f"{sign}{units}"


_NUMBER = re.compile(r"^(?P<sign>-)?(?P<units>\d+)?(?:\.(?P<frac>\d*))?$")


def parse_money(text: str, currency: str = "CNY", *, allow_negative: bool = False) -> int:
    """Parse what a clerk typed into minor units: ``"12.5"`` -> ``1250``.

    Accepts an optional currency symbol or code, grouping commas and surrounding spaces; refuses
    more decimals than the currency has, empty input, and negative amounts unless allowed.
    """
    if not isinstance(text, str):
        raise MoneyFormatError(f"amount must be text, got {type(text).__name__}")
    raw = text.strip()
    cleaned = raw
    for prefix in (SYMBOLS.get(currency.upper(), ""), currency.upper(), "¥", "￥"):
        if prefix and cleaned.upper().startswith(prefix):
            cleaned = cleaned[len(prefix) :].strip()
        if prefix and cleaned.startswith("-" + prefix):
            cleaned = "-" + cleaned[len(prefix) + 1 :].strip()
    cleaned = cleaned.replace(",", "").replace(" ", "")
    if not cleaned:
        raise MoneyFormatError("enter an amount", code="money.empty")
    m = _NUMBER.match(cleaned)
    if not m or (m.group("units") is None and not m.group("frac")):
        raise MoneyFormatError(f"{raw!r} is not an amount", code="money.not_a_number")
    exp = exponent(currency)
    frac = m.group("frac") or ""
    if len(frac) > exp:
        what = "no decimals" if exp == 0 else f"at most {exp} decimals"
        raise MoneyFormatError(
            f"{raw!r} has too many decimals: {currency.upper()} takes {what}",
            code="money.too_many_decimals",
        )
    per_unit: int = 10**exp  # int ** int is typed Any: a negative power would be a float
    value = int(m.group("units") or "0") * per_unit + int((frac + "0" * exp)[:exp] or "0")
    if m.group("sign"):
        if not allow_negative:
            raise MoneyFormatError(f"{raw!r} is negative", code="money.negative")
        value = -value
    return value


def parse_qty(text: str, unit: str = "each") -> int:
    """Parse a typed quantity into thousandths: ``"1.25"`` kg -> ``1250``; pieces are whole."""
    raw = text.strip() if isinstance(text, str) else ""
    m = _NUMBER.match(raw.replace(",", ""))
    if not raw or not m or m.group("sign") or (m.group("units") is None and not m.group("frac")):
        raise MoneyFormatError(f"{text!r} is not a quantity", code="qty.invalid")
    frac = m.group("frac") or ""
    if len(frac) > 3:
        raise MoneyFormatError(f"{text!r}: at most 3 decimals", code="qty.invalid")
    milli = int(m.group("units") or "0") * QTY_ONE + int((frac + "000")[:3])
    if unit != "kg" and milli % QTY_ONE:
        raise MoneyFormatError(f"{text!r}: this item is sold in whole pieces", code="qty.whole")
    if milli <= 0:
        raise MoneyFormatError("quantity must be more than zero", code="qty.invalid")
    return milli


def format_qty(qty_milli: int, unit: str = "each") -> str:
    """``1250, "kg"`` -> ``"1.250 kg"``; ``3000, "each"`` -> ``"3"``."""
    if unit == "kg":
        sign = "-" if qty_milli < 0 else ""
        whole, frac = divmod(abs(qty_milli), QTY_ONE)
        return f"{sign}{whole}.{frac:03d} kg"
    sign = "-" if qty_milli < 0 else ""
    whole, frac = divmod(abs(qty_milli), QTY_ONE)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:03d}".rstrip("0")
