"""Pinyin search keys: a clerk types "niu" or "nn" for 牛奶 on a Latin keyboard.

Keys are computed when items are written (``SqliteCatalog.upsert_items``) and by ledger
migration 5 for items already in the file, never at each keystroke: a search is then one range
scan over ``search_key``'s primary key. Each Chinese name gives, from every syllable on (so
"niu" finds 纯牛奶 too), the full toneless pinyin run together and its initials. A polyphonic
character is indexed with pypinyin's default (most common) reading only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MAX_STARTS = 8
"""Key start positions per name: enough for any shelf name, bounded for odd long ones."""


_NOT_HAN = "\x00"
_WORD = re.compile(r"[0-9a-z]+")
_QUERY = re.compile(r"[0-9a-z]+")


def _syllables(name: str) -> list[tuple[str, str]]:
    """``(full, initial)`` per Han character in reading order (phrase-aware, so 银行 is
    yinhang); a run of Latin letters or digits is one token that stands for itself."""
    # pypinyin's dictionaries cost tens of MB: loaded when item names are written (an import,
    # a catalog command), never by a terminal that only searches the keys already stored.
    from pypinyin import lazy_pinyin

    out: list[tuple[str, str]] = []
    for part in lazy_pinyin(name, errors=lambda text: _NOT_HAN + text):
        if part.startswith(_NOT_HAN):
            out += [(w, w) for w in _WORD.findall(part[1:].lower())]
        elif part:
            out.append((part.lower(), part[:1].lower()))
    return out


def keys_for(name_zh: str) -> list[tuple[str, int]]:
    """``(key, start)`` pairs for a name; ``start`` 0 is the whole name, 1 a later syllable."""
    tokens = _syllables(name_zh)
    out: dict[str, int] = {}
    for pos in range(min(len(tokens), MAX_STARTS)):
        start = 0 if pos == 0 else 1
        full = "".join(t[0] for t in tokens[pos:])
        initials = "".join(t[1] for t in tokens[pos:])
        for key in (full, initials):
            if out.get(key, 2) > start:
                out[key] = start
    return list(out.items())


def pinyin_stages(text: str, limit: int) -> list[tuple[str, tuple[Any, ...]]]:
    """Search stages for a Latin query ("Niu Nai", "nn"); none for anything else."""
    query = "".join(text.lower().split())
    if not _QUERY.fullmatch(query):
        return []
    sql = (
        "SELECT k.sku FROM search_key k JOIN item i ON i.sku = k.sku "
        "WHERE k.start = ? AND k.key >= ? AND k.key < ? AND i.active = 1 "
        "ORDER BY k.key LIMIT ?"
    )
    # Keys are [0-9a-z] only, so "{" (after "z") bounds every key starting with the query.
    return [(sql, (start, query, query + "{", limit)) for start in (0, 1)]


def write_keys(cursor: Any, rows: Iterable[tuple[str, str]]) -> None:
    """Replace the keys of each ``(sku, name_zh)`` inside the caller's transaction."""
    rows = list(rows)
    cursor.executemany("DELETE FROM search_key WHERE sku = ?", [(sku,) for sku, _ in rows])
    cursor.executemany(
        "INSERT OR IGNORE INTO search_key (start, key, sku) VALUES (?, ?, ?)",
        [(start, key, sku) for sku, name in rows for key, start in keys_for(name)],
    )


def create_and_fill(db: Any) -> None:
    """Ledger migration 5: the key table, filled for every item already in the catalog."""
    db.execute_sql(
        """CREATE TABLE search_key (
            start INTEGER NOT NULL,
            key TEXT NOT NULL,
            sku TEXT NOT NULL REFERENCES item (sku) ON DELETE CASCADE,
            PRIMARY KEY (start, key, sku)
        ) WITHOUT ROWID"""
    )
    db.execute_sql("CREATE INDEX search_key_sku ON search_key (sku)")
    write_keys(db.cursor(), db.execute_sql("SELECT sku, name_zh FROM item").fetchall())
