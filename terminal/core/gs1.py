"""GS1 element strings: the application-identifier data GS1-128, GS1 DataBar and GS1 DataMatrix
carry, e.g. ``(11)261103(10)12345678`` read as ``112611031012345678``.

A scanner without AIM symbology identifiers sends such a string as bare digits, which can look
like a customer's mobile payment code. ``element_string`` recognises one so the classifier can
refuse to charge it: the data must split completely into known AIs with fields of the right
length, valid dates and valid check digits.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

GS = "\x1d"
"""FNC1 as a scanner transmits it: ends a variable-length field."""

GS1_SYMBOLOGY_IDS = ("]C1", "]e0", "]d2", "]Q3", "]J1")
"""AIM identifiers of symbols whose data is a GS1 element string."""
OTHER_SYMBOLOGY_IDS = ("]I0", "]I1", "]E0", "]E3", "]E4", "]A0", "]F0", "]C0", "]Q1", "]d1")


@dataclass(frozen=True, slots=True)
class _Ai:
    fixed: int = 0
    """Fixed data length; 0 when variable."""
    max_len: int = 0
    min_len: int = 1
    check: bool = False
    """The first ``check_len`` digits end in a GS1 mod-10 check digit (GTIN, GLN, SSCC...)."""
    check_len: int = 0
    date: bool = False
    numeric: bool = True


def _fixed(n: int, *, check: bool = False, date: bool = False) -> _Ai:
    return _Ai(fixed=n, max_len=n, min_len=n, check=check, check_len=n if check else 0, date=date)


def _var(n: int, *, numeric: bool = False, key: int = 0) -> _Ai:
    return _Ai(max_len=n, min_len=max(key, 1), check=key > 0, check_len=key, numeric=numeric)


_TABLE: dict[str, _Ai] = {
    "00": _fixed(18, check=True),
    "01": _fixed(14, check=True),
    "02": _fixed(14, check=True),
    "10": _var(20),
    **{ai: _fixed(6, date=True) for ai in ("11", "12", "13", "15", "16", "17")},
    "20": _fixed(2),
    "21": _var(20),
    "22": _var(20),
    "235": _var(28),
    "240": _var(30),
    "241": _var(30),
    "242": _var(6, numeric=True),
    "243": _var(20),
    "250": _var(30),
    "251": _var(30),
    "253": _var(30, key=13),
    "254": _var(20),
    "255": _var(25, numeric=True, key=13),
    "30": _var(8, numeric=True),
    "37": _var(8, numeric=True),
    **{f"{p}{n}": _fixed(6) for p in range(310, 370) for n in range(10)},
    **{f"39{k}{n}": _var(15, numeric=True) for k in range(4) for n in range(10)},
    "400": _var(30),
    "401": _var(30),
    "402": _fixed(17, check=True),
    "403": _var(30),
    **{f"41{n}": _fixed(13, check=True) for n in range(8)},
    "420": _var(20),
    "421": _var(12),
    "422": _fixed(3),
    "423": _var(15, numeric=True),
    "424": _fixed(3),
    "425": _var(15, numeric=True),
    "426": _fixed(3),
    "7003": _fixed(10),
    "8003": _var(30, key=14),
    "8004": _var(30),
    "8005": _fixed(6),
    "8017": _fixed(18, check=True),
    "8018": _fixed(18, check=True),
    "8020": _var(25),
    "90": _var(30),
    **{f"9{n}": _var(90) for n in range(1, 10)},
}


@dataclass(frozen=True, slots=True)
class Element:
    ai: str
    value: str


def _check_ok(digits: str) -> bool:
    if not digits.isdigit() or not digits.isascii() or len(digits) < 2:
        return False
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == int(digits[-1])


def _date_ok(value: str) -> bool:
    year, month, day = 2000 + int(value[:2]), int(value[2:4]), int(value[4:6])
    if not 1 <= month <= 12:
        return False
    # Day 00 means "end of the month" in GS1 dates.
    return 0 <= day <= calendar.monthrange(year, month)[1]


def _field_ok(spec: _Ai, value: str) -> bool:
    if not spec.min_len <= len(value) <= spec.max_len:
        return False
    if spec.numeric and not (value.isdigit() and value.isascii()):
        return False
    if spec.check and not _check_ok(value[: spec.check_len]):
        return False
    return not (spec.date and not _date_ok(value))


def parse(data: str) -> list[Element] | None:
    """The elements of ``data`` (FNC1 as GS, no symbology identifier), or None when it is not
    a complete, valid GS1 element string."""
    elements: list[Element] = []
    i = 0
    while i < len(data):
        if data[i] == GS:
            i += 1
            continue
        ai = next((data[i : i + n] for n in (2, 3, 4) if data[i : i + n] in _TABLE), None)
        if ai is None:
            return None
        spec = _TABLE[ai]
        start = i + len(ai)
        if spec.fixed:
            end = start + spec.fixed
            if end > len(data):
                return None
        else:
            gs = data.find(GS, start)
            end = len(data) if gs < 0 else gs
        value = data[start:end]
        if GS in value or not _field_ok(spec, value):
            return None
        elements.append(Element(ai, value))
        i = end
    return elements or None


def element_string(code: str) -> list[Element] | None:
    """The elements when ``code`` is a GS1 element string, else None.

    Marked GS1 (symbology identifier or a GS inside), any complete parse counts. Unmarked
    data (digits, perhaps ending in a free-text field) counts when it splits into two or more
    elements, or into one whose value carries a GS1 check digit: a single free-text field such
    as ``(10)`` would otherwise swallow every payment code that starts with 10.
    """
    for prefix in GS1_SYMBOLOGY_IDS:
        if code.startswith(prefix):
            return parse(code[len(prefix) :])
    if GS in code:
        return parse(code)
    if not (code.isascii() and code[:2].isdigit()):
        return None
    found = parse(code)
    if found is None:
        return None
    if len(found) >= 2 or any(_TABLE[e.ai].check for e in found):
        return found
    return None


def describe(elements: list[Element]) -> str:
    return "".join(f"({e.ai}){e.value}" for e in elements)
