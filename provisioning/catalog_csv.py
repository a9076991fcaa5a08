"""Reading the owner's catalog spreadsheet (CSV, UTF-8, with a header row) into ``Item`` records.

Columns (header names, any order; only ``sku``, ``name`` and ``price`` are required)::

    sku, name, name_zh, price, barcodes, tax_class, unit, open_price, stock, category, active

``price`` is in major units as people write it ("12.50", "¥3"), per piece or per kg;
``barcodes`` is separated by spaces or ``|``; ``unit`` is "each" or "kg"; ``stock`` is a quantity
("12", "3.250" kg) or empty when not tracked; booleans are 1/0, yes/no, true/false.

Every bad row is reported with its line number and the column at fault, and nothing is sent
until the whole file is clean.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from terminal.core.errors import PosError
from terminal.core.money import parse_money, parse_qty
from terminal.core.records import Item

REQUIRED = ("sku", "name", "price")
KNOWN = (
    *REQUIRED,
    "name_zh",
    "barcodes",
    "tax_class",
    "unit",
    "open_price",
    "stock",
    "category",
    "active",
)
_TRUE = {"1", "yes", "y", "true", "t", "是"}
_FALSE = {"0", "no", "n", "false", "f", "", "否"}


class CatalogFileError(Exception):
    """The file cannot be imported; ``problems`` lists every bad line."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:20]
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(
            "the catalog file has problems; fix these lines and import again:\n  "
            + "\n  ".join(shown)
            + more
        )
        self.problems = problems


@dataclass(frozen=True, slots=True)
class CatalogFile:
    items: list[Item]
    path: Path


def _bool(text: str, column: str) -> bool:
    t = text.strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise ValueError(f"{column}: {text!r} is not yes/no")


def parse_row(row: dict[str, str], currency: str) -> Item:
    def col(name: str) -> str:
        return (row.get(name) or "").strip()

    sku = col("sku")
    if not sku:
        raise ValueError("sku: empty")
    name = col("name")
    if not name:
        raise ValueError("name: empty")
    unit = col("unit") or "each"
    if unit not in ("each", "kg"):
        raise ValueError(f"unit: {unit!r} must be each or kg")
    try:
        price = parse_money(col("price"), currency)
    except PosError as e:
        raise ValueError(f"price: {e.message}") from e
    stock_text = col("stock")
    stock: int | None = None
    if stock_text:
        try:
            stock = parse_qty(stock_text, unit)
        except PosError as e:
            if stock_text.strip() in ("0", "0.0", "0.000"):
                stock = 0
            else:
                raise ValueError(f"stock: {e.message}") from e
    barcodes = tuple(b for b in col("barcodes").replace("|", " ").replace(";", " ").split() if b)
    for b in barcodes:
        if not b.isalnum():
            raise ValueError(f"barcodes: {b!r} has characters a scanner never sends")
    return Item(
        sku=sku,
        name=name,
        name_zh=col("name_zh"),
        price=price,
        barcodes=barcodes,
        tax_class=col("tax_class") or "standard",
        unit=unit,
        open_price=_bool(col("open_price"), "open_price"),
        stock_milli=stock,
        category=col("category"),
        active=_bool(col("active") or "yes", "active"),
    )


def read_catalog(path: Path, currency: str = "CNY") -> CatalogFile:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as e:
        raise CatalogFileError([f"{path}: no such file"]) from e
    except UnicodeDecodeError as e:
        raise CatalogFileError(
            [f"{path}: not UTF-8 ({e.reason} at byte {e.start}); save it as 'CSV UTF-8'"]
        ) from e
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CatalogFileError(
            [f"header: missing column(s) {', '.join(missing)} (have: {', '.join(header)})"]
        )
    unknown = [c for c in header if c and c not in KNOWN]
    problems: list[str] = []
    if unknown:
        problems.append(
            f"header: unknown column(s) {', '.join(unknown)}; known: {', '.join(KNOWN)}"
        )
    items: list[Item] = []
    seen_sku: dict[str, int] = {}
    seen_code: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        try:
            item = parse_row(row, currency)
        except ValueError as e:
            problems.append(f"line {line}: {e}")
            continue
        if item.sku in seen_sku:
            problems.append(f"line {line}: sku {item.sku!r} already on line {seen_sku[item.sku]}")
            continue
        seen_sku[item.sku] = line
        for b in item.barcodes:
            if b in seen_code:
                problems.append(f"line {line}: barcode {b} already on line {seen_code[b]}")
            seen_code[b] = line
        items.append(item)
    if problems:
        raise CatalogFileError(problems)
    if not items:
        raise CatalogFileError([f"{path}: no items found below the header"])
    return CatalogFile(items, path)
