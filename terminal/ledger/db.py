"""Opening the ledger's SQLite file: pragmas, migrations, and the write transaction.

One file per terminal. WAL lets the link and report readers run while the checkout writes;
``synchronous=FULL`` makes a committed sale survive power loss (the Pi's SD card is yanked more
often than anyone admits); peewee keeps one connection per thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import peewee

from terminal.core.ports import Clock, LedgerError, LedgerFull
from terminal.ledger.projections import ProjectionArea, discover_areas
from terminal.ledger.schema import migrate

if TYPE_CHECKING:
    from terminal.ledger.ledger import SqliteLedger

LEDGER_FILENAME = "ledger.sqlite3"
BUSY_TIMEOUT_S = 10.0

PRAGMAS = (
    ("journal_mode", "wal"),
    ("synchronous", 2),  # FULL
    ("foreign_keys", 1),
    ("busy_timeout", int(BUSY_TIMEOUT_S * 1000)),
)

SQLITE_FULL = 13


def ledger_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / LEDGER_FILENAME


def connect(path: str | Path) -> peewee.SqliteDatabase:
    """A peewee database on ``path`` with the ledger's pragmas; does not touch the schema."""
    return peewee.SqliteDatabase(str(path), pragmas=list(PRAGMAS), timeout=BUSY_TIMEOUT_S)


def is_disk_full(exc: BaseException) -> bool:
    for e in (exc, exc.__cause__, exc.__context__):
        if e is None:
            continue
        if getattr(e, "sqlite_errorcode", None) == SQLITE_FULL:
            return True
        if "database or disk is full" in str(e):
            return True
    return False


def _rollback(db: peewee.SqliteDatabase) -> None:
    # After SQLITE_FULL or an I/O error SQLite may already have rolled the transaction back;
    # a second ROLLBACK would raise and hide the real error.
    conn = db.connection()
    if conn.in_transaction:
        conn.rollback()


@contextmanager
def write_transaction(db: peewee.SqliteDatabase) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back whole on any error.

    IMMEDIATE takes the write lock up front, so two writers serialise on the busy timeout
    instead of failing halfway with SQLITE_BUSY. Inside it, ``db.atomic()`` is a savepoint.
    """
    if db.in_transaction():
        raise LedgerError("a ledger write cannot be nested inside another transaction")
    db.begin("IMMEDIATE")
    marker = db.transaction()
    db.push_transaction(marker)
    try:
        yield
    except BaseException:
        db.pop_transaction()
        _rollback(db)
        raise
    db.pop_transaction()
    try:
        db.commit()
    except BaseException:
        _rollback(db)
        raise


def translate(exc: BaseException, what: str) -> LedgerError:
    if isinstance(exc, LedgerError):
        return exc
    if is_disk_full(exc):
        return LedgerFull(f"{what}: the disk is full; nothing was written")
    return LedgerError(f"{what}: {exc}")


def open_database(
    path: str | Path, areas: Sequence[ProjectionArea] | None = None
) -> tuple[peewee.SqliteDatabase, list[ProjectionArea]]:
    """Connect and migrate to the latest schema; the directory is created if missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    found = list(discover_areas() if areas is None else areas)
    db = connect(path)
    try:
        migrate(db, found)
    except Exception as exc:
        db.close()
        raise translate(exc, f"cannot open ledger {path}") from exc
    models = [m for a in found for m in a.models]
    if models:
        # peewee binds models per class: in one process, the last ledger opened owns them.
        db.bind(models, bind_refs=False, bind_backrefs=False)
    return db, found


def open_ledger(
    path: str | Path,
    terminal_id: str,
    clock: Clock | None = None,
    *,
    areas: Sequence[ProjectionArea] | None = None,
) -> SqliteLedger:
    """Open (creating and migrating as needed) the ledger file at ``path``."""
    from terminal.ledger.ledger import SqliteLedger

    if clock is None:
        from terminal.core.clock import SystemClock

        clock = SystemClock()
    db, found = open_database(path, areas)
    return SqliteLedger(db, terminal_id, clock, found, path=Path(path))
