"""The demo store's clerks and items, as the end-to-end tests look them up."""

from __future__ import annotations

from terminal.core.records import Item
from terminal.sample import sample_catalog, sample_staff


def pin(role: str) -> str:
    return next(str(s["pin"]) for s in sample_staff() if s["role"] == role)


def item(name: str) -> Item:
    items, _taxes, _quick = sample_catalog()
    return next(i for i in items if i.name == name)


def barcode(name: str) -> str:
    return item(name).barcodes[0]
