"""Schema checking: errors name the exact field that is wrong."""

from __future__ import annotations

import pytest

from terminal.link import protocol as p


def test_schema_errors_name_the_field() -> None:
    good = {"version": 1, "chunk": 0, "chunks": 1, "items": [{"sku": "A", "name": "a", "price": 1}]}
    assert p.from_json(p.CatalogSnapshot, good, "body").items[0].sku == "A"
    cases = [
        ({**good, "items": [{"sku": "A", "name": "a", "price": True}]}, "body.items[0].price"),
        ({**good, "items": [{"sku": "A", "name": "a", "price": -1}]}, "body.items[0].price"),
        ({**good, "items": [{"sku": "A", "name": "a"}]}, "body.items[0].price"),
        ({**good, "items": [{"sku": "A", "name": "a", "price": 1, "x": 1}]}, "body.items[0].x"),
        (
            {**good, "items": [{"sku": "A", "name": "a", "price": 1, "unit": "g"}]},
            "body.items[0].unit",
        ),
        ({**good, "chunk": 1}, "body.chunk"),
        ({**good, "items": {}}, "body.items"),
        ({**good, "version": None}, "body.version"),
        (
            {**good, "items": [{"sku": "A", "name": "a", "price": 1}] * 2},
            "body.items[1].sku",
        ),
    ]
    for value, field in cases:
        with pytest.raises(p.ValidationError) as err:
            p.from_json(p.CatalogSnapshot, value, "body")
        assert err.value.field == field, (value, err.value)
