"""Opening the ledger's SQLite file: pragmas, migrations, and the ``SqliteLedger`` on top.

One file per terminal. WAL lets the link and report readers run while the checkout writes;
``synchronous=FULL`` makes a committed sale survive power loss (the Pi's SD card is yanked more
often than anyone admits); peewee keeps one connection per thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import peewee

from terminal.core.clock import SystemClock
from terminal.core.ports import Clock
from terminal.ledger.ledger import SqliteLedger
from terminal.ledger.projections import ProjectionArea, discover_areas
from terminal.ledger.schema import migrate
from terminal.ledger.transaction import translate

LEDGER_FILENAME = "ledger.sqlite3"
BUSY_TIMEOUT_S = 10.0

PRAGMAS = (
    ("journal_mode", "wal"),
    ("synchronous", 2),  # FULL
    ("foreign_keys", 1),
    ("busy_timeout", int(BUSY_TIMEOUT_S * 1000)),
)


def ledger_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / LEDGER_FILENAME


def connect(path: str | Path) -> peewee.SqliteDatabase:
    """A peewee database on ``path`` with the ledger's pragmas; does not touch the schema."""
    return peewee.SqliteDatabase(str(path), pragmas=list(PRAGMAS), timeout=BUSY_TIMEOUT_S)


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
    if clock is None:
        clock = SystemClock()
    db, found = open_database(path, areas)
    return SqliteLedger(db, terminal_id, clock, found, path=Path(path))
