"""Pure functions that turn what the core returns into what a widget shows, down to the rows of
the cart. No Kivy here, so they are tested directly."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from terminal.core.money import format_money
from terminal.core.records import QTY_ONE, Item, ReportTotals
from terminal.screens.port import LineView


def apply_key(buffer: str, key: str, *, max_len: int = 12, decimals: int | None = None) -> str:
    """What a keypad key does to the text typed so far."""
    if key == "clear":
        return ""
    if key == "back":
        return buffer[:-1]
    if key == "." and (decimals == 0 or "." in buffer):
        return buffer
    if key not in {".", "00"} and not key.isdigit():
        return buffer
    candidate = buffer + key
    if candidate.startswith("."):
        candidate = "0" + candidate
    if decimals is not None and "." in candidate and len(candidate.split(".")[1]) > decimals:
        return buffer
    if len(candidate) > max_len:
        return buffer
    return candidate


def qty_text(qty_milli: int, unit: str) -> str:
    """1000 each -> "1", 1250 kg -> "1.250 kg"."""
    if unit == "kg":
        return f"{qty_milli // QTY_ONE}.{qty_milli % QTY_ONE:03d} kg"
    if qty_milli % QTY_ONE == 0:
        return str(qty_milli // QTY_ONE)
    return f"{qty_milli / QTY_ONE:g}"


class Named(Protocol):
    """A sale line or item: anything with an English and a Chinese name."""

    @property
    def name(self) -> str: ...

    @property
    def name_zh(self) -> str: ...


def item_name(line: Mapping[str, Any] | Named, language: str) -> str:
    """Chinese name in Chinese, English name in English, whichever exists otherwise."""
    if isinstance(line, Mapping):
        zh, en = line.get("name_zh") or "", line.get("name") or ""
    else:
        zh, en = line.name_zh or "", line.name or ""
    return (zh or en) if language.startswith("zh") else (en or zh)


def money(minor: int, currency: str = "CNY") -> str:
    return format_money(minor, currency)


@dataclass(frozen=True, slots=True)
class CartRow:
    """One line of the cart as the sale screen draws it: texts ready to show."""

    line_no: int
    name: str
    qty: str
    """With its unit: "3", "1.250 kg"."""
    price: str
    total: str
    discount: str
    """Empty when the line has none."""
    detail: str
    """The small print under the name: quantity × price (or the scale label's price), then the
    discount."""
    voided: bool
    selected: bool


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One item found by the search, shown where the cart is while a query is typed."""

    sku: str
    name: str
    price: str


def active_line(lines: Iterable[LineView], selected: int | None) -> int | None:
    """The line the quantity, price, discount and void keys act on: the one the clerk picked
    while it is still in the cart, otherwise the newest."""
    nos = [ln.line_no for ln in lines if not ln.voided]
    if selected in nos:
        return selected
    return nos[-1] if nos else None


def cart_rows(
    lines: Iterable[LineView], *, selected: int | None, language: str, currency: str,
    _: Callable[[str], str],
) -> list[CartRow]:
    """A row for each line of a sale snapshot, voided ones included and flagged."""
    rows = []
    for ln in lines:
        discount = money(ln.discount, currency) if ln.discount else ""
        if ln.price_source == "embedded":
            detail = _("Scale label {amount}").format(amount=money(ln.gross, currency))
        else:
            detail = f"{qty_text(ln.qty_milli, ln.unit)} × {money(ln.unit_price, currency)}"
        if discount:
            detail += "  " + _("disc. {amount}").format(amount=discount)
        rows.append(CartRow(
            line_no=ln.line_no, name=item_name(ln, language),
            qty=qty_text(ln.qty_milli, ln.unit), price=money(ln.unit_price, currency),
            # A voided line shows, struck through, what it had come to: what was taken off.
            total=money(ln.gross - ln.discount if ln.voided else ln.net, currency),
            discount=discount, detail=detail,
            voided=ln.voided, selected=ln.line_no == selected,
        ))
    return rows


def result_rows(
    items: Iterable[Item], *, language: str, currency: str
) -> list[ResultRow]:
    return [ResultRow(sku=item.sku, name=item_name(item, language),
                      price=money(item.price, currency)) for item in items]


def mask_pin(pin: str) -> str:
    return "●" * len(pin)


def report_rows(t: ReportTotals, _: Any) -> list[tuple[str, str, int, bool]]:
    """(key, label, value, is_money) for each line of an X or Z report view."""
    rows: list[tuple[str, str, int, bool]] = [
        ("sales_count", _("Sales"), t.sales_count, False),
        ("gross", _("Gross sales"), t.gross, True),
        ("discounts", _("Discounts"), t.discounts, True),
        ("net_sales", _("Net sales"), t.net_sales, True),
        ("tax", _("Tax"), t.tax, True),
        ("refunds_total", _("Refunds"), t.refunds_total, True),
    ]
    names = {"cash": _("Cash"), "card": _("Card"), "qr": _("Mobile QR")}
    for kind, amount in sorted(t.by_tender.items()):
        rows.append((f"tender.{kind}", names.get(kind, kind), amount, True))
    rows += [
        ("opening_float", _("Opening float"), t.opening_float, True),
        ("expected_cash", _("Expected cash in drawer"), t.expected_cash, True),
        ("line_voids", _("Line voids"), t.line_voids, False),
        ("sale_voids", _("Sale voids"), t.sale_voids, False),
        ("no_sales", _("No-sale drawer opens"), t.no_sales, False),
    ]
    return rows
