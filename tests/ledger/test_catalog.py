"""The catalog in the ledger file: lookups, search, quick keys, tax classes, and correctness of
bulk upserts and barcode lookups at 100,000 items."""

from __future__ import annotations

import random

import pytest

from terminal.core.records import Item, TaxClass
from terminal.ledger.catalog import SqliteCatalog, UnknownTaxClass
from terminal.ledger.ledger import SqliteLedger


def _ean13(body12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def _items(n: int, price_seed: int = 0) -> list[Item]:
    return [
        Item(
            sku=f"S{i:06d}",
            name=f"Product {i} {'Apple' if i % 1000 == 7 else 'Thing'}",
            name_zh=f"商品{i}",
            price=100 + (i * 7 + price_seed) % 5000,
            barcodes=(_ean13(f"690{i:09d}"),) + ((f"2{i:07d}",) if i % 10 == 0 else ()),
            stock_milli=i * 1000 if i % 3 == 0 else None,
            unit="kg" if i % 50 == 0 else "each",
        )
        for i in range(n)
    ]


@pytest.fixture
def catalog(ledger: SqliteLedger) -> SqliteCatalog:
    return ledger.catalog()


def test_lookups_search_and_quick_keys(catalog: SqliteCatalog) -> None:
    catalog.set_tax_classes([TaxClass("standard", 1300, True, "VAT 13%"), TaxClass("food", 900)])
    catalog.upsert_items(
        [
            Item("A1", "Green Apple", "青苹果", 350, ("6901234567892",), "food"),
            Item("A2", "Apple Juice", "苹果汁", 800, ("6901234567908", "12345670")),
            Item("B1", "Bread 100%", "面包", 500, ("6909999999994",), active=False),
            Item("X_1", "Special", "特价", 10),
        ]
    )
    assert catalog.by_barcode("12345670").sku == "A2"
    assert catalog.by_barcode("6901234567892").barcodes == ("6901234567892",)
    assert catalog.by_barcode("0000") is None
    assert catalog.by_sku("A2").barcodes == ("6901234567908", "12345670")
    assert catalog.by_sku("B1").active is False
    # Names that start with the text come first.
    assert [i.sku for i in catalog.search("apple")] == ["A2", "A1"]
    assert [i.sku for i in catalog.search("APPLE J")] == ["A2"]
    assert [i.sku for i in catalog.search("苹果")] == ["A2", "A1"]
    assert [i.sku for i in catalog.search("690123")] == ["A1", "A2"]
    assert [i.sku for i in catalog.search("a2")] == ["A2"]
    assert catalog.search("bread") == []  # inactive
    assert catalog.search("100%") == []  # LIKE wildcards are literal
    assert [i.sku for i in catalog.search("X_")] == ["X_1"]
    assert catalog.search("") == [] and catalog.search("apple", limit=1)[0].sku == "A2"
    catalog.set_quick_keys(["A2", "A1"])
    assert [i.sku for i in catalog.quick_keys()] == ["A2", "A1"]
    catalog.set_quick_keys(["A1"])
    assert [i.sku for i in catalog.quick_keys()] == ["A1"]
    assert catalog.tax_class("food") == TaxClass("food", 900, True, "")
    with pytest.raises(UnknownTaxClass):
        catalog.tax_class("nope")


def test_barcode_moves_between_items(catalog: SqliteCatalog) -> None:
    catalog.upsert_items([Item("A", "A", "甲", 1, ("111", "222")), Item("B", "B", "乙", 1)])
    catalog.upsert_items([Item("B", "B", "乙", 2, ("222",))])
    assert catalog.by_barcode("222").sku == "B"
    assert catalog.by_sku("A").barcodes == ("111",)
    catalog.upsert_items([Item("A", "A", "甲", 1, ())])
    assert catalog.by_barcode("111") is None


def test_hundred_thousand_items(catalog: SqliteCatalog) -> None:
    items = _items(100_000)
    assert catalog.upsert_items(items) == 100_000
    assert catalog.count() == 100_000
    rng = random.Random(7)
    for item in rng.sample(items, 300):
        assert catalog.by_barcode(item.barcodes[0]) == item
        assert catalog.by_barcode(item.barcodes[-1]) == item
        assert catalog.by_sku(item.sku) == item
    # A second snapshot with new prices replaces, it does not duplicate.
    repriced = _items(100_000, price_seed=13)
    catalog.upsert_items(repriced)
    assert catalog.count() == 100_000
    for item in rng.sample(repriced, 100):
        assert catalog.by_barcode(item.barcodes[0]).price == item.price
    found = catalog.search("apple", limit=20)
    assert len(found) == 20 and all("Apple" in i.name for i in found)
    plan = catalog.db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT i.sku FROM barcode b JOIN item i ON i.sku = b.sku "
        "WHERE b.code = ?",
        ("x",),
    ).fetchall()
    assert all("SCAN" not in row[-1] for row in plan), plan
