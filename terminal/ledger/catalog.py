"""``SqliteCatalog``: items, barcodes, tax classes and quick keys in the ledger's file.

The catalog is state, not evidence: the owner replaces it by snapshot or delta (journaled as
``catalog.applied`` by whoever applies it) and sales move its stock through the sales
projection. Barcodes live in their own table keyed by code, so a scan is one primary-key probe
whatever the catalog size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import peewee

from terminal.core.records import Item, TaxClass
from terminal.ledger.search_keys import pinyin_stages, write_keys
from terminal.ledger.transaction import translate, write_transaction

_ITEM_COLUMNS = (
    "sku, name, name_zh, price, tax_class, unit, open_price, stock_milli, category, active"
)
_BATCH = 5000
_MAX_CHAR = "\U0010ffff"
"""Appended to a prefix, the upper bound of a range scan over every string starting with it."""


class UnknownTaxClass(KeyError):
    pass


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


class SqliteCatalog:
    """Implements ``ports.Catalog`` and ``ports.CatalogWriter``."""

    def __init__(self, db: peewee.SqliteDatabase) -> None:
        self.db = db

    # --- reading -------------------------------------------------------------------------

    def _items(self, rows: Sequence[tuple[Any, ...]]) -> list[Item]:
        if not rows:
            return []
        skus = [r[0] for r in rows]
        codes: dict[str, list[str]] = {s: [] for s in skus}
        marks = ",".join("?" * len(skus))
        for sku, code in self.db.execute_sql(
            f"SELECT sku, code FROM barcode WHERE sku IN ({marks}) ORDER BY sku, pos", skus
        ).fetchall():
            codes[sku].append(code)
        return [
            Item(
                sku=sku,
                name=name,
                name_zh=name_zh,
                price=price,
                barcodes=tuple(codes[sku]),
                tax_class=tax_class,
                unit=unit,
                open_price=bool(open_price),
                stock_milli=stock,
                category=category,
                active=bool(active),
            )
            for (
                sku,
                name,
                name_zh,
                price,
                tax_class,
                unit,
                open_price,
                stock,
                category,
                active,
            ) in rows
        ]

    def by_barcode(self, code: str) -> Item | None:
        rows = self.db.execute_sql(
            f"SELECT {', '.join('i.' + c.strip() for c in _ITEM_COLUMNS.split(','))} "
            "FROM barcode b JOIN item i ON i.sku = b.sku WHERE b.code = ?",
            (code,),
        ).fetchall()
        found = self._items(rows)
        return found[0] if found else None

    def by_sku(self, sku: str) -> Item | None:
        rows = self.db.execute_sql(
            f"SELECT {_ITEM_COLUMNS} FROM item WHERE sku = ?", (sku,)
        ).fetchall()
        found = self._items(rows)
        return found[0] if found else None

    def search(self, text: str, limit: int = 50) -> list[Item]:
        """Active items, at most ``limit``: SKU or barcode starting with ``text`` first, then
        names (Latin names case-insensitively, or Chinese names) starting with it, then
        Chinese names whose pinyin or initials start with it (whole name before a later
        syllable), then names containing it. All but the last stage are index range scans;
        the last scans the table, and it stops as soon as enough items are found."""
        text = text.strip()
        if not text or limit <= 0:
            return []
        top = text + _MAX_CHAR
        upper = text.upper()
        contains = "%" + _like_prefix(text)
        stages: list[tuple[str, tuple[Any, ...]]] = [
            # One limited range scan each: a UNION sorted as a whole would read every SKU
            # sharing a prefix (all of them, for "S" on a catalog of S-numbers).
            (
                "SELECT sku FROM item WHERE active = 1 AND sku >= ? AND sku < ? "
                "ORDER BY sku LIMIT ?",
                (text, top, limit),
            ),
            (
                "SELECT sku FROM item WHERE active = 1 AND sku >= ? AND sku < ? "
                "ORDER BY sku LIMIT ?",
                (upper, upper + _MAX_CHAR, limit),
            ),
            (
                "SELECT b.sku FROM barcode b JOIN item i ON i.sku = b.sku "
                "WHERE b.code >= ? AND b.code < ? AND i.active = 1 ORDER BY b.code LIMIT ?",
                (text, top, limit),
            ),
            (
                "SELECT sku FROM item WHERE active = 1 "
                "AND name >= ? COLLATE NOCASE AND name < ? COLLATE NOCASE "
                "ORDER BY name COLLATE NOCASE LIMIT ?",
                (text, top, limit),
            ),
            (
                "SELECT sku FROM item WHERE active = 1 AND name_zh >= ? AND name_zh < ? "
                "ORDER BY name_zh LIMIT ?",
                (text, top, limit),
            ),
            *pinyin_stages(text, limit),
            (
                "SELECT sku FROM item WHERE active = 1 "
                "AND (name LIKE ? ESCAPE '\\' OR name_zh LIKE ? ESCAPE '\\') LIMIT ?",
                (contains, contains, 0),
            ),
        ]
        skus: list[str] = []
        for sql, params in stages:
            if len(skus) >= limit:
                break
            if params[-1] == 0:
                # The scan stage: ask for enough to fill up despite items already found.
                params = (*params[:-1], limit + len(skus))
            for (sku,) in self.db.execute_sql(sql, params).fetchall():
                if sku not in skus:
                    skus.append(sku)
                    if len(skus) >= limit:
                        break
        if not skus:
            return []
        marks = ",".join("?" * len(skus))
        rows = self.db.execute_sql(
            f"SELECT {_ITEM_COLUMNS} FROM item WHERE sku IN ({marks})", skus
        ).fetchall()
        order = {sku: i for i, sku in enumerate(skus)}
        rows.sort(key=lambda r: order[r[0]])
        return self._items(rows)

    def quick_keys(self) -> list[Item]:
        rows = self.db.execute_sql(
            f"SELECT {', '.join('i.' + c.strip() for c in _ITEM_COLUMNS.split(','))} "
            "FROM quick_key q JOIN item i ON i.sku = q.sku ORDER BY q.pos"
        ).fetchall()
        return self._items(rows)

    def tax_class(self, code: str) -> TaxClass:
        row = self.db.execute_sql(
            "SELECT code, rate_bp, inclusive, name FROM tax_class WHERE code = ?", (code,)
        ).fetchone()
        if row is None:
            raise UnknownTaxClass(f"unknown tax class {code!r}")
        return TaxClass(code=row[0], rate_bp=row[1], inclusive=bool(row[2]), name=row[3])

    def tax_classes(self) -> list[TaxClass]:
        return [
            TaxClass(code=c, rate_bp=r, inclusive=bool(i), name=n)
            for c, r, i, n in self.db.execute_sql(
                "SELECT code, rate_bp, inclusive, name FROM tax_class ORDER BY code"
            ).fetchall()
        ]

    def count(self) -> int:
        return self.db.execute_sql("SELECT count(*) FROM item").fetchone()[0]

    # --- writing -------------------------------------------------------------------------

    def upsert_items(self, items: Iterable[Item]) -> int:
        """Insert or replace items (with their barcodes) in one transaction; a barcode that
        moves to another item leaves the old one. Returns how many items were written."""
        written = 0
        try:
            with write_transaction(self.db):
                cursor = self.db.cursor()
                batch: list[Item] = []
                for item in items:
                    batch.append(item)
                    if len(batch) >= _BATCH:
                        written += self._write_batch(cursor, batch)
                        batch = []
                if batch:
                    written += self._write_batch(cursor, batch)
        except Exception as exc:
            raise translate(exc, "catalog update failed") from exc
        return written

    @staticmethod
    def _write_batch(cursor: Any, batch: list[Item]) -> int:
        cursor.executemany(
            f"INSERT INTO item ({_ITEM_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (sku) DO UPDATE SET name = excluded.name, "
            "name_zh = excluded.name_zh, price = excluded.price, "
            "tax_class = excluded.tax_class, unit = excluded.unit, "
            "open_price = excluded.open_price, stock_milli = excluded.stock_milli, "
            "category = excluded.category, active = excluded.active",
            [
                (
                    i.sku,
                    i.name,
                    i.name_zh,
                    i.price,
                    i.tax_class,
                    i.unit,
                    int(i.open_price),
                    i.stock_milli,
                    i.category,
                    int(i.active),
                )
                for i in batch
            ],
        )
        cursor.executemany("DELETE FROM barcode WHERE sku = ?", [(i.sku,) for i in batch])
        write_keys(cursor, [(i.sku, i.name_zh) for i in batch])
        cursor.executemany(
            "INSERT OR REPLACE INTO barcode (code, sku, pos) VALUES (?, ?, ?)",
            [(code, i.sku, pos) for i in batch for pos, code in enumerate(i.barcodes)],
        )
        return len(batch)

    def set_tax_classes(self, classes: Iterable[TaxClass]) -> None:
        """Insert or update the given classes (classes in use are never removed)."""
        try:
            with write_transaction(self.db):
                self.db.cursor().executemany(
                    "INSERT INTO tax_class (code, rate_bp, inclusive, name) VALUES (?,?,?,?) "
                    "ON CONFLICT (code) DO UPDATE SET rate_bp = excluded.rate_bp, "
                    "inclusive = excluded.inclusive, name = excluded.name",
                    [(c.code, c.rate_bp, int(c.inclusive), c.name) for c in classes],
                )
        except Exception as exc:
            raise translate(exc, "tax class update failed") from exc

    def set_quick_keys(self, skus: Sequence[str]) -> None:
        """Replace the quick keys with ``skus`` in this order; every SKU must exist."""
        try:
            with write_transaction(self.db):
                self.db.execute_sql("DELETE FROM quick_key")
                self.db.cursor().executemany(
                    "INSERT INTO quick_key (pos, sku) VALUES (?, ?)", list(enumerate(skus))
                )
        except Exception as exc:
            raise translate(exc, "quick keys update failed") from exc
