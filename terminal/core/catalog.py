"""The in-memory catalog (small stores, tests, the sample store) and the rules that turn a
scanned code into an item, whichever ``ports.Catalog`` holds the items."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from terminal.core import barcodes
from terminal.core.errors import BarcodeError, NotFound
from terminal.core.money import Rounding, div_round, mul_qty
from terminal.core.ports import Catalog
from terminal.core.records import QTY_ONE, Item, TaxClass


class MemoryCatalog:
    """``ports.Catalog`` and ``ports.CatalogWriter`` on dicts. Inactive items are not found by
    barcode or search, but stay reachable by SKU so old sales can be refunded."""

    def __init__(
        self,
        items: Iterable[Item] = (),
        tax_classes: Iterable[TaxClass] = (),
        quick_key_skus: Sequence[str] = (),
    ) -> None:
        self._items: dict[str, Item] = {}
        self._barcodes: dict[str, str] = {}
        self._tax: dict[str, TaxClass] = {}
        self._quick: list[str] = []
        self.set_tax_classes(tax_classes)
        self.upsert_items(items)
        self.set_quick_keys(quick_key_skus)

    # -- writer ----------------------------------------------------------------------------

    def upsert_items(self, items: Iterable[Item]) -> int:
        n = 0
        for item in items:
            old = self._items.get(item.sku)
            if old is not None:
                for code in old.barcodes:
                    if self._barcodes.get(code) == item.sku:
                        del self._barcodes[code]
            self._items[item.sku] = item
            for code in item.barcodes:
                owner = self._barcodes.get(code)
                if owner is not None and owner != item.sku:
                    raise ValueError(f"barcode {code} already belongs to {owner}")
                self._barcodes[code] = item.sku
            n += 1
        return n

    def set_tax_classes(self, classes: Iterable[TaxClass]) -> None:
        self._tax = {c.code: c for c in classes}

    def set_quick_keys(self, skus: Sequence[str]) -> None:
        missing = [s for s in skus if s not in self._items]
        if missing:
            raise ValueError(f"quick keys name unknown SKUs: {', '.join(missing)}")
        self._quick = list(skus)

    # -- reader ----------------------------------------------------------------------------

    def by_barcode(self, code: str) -> Item | None:
        sku = self._barcodes.get(code)
        item = self._items.get(sku) if sku else None
        return item if item is not None and item.active else None

    def by_sku(self, sku: str) -> Item | None:
        return self._items.get(sku)

    def search(self, text: str, limit: int = 50) -> list[Item]:
        needle = text.strip().casefold()
        if not needle:
            return []
        found = []
        for item in self._items.values():
            if not item.active:
                continue
            if (
                needle in item.name.casefold()
                or needle in item.name_zh
                or needle in item.sku.casefold()
                or any(code.startswith(needle) for code in item.barcodes)
            ):
                found.append(item)
                if len(found) >= limit:
                    break
        return found

    def quick_keys(self) -> list[Item]:
        return [self._items[s] for s in self._quick if self._items[s].active]

    def tax_class(self, code: str) -> TaxClass:
        try:
            return self._tax[code]
        except KeyError:
            raise NotFound(f"unknown tax class {code!r}", code="catalog.tax_class") from None

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True, slots=True)
class ScannedItem:
    """What a scan resolved to. ``price`` is set for a price-embedded label, ``qty_milli`` for a
    weight-embedded one; otherwise the cart uses the catalog price and one unit."""

    item: Item
    barcode: str
    qty_milli: int | None = None
    price: int | None = None
    measure: barcodes.VariableMeasure | None = None


def resolve_scan(
    catalog: Catalog, code: str, layout: barcodes.VariableMeasureLayout
) -> ScannedItem:
    """Find the item for a scanned code: as scanned, then its equivalent UPC/EAN forms, then a
    GS1 variable-measure label by its item code (held as one of the item's barcodes, or as its
    SKU). Raises ``NotFound`` or ``BarcodeError`` with a message the clerk can act on."""
    code = code.strip()
    if not code:
        raise BarcodeError("empty scan", code="barcode.empty")
    item = catalog.by_barcode(code)
    if item is not None:
        return ScannedItem(item, code)
    if barcodes.is_variable_measure(code, layout):
        vm = barcodes.parse_variable_measure(code, layout)
        item = _by_item_code(catalog, vm.item_code)
        if item is None:
            raise NotFound(
                f"no item with scale code {vm.item_code} (label {code})", code="catalog.not_found"
            )
        if vm.kind == "price":
            if item.unit != "kg":
                return ScannedItem(item, code, price=vm.value, measure=vm)
            if vm.value <= 0 or item.price <= 0:
                raise BarcodeError(
                    f"label {code} carries no price for {item.name} to weigh by",
                    code="barcode.zero_weight",
                )
            grams, unit_price = weight_for_price(vm.value, item.price)
            return ScannedItem(item, code, qty_milli=grams, price=unit_price, measure=vm)
        if item.unit != "kg":
            raise BarcodeError(
                f"label {code} carries a weight but {item.name} is sold by the piece",
                code="barcode.weight_for_piece_item",
            )
        if vm.value <= 0:
            raise BarcodeError(f"label {code} carries a zero weight", code="barcode.zero_weight")
        return ScannedItem(item, code, qty_milli=vm.value, measure=vm)
    if code.isdigit() and code.isascii():
        barcodes.parse_product(code)  # a bad check digit says so instead of "not found"
        for key in barcodes.lookup_keys(code)[1:]:
            item = catalog.by_barcode(key)
            if item is not None:
                return ScannedItem(item, code)
    raise NotFound(f"no item with barcode {code}", code="catalog.not_found")


def weight_for_price(price: int, unit_price: int) -> tuple[int, int]:
    """(grams, price per kg) of a price label on goods sold by weight, so that the receipt shows
    the weight the price stands for and the stock moves by it, and the line still comes to the
    label's price exactly.

    The weight is price / unit price rounded half-up to the gram, as scales round. A scale
    rounds the other way too (price = weight x unit price, half-up), so when the nearest gram
    does not give back the label's price a neighbouring one does; when none does, the label was
    priced at another price per kg, and the line carries that price instead.
    """
    nearest = div_round(price * 1000, unit_price, Rounding.HALF_UP)
    reach = unit_price // 1000 + 2
    for step in range(reach + 1):
        for grams in dict.fromkeys((nearest - step, nearest + step)):
            if grams > 0 and mul_qty(unit_price, grams) == price:
                return grams, unit_price
    grams = max(nearest, 1)
    label_rate = div_round(price * 1000, grams, Rounding.HALF_UP)
    if mul_qty(label_rate, grams) == price:
        return grams, label_rate
    # No whole gram reproduces the price at any rate near it: sell it as the label says.
    return QTY_ONE, price


def _by_item_code(catalog: Catalog, item_code: str) -> Item | None:
    stripped = item_code.lstrip("0") or "0"
    for key in dict.fromkeys((item_code, stripped)):
        item = catalog.by_barcode(key) or catalog.by_sku(key)
        if item is not None and item.active:
            return item
    return None
