"""The ledger's own tables (journal, series counters, outbox, catalog, receipts owed) and the
migration runner that brings them and every projection area to their latest version.

Each migration is a function; all pending ones (and the replay that fills a newly created
projection area from the journal) run in one transaction. ``schema_version`` records, per area,
how many of its migrations have been applied. Shipped migrations are never edited.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from terminal.core.ports import LedgerError
from terminal.ledger.projections import Migration, ProjectionArea
from terminal.ledger.receipts_owed import create_table as _v4_receipts_owed
from terminal.ledger.search_keys import create_and_fill as _v5_search_keys

LEDGER_AREA = "ledger"


def _v1_journal(db: Any) -> None:
    db.execute_sql(
        """CREATE TABLE journal (
            seq INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            ts TEXT NOT NULL,
            terminal_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            staff_id TEXT,
            payload TEXT NOT NULL,
            number INTEGER,
            series TEXT,
            training INTEGER NOT NULL DEFAULT 0,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )"""
    )
    db.execute_sql("CREATE INDEX journal_kind ON journal (kind, seq)")
    db.execute_sql(
        "CREATE UNIQUE INDEX journal_series_number ON journal (series, number) "
        "WHERE series IS NOT NULL"
    )
    db.execute_sql(
        "CREATE TABLE counters (series TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID"
    )
    db.execute_sql(
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY REFERENCES journal (seq),
            kind TEXT NOT NULL,
            body BLOB NOT NULL
        )"""
    )


def _v2_catalog(db: Any) -> None:
    db.execute_sql(
        """CREATE TABLE tax_class (
            code TEXT PRIMARY KEY,
            rate_bp INTEGER NOT NULL,
            inclusive INTEGER NOT NULL,
            name TEXT NOT NULL DEFAULT ''
        ) WITHOUT ROWID"""
    )
    db.execute_sql(
        """CREATE TABLE item (
            sku TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            name_zh TEXT NOT NULL,
            price INTEGER NOT NULL,
            tax_class TEXT NOT NULL,
            unit TEXT NOT NULL,
            open_price INTEGER NOT NULL,
            stock_milli INTEGER,
            category TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 1
        )"""
    )
    db.execute_sql("CREATE INDEX item_name ON item (name COLLATE NOCASE)")
    db.execute_sql("CREATE INDEX item_name_zh ON item (name_zh)")
    db.execute_sql(
        """CREATE TABLE barcode (
            code TEXT PRIMARY KEY,
            sku TEXT NOT NULL REFERENCES item (sku) ON DELETE CASCADE,
            pos INTEGER NOT NULL
        ) WITHOUT ROWID"""
    )
    db.execute_sql("CREATE INDEX barcode_sku ON barcode (sku, pos)")
    db.execute_sql(
        "CREATE TABLE quick_key (pos INTEGER PRIMARY KEY, sku TEXT NOT NULL REFERENCES item (sku))"
    )


def _v3_append_only(db: Any) -> None:
    # The journal is evidence: a correction is a new reversing entry, never an edit. The
    # triggers stop honest mistakes; `ledger verify` catches edits made with them dropped.
    db.execute_sql(
        "CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal "
        "BEGIN SELECT RAISE(ABORT, 'journal is append-only: entries cannot be changed'); END"
    )
    db.execute_sql(
        "CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal "
        "BEGIN SELECT RAISE(ABORT, 'journal is append-only: entries cannot be deleted'); END"
    )


LEDGER_MIGRATIONS: tuple[Migration, ...] = (
    _v1_journal,
    _v2_catalog,
    _v3_append_only,
    _v4_receipts_owed,
    _v5_search_keys,
)


class SchemaError(LedgerError):
    """The database was written by a newer version of the terminal."""


def _ensure_version_table(db: Any) -> None:
    db.execute_sql(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(area TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID"
    )


def versions(db: Any) -> dict[str, int]:
    # Reads only: a file must never be left holding a bare schema_version table.
    if not _has_table(db, "schema_version"):
        return {}
    return dict(db.execute_sql("SELECT area, version FROM schema_version").fetchall())


def plan(areas: Sequence[ProjectionArea]) -> list[tuple[str, Sequence[Migration]]]:
    """Every area with its migrations, the ledger's own first."""
    return [(LEDGER_AREA, LEDGER_MIGRATIONS)] + [(a.name, a.migrations) for a in areas]


def _limits(
    areas: Sequence[ProjectionArea], current: dict[str, int], target: dict[str, int] | None
) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, steps in plan(areas):
        have = current.get(name, 0)
        if have > len(steps):
            raise SchemaError(
                f"schema area {name!r} is at version {have}, newer than this "
                f"software knows ({len(steps)}): upgrade the terminal"
            )
        out[name] = len(steps) if target is None else min(len(steps), target.get(name, 0))
    return out


def migrate(
    db: Any,
    areas: Sequence[ProjectionArea],
    *,
    target: dict[str, int] | None = None,
) -> dict[str, int]:
    """Apply pending migrations, then fill any area that was just created by replaying the
    journal, all in one IMMEDIATE transaction: a crash or a failing step leaves the file at
    the schema it had. ``target`` caps versions per area (tests build old schemas).
    Returns the versions now in place."""
    current = versions(db)
    limits = _limits(areas, current, target)
    if all(limits[name] <= current.get(name, 0) for name in limits):
        return current
    # Rebuilding a table (create new, copy, drop old, rename) is only possible with foreign
    # key enforcement off, which SQLite allows only outside a transaction; the keys are checked
    # as a whole before the commit instead.
    db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic("IMMEDIATE"):
            _ensure_version_table(db)
            before = versions(db)
            limits = _limits(areas, before, target)
            for name, steps in plan(areas):
                have = before.get(name, 0)
                for version in range(have, limits[name]):
                    steps[version](db)
                if limits[name] > have:
                    db.execute_sql(
                        "INSERT INTO schema_version (area, version) VALUES (?, ?) "
                        "ON CONFLICT (area) DO UPDATE SET version = excluded.version",
                        (name, limits[name]),
                    )
            after = versions(db)
            new = [a for a in areas if before.get(a.name, 0) == 0 and after.get(a.name, 0) > 0]
            if new:
                replay(db, new)
            broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise SchemaError(f"the migration broke foreign keys: {broken[:5]}")
    finally:
        db.execute_sql("PRAGMA foreign_keys = ON")
    return after


def replay(db: Any, areas: Sequence[ProjectionArea]) -> int:
    """Inside the migration transaction, build new areas' tables from the journal already
    there, in one pass in seq order: an area added to a ledger that has history (a terminal
    upgraded in the field) starts complete, not empty."""
    from terminal.ledger.journal import JOURNAL_COLUMNS, entry_from_row

    projectors = {kind: fn for a in areas for kind, fn in a.projectors.items()}
    kinds = sorted(projectors)
    if not kinds or not _has_table(db, "journal"):
        return 0
    marks = ",".join("?" * len(kinds))
    done = 0
    after = 0
    while True:
        rows = db.execute_sql(
            f"SELECT {JOURNAL_COLUMNS} FROM journal WHERE seq > ? AND kind IN ({marks}) "
            "ORDER BY seq LIMIT 1000",
            (after, *kinds),
        ).fetchall()
        if not rows:
            break
        for row in rows:
            entry = entry_from_row(row)
            projectors[entry.kind](entry, db)
            done += 1
        after = rows[-1][0]
    for a in areas:
        if a.after_replay is not None:
            a.after_replay(db)
    return done


def _has_table(db: Any, name: str) -> bool:
    row = db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None
