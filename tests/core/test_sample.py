"""The sample store is realistic enough to demo and sell from, and always the same."""

from __future__ import annotations

from terminal.core.barcodes import make_variable_measure, parse_product
from terminal.core.catalog import MemoryCatalog, resolve_scan
from terminal.core.settings import StoreSettings
from terminal.sample import sample_catalog, sample_staff


def test_catalog_shape() -> None:
    items, taxes, quick = sample_catalog()
    assert 200 <= len(items) <= 1000
    assert {t.code: t.rate_bp for t in taxes} == {"standard": 1300, "agri": 900}
    skus = [i.sku for i in items]
    assert len(set(skus)) == len(skus)
    codes = [c for i in items for c in i.barcodes]
    assert len(set(codes)) == len(codes)
    eans = [c for c in codes if len(c) == 13]
    assert len(eans) >= 200
    for code in eans:
        assert parse_product(code).symbology == "EAN-13"
        assert code[:3] in {f"69{d}" for d in range(10)}
    assert all(i.name and i.name_zh and i.name.isascii() for i in items)
    weighed = [i for i in items if i.unit == "kg"]
    assert len(weighed) >= 20 and all(len(i.barcodes[0]) == 5 for i in weighed)
    assert sum(i.open_price for i in items) >= 2
    assert {i.category for i in items} >= {
        "drinks",
        "snacks",
        "dairy",
        "produce",
        "bakery",
        "household",
    }
    assert all(i.price > 0 for i in items if not i.open_price)
    assert {i.tax_class for i in weighed if i.category == "produce"} == {"agri"}
    assert set(quick) <= set(skus)


def test_catalog_is_deterministic() -> None:
    assert sample_catalog() == sample_catalog()


def test_scale_labels_resolve_to_sample_items() -> None:
    items, taxes, quick = sample_catalog()
    cat = MemoryCatalog(items, taxes, quick)
    layout = StoreSettings().variable_measure
    found = resolve_scan(cat, make_variable_measure("10001", 1250, layout, kind="weight"), layout)
    assert found.item.name == "Bananas" and found.qty_milli == 1250


def test_staff_specs() -> None:
    staff = sample_staff()
    assert len(staff) == 2
    assert {s["role"] for s in staff} == {"manager", "cashier"}
    for s in staff:
        assert s["name"] and s["name_zh"] and s["staff_id"]
        pin = s["pin"]
        assert pin.isdigit() and len(set(pin)) > 1 and pin not in ("1234", "0000", "4321")
