"""Checks that need more than one key: prefixes that would read one label two ways, payment-code
patterns two providers share, and whatever the core refuses when the settings are built. Each
problem is named by the key to fix (the one the file sets, when only one of a pair is set)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from terminal.core.barcodes import VariableMeasureLayout
from terminal.core.errors import PosError
from terminal.core.money import exponent

Problem = tuple[str, str, str]
"""(section, key, message)."""


def _blame(given: dict[str, set[str]], section: str, *keys: str) -> str:
    """The key the file set among ``keys`` (the last such), else the first."""
    set_here = [k for k in keys if k in given.get(section, set())]
    return set_here[-1] if set_here else keys[0]


def problems(values: dict[str, dict[str, Any]], given: dict[str, set[str]]) -> Iterator[Problem]:
    """Every cross-key problem of the resolved ``values``; ``given`` names the keys the file
    itself set, per section."""
    store = values["store"]
    try:
        exponent(store["currency"])
    except PosError as e:
        yield "store", "currency", f"{e.message}: use one this terminal knows, such as 'CNY'"
    price, weight = store["price_prefixes"], store["weight_prefixes"]
    both = sorted(set(price) & set(weight))
    if both:
        key = _blame(given, "store", "price_prefixes", "weight_prefixes")
        yield (
            "store",
            key,
            f"prefix {', '.join(both)} is in both price_prefixes and weight_prefixes: a label "
            "cannot carry a price and a weight at once",
        )
    else:
        try:
            VariableMeasureLayout(price_prefixes=tuple(price), weight_prefixes=tuple(weight))
        except ValueError as e:
            yield "store", _blame(given, "store", "price_prefixes", "weight_prefixes"), str(e)
    codes = values["payment_codes"]
    lengths = sorted(set(codes["wechat_lengths"]) & set(codes["alipay_lengths"]))
    shared = [
        (w, a)
        for w in codes["wechat_prefixes"]
        for a in codes["alipay_prefixes"]
        if w.startswith(a) or a.startswith(w)
    ]
    if lengths and shared:
        w, a = shared[0]
        key = _blame(given, "payment_codes", "wechat_prefixes", "alipay_prefixes")
        yield (
            "payment_codes",
            key,
            f"WeChat Pay prefix {w!r} and Alipay prefix {a!r} overlap at length {lengths[0]}: "
            "a code could not be told apart",
        )
