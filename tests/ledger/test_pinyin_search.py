"""Pinyin and initials search over a real SQLite catalog: keys written with the items, kept
in step on rename, and filled by the migration for a ledger that had items before it."""

from __future__ import annotations

from pathlib import Path

from terminal.core.clock import ManualClock
from terminal.core.records import Item
from terminal.ledger.db import connect, open_ledger
from terminal.ledger.ledger import SqliteLedger
from terminal.ledger.projections import discover_areas
from terminal.ledger.schema import LEDGER_MIGRATIONS, migrate, versions
from terminal.sample import sample_catalog


def _load_sample(ledger: SqliteLedger) -> None:
    items, classes, _ = sample_catalog()
    catalog = ledger.catalog()
    catalog.set_tax_classes(classes)
    catalog.upsert_items(items)


def _names(ledger: SqliteLedger, text: str) -> list[str]:
    # Sample names carry their size ("纯牛奶 250毫升"): compare the product part.
    return [i.name_zh.split()[0] for i in ledger.catalog().search(text)]


def test_full_pinyin_and_initials_find_milk(ledger: SqliteLedger) -> None:
    _load_sample(ledger)
    for query in ("niu", "nn", "niunai", "chunniunai", "cnn", "chunn"):
        assert "纯牛奶" in _names(ledger, query), query
    # The whole name starting with the query comes before a later syllable matching it.
    found = _names(ledger, "niunai")
    assert found.index("牛奶巧克力") < found.index("纯牛奶")
    assert _names(ledger, "zzzzq") == []


def test_mixed_case_and_spaces(ledger: SqliteLedger) -> None:
    _load_sample(ledger)
    assert "纯牛奶" in _names(ledger, "NiuNai")
    assert "纯牛奶" in _names(ledger, " Niu Nai ")
    assert "纯牛奶" in _names(ledger, "NN")
    # English search still works as before.
    assert any("milk" in i.name.lower() for i in ledger.catalog().search("milk"))


def test_rename_replaces_keys_and_inactive_items_hidden(ledger: SqliteLedger) -> None:
    catalog = ledger.catalog()
    catalog.upsert_items([Item(sku="A1", name="Milk", name_zh="牛奶", price=300)])
    assert [i.sku for i in catalog.search("nn")] == ["A1"]
    catalog.upsert_items([Item(sku="A1", name="Apple", name_zh="苹果", price=300)])
    assert catalog.search("nn") == []
    assert catalog.search("niu") == []
    assert [i.sku for i in catalog.search("pg")] == ["A1"]
    assert [i.sku for i in catalog.search("pingguo")] == ["A1"]
    catalog.upsert_items([Item(sku="A1", name="Apple", name_zh="苹果", price=300, active=False)])
    assert catalog.search("pg") == []
    rows = ledger.db.execute_sql("SELECT key FROM search_key WHERE sku = 'A1'").fetchall()
    assert sorted(k for (k,) in rows) == ["g", "guo", "pg", "pingguo"]


def test_upgraded_ledger_gets_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    latest = {a.name: len(a.migrations) for a in discover_areas()}
    db = connect(path)
    # A terminal from before the key table: catalog written straight into `item`.
    migrate(db, discover_areas(), target={**latest, "ledger": len(LEDGER_MIGRATIONS) - 1})
    db.execute_sql("INSERT INTO tax_class (code, rate_bp, inclusive) VALUES ('STD', 1300, 1)")
    db.execute_sql(
        "INSERT INTO item (sku, name, name_zh, price, tax_class, unit, open_price) "
        "VALUES ('M1', 'Pure milk', '纯牛奶', 650, 'STD', 'each', 0)"
    )
    db.close()
    ledger = open_ledger(path, "T01", ManualClock())
    try:
        assert versions(ledger.db)["ledger"] == len(LEDGER_MIGRATIONS)
        assert [i.sku for i in ledger.catalog().search("niu")] == ["M1"]
        assert [i.sku for i in ledger.catalog().search("cnn")] == ["M1"]
    finally:
        ledger.close()
