"""The projections rebuilt from the journal, for ``ledger verify`` to hold the live tables against.

A projection is a pure function of the journal, so the honest way to check one is to compute it
again: a scratch database gets the same schema from the same migrations, the journal is fed
through the same projectors, and every table a projector writes is compared row by row with the
live file's. Checking sums or counts would miss an edit that keeps them (a tender turned from
cash to card keeps every total).

The scratch is a private temporary database (SQLite keeps it in memory until its cache fills,
then spills to a temporary file), never the ledger file, which is only read through ``ATTACH``.

Not compared: the ledger's own tables (journal, counters and outbox are checked by the chain
walk; the catalog is state the owner sets, not a projection), the tables an area declares as
state (``ProjectionArea.state_tables``: PIN hashes, lockouts), and the stock figures in
``item``, which start from levels the owner sets absolutely and the journal does not carry.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peewee

from terminal.core.records import JournalEntry
from terminal.ledger import reports
from terminal.ledger.projections import ProjectionArea, Projector, projector_table
from terminal.ledger.schema import migrate, plan, versions

_REPORTED = frozenset({"report.z", "shift.closed"})
"""Entries that carry report figures computed from the projections when they were posted."""

_REPLAY_LOOKUPS = frozenset({"shift_id", "closed_seq"})
"""First columns of the indexes the replay itself reads through."""

_SCRATCH_CACHE_KIB = 128 * 1024
"""How much of the scratch SQLite keeps in memory before spilling to its temporary file: the
projections of about 100,000 sales fit, so a busy SD card is not written at every start, and a
Pi with 1 GB is not pushed into swap."""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One row where the live table and the journal disagree."""

    table: str
    key: str
    """``col=value, ...`` of the row's primary key."""
    seq: int | None
    """The journal entry the row comes from (its ``seq`` column), when it has one."""
    message: str


class _ScratchDatabase(peewee.SqliteDatabase):
    """peewee takes an empty name for "not configured yet"; SQLite takes it for a private
    temporary database, which is what the scratch is."""

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._add_conn_hooks(conn)  # type: ignore[attr-defined]
        return conn


class Rebuild:
    """The scratch projections: ``apply`` each journal entry in seq order, then ``compare``."""

    def __init__(self, live_path: Path, areas: Sequence[ProjectionArea]) -> None:
        self.db = _ScratchDatabase(
            "scratch",
            pragmas=[("cache_size", -_SCRATCH_CACHE_KIB), ("journal_mode", "memory")],
        )
        self._areas = list(areas)
        self._projectors: dict[str, Projector] = projector_table(self._areas)
        migrate(self.db, self._areas)
        # Projectors that write through peewee models must write here, not to the ledger the
        # models were bound to when it opened; ``close`` gives them back.
        self._models = [m for a in self._areas for m in a.models]
        self._bound = [(m, m._meta.database) for m in self._models]  # type: ignore[attr-defined]
        if self._models:
            self.db.bind(self._models, bind_refs=False, bind_backrefs=False)
        # The scratch has no journal rows for the projections' foreign keys to point at;
        # the chain walk checks the live journal instead.
        self.db.execute_sql("PRAGMA foreign_keys = OFF")
        # Secondary indexes serve reports; projectors look rows up by primary or unique keys,
        # which stay, so every insert of the replay maintains fewer b-trees. The replay's own
        # lookups keep theirs: the open shift (by closed_seq) for every sale, and each shift's
        # figures (by shift_id) at its close.
        for (name,) in self.db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall():
            first = self.db.execute_sql(f'PRAGMA index_info("{name}")').fetchone()
            if first is None or first[2] not in _REPLAY_LOOKUPS:
                self.db.execute_sql(f'DROP INDEX "{name}"')
        self.tables = self._projected_tables()
        self.db.execute_sql("ATTACH DATABASE ? AS live", (str(live_path),))
        self.db.execute_sql("BEGIN")

    def _projected_tables(self) -> list[str]:
        ledger_own = _ledger_tables()
        state = {t for a in self._areas for t in a.state_tables}
        return [
            name
            for (name,) in self.db.execute_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ).fetchall()
            if name not in ledger_own and name not in state and name != "schema_version"
        ]

    def apply(self, entry: JournalEntry) -> str | None:
        """Project one entry; the projector's refusal, if it refuses (the live ledger never
        committed an entry its projector refused, so a refusal means the journal was edited)."""
        projector = self._projectors.get(entry.kind)
        if projector is None:
            return None
        contradiction = None
        if entry.kind in _REPORTED:
            contradiction = self._report_contradiction(entry)
        try:
            projector(entry, self.db)
        except Exception as exc:
            return f"the {entry.kind} entry cannot be projected: {exc}"
        return contradiction

    def _report_contradiction(self, entry: JournalEntry) -> str | None:
        """A Z's or a shift close's figures against the journal's entries they cover, computed
        the way the shift service computed them, over the rebuilt tables as they stood at that
        seq: a report printed from edited projections carries figures the journal
        contradicts, even when its own row matches its own entry."""
        printed = entry.payload.get("totals")
        if entry.training or not isinstance(printed, dict):
            return None
        if entry.kind == "report.z":
            what = f"Z report {entry.number}"
            scope: dict[str, Any] = {"since_last_z": True}
        else:
            what = f"the close of shift {entry.payload.get('shift_id')!r}"
            scope = {"shift_id": str(entry.payload.get("shift_id"))}
        try:
            figures = reports.totals(self.db, **scope).to_payload()
        except Exception as exc:
            return f"{what}: its figures cannot be recomputed: {exc}"
        for name in sorted(set(figures) | set(printed)):
            if figures.get(name) != printed.get(name):
                return (
                    f"{what}: {name} is {printed.get(name)!r} on the report, "
                    f"the journal's entries before it make it {figures.get(name)!r}"
                )
        return None

    def compare(self, limit: int) -> Iterator[Mismatch]:
        """Table by table (by name), the rows that differ, in key order, at most ``limit``
        per table."""
        for table in self.tables:
            yield from _compare_table(self.db, table, limit)

    def close(self) -> None:
        try:
            self.db.execute_sql("ROLLBACK")
        except peewee.OperationalError:
            pass
        for model, database in self._bound:
            model.bind(database, bind_refs=False, bind_backrefs=False)  # type: ignore[attr-defined]
        self.db.close()


def schema_state(conn: sqlite3.Connection, areas: Sequence[ProjectionArea]) -> str:
    """ "same" when the live file is at the schema this code builds, "older" when it still has
    migrations to run (the terminal runs them when it opens the file), "newer" when it was
    written by newer software."""

    class _Conn:
        def execute_sql(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
            return conn.execute(sql, params)

    have = versions(_Conn())
    steps = {name: len(migrations) for name, migrations in plan(areas)}
    if any(have.get(name, 0) > count for name, count in steps.items()):
        return "newer"
    return "same" if all(have.get(name, 0) == count for name, count in steps.items()) else "older"


def migrated_copy(conn: sqlite3.Connection, areas: Sequence[ProjectionArea], into: Path) -> Path:
    """A consistent copy of the live file (SQLite's backup) brought to this code's schema the
    way the terminal will bring the file itself, so a file not yet migrated is compared too."""
    path = into / "ledger-migrated.sqlite3"
    dest = sqlite3.connect(str(path))
    try:
        conn.backup(dest)
    finally:
        dest.close()
    db = peewee.SqliteDatabase(str(path))
    try:
        migrate(db, areas)
    finally:
        db.close()
    return path


@functools.cache
def _ledger_tables() -> frozenset[str]:
    probe = _ScratchDatabase("probe")
    try:
        migrate(probe, [])
        return frozenset(
            name
            for (name,) in probe.execute_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            ).fetchall()
        )
    finally:
        probe.close()


def _columns(db: Any, table: str) -> tuple[list[str], list[str]]:
    info = db.execute_sql(f'PRAGMA main.table_info("{table}")').fetchall()
    columns = [r[1] for r in info]
    key = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
    # No primary key: the whole row is the key (``key is columns`` tells the caller).
    return columns, key or columns


def _quoted(names: Sequence[str], prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{n}"' for n in names)


def _compare_table(db: Any, table: str, limit: int) -> Iterator[Mismatch]:
    columns, key = _columns(db, table)
    cols, keys = _quoted(columns), _quoted(key)
    # EXCEPT compares whole rows with NULLs equal, in one pass over each side.
    expected = db.execute_sql(
        f'SELECT {cols} FROM main."{table}" EXCEPT SELECT {cols} FROM live."{table}" '
        f"ORDER BY {keys} LIMIT ?",
        (limit,),
    ).fetchall()
    found: list[Any] = []
    counts = db.execute_sql(
        f'SELECT (SELECT count(*) FROM main."{table}"), (SELECT count(*) FROM live."{table}")'
    ).fetchone()
    # With every journal row found in the table and a primary key making rows distinct, equal
    # counts leave no room for an extra row: the second pass is only for a table that differs.
    if expected or counts[0] != counts[1] or key is columns:
        found = db.execute_sql(
            f'SELECT {cols} FROM live."{table}" EXCEPT SELECT {cols} FROM main."{table}" '
            f"ORDER BY {keys} LIMIT ?",
            (limit,),
        ).fetchall()
    key_at = [columns.index(k) for k in key]
    found_by_key = {tuple(r[i] for i in key_at): r for r in found}
    seq_at = columns.index("seq") if "seq" in columns else None
    out: list[tuple[tuple[Any, ...], Mismatch]] = []
    for row in expected:
        k = tuple(row[i] for i in key_at)
        live = found_by_key.pop(k, None)
        if live is None:
            live = _live_row(db, table, cols, key, k)
        out.append((k, _row_mismatch(table, columns, key, seq_at, row, live)))
    for k, live in found_by_key.items():
        if _has_key(db, table, key, k):
            continue  # a changed row: reported from the expected side
        seq = live[seq_at] if seq_at is not None else None
        message = "extra row: the journal has no entry that writes it"
        out.append((k, Mismatch(table, _key_text(key, k), seq, message)))
    out.sort(key=lambda pair: _sort_key(pair[0]))
    for _, mismatch in out[:limit]:
        yield mismatch


def _row_mismatch(
    table: str,
    columns: list[str],
    key: list[str],
    seq_at: int | None,
    row: Sequence[Any],
    live: Sequence[Any] | None,
) -> Mismatch:
    k = tuple(row[columns.index(c)] for c in key)
    seq = row[seq_at] if seq_at is not None else None
    if live is None:
        return Mismatch(table, _key_text(key, k), seq, "row missing: the journal writes it")
    for i, name in enumerate(columns):
        if row[i] != live[i] or type(row[i]) is not type(live[i]):
            want, have = _shown(row[i], live[i])
            return Mismatch(
                table,
                _key_text(key, k),
                seq,
                f"column {name}: journal says {want}, table has {have}",
            )
    return Mismatch(table, _key_text(key, k), seq, "row differs from the journal")


_SHOWN = 60
"""Characters of a long text value shown around its first difference (report totals are JSON
of a few hundred characters; the one figure changed is what matters)."""


def _shown(want: Any, have: Any) -> tuple[str, str]:
    if not (isinstance(want, str) and isinstance(have, str)) or max(len(want), len(have)) <= _SHOWN:
        return repr(want), repr(have)
    pairs = enumerate(zip(want, have, strict=False))
    at = next((i for i, (x, y) in pairs if x != y), min(len(want), len(have)))
    start = max(0, at - _SHOWN // 3)

    def cut(text: str) -> str:
        piece = text[start : start + _SHOWN]
        return (
            ("..." if start else "") + repr(piece) + ("..." if start + _SHOWN < len(text) else "")
        )

    return cut(want), cut(have)


def _live_row(
    db: Any, table: str, cols: str, key: list[str], k: tuple[Any, ...]
) -> Sequence[Any] | None:
    where = " AND ".join(f'"{c}" IS ?' for c in key)
    row: Sequence[Any] | None = db.execute_sql(
        f'SELECT {cols} FROM live."{table}" WHERE {where}', k
    ).fetchone()
    return row


def _has_key(db: Any, table: str, key: list[str], k: tuple[Any, ...]) -> bool:
    where = " AND ".join(f'"{c}" IS ?' for c in key)
    row = db.execute_sql(f'SELECT 1 FROM main."{table}" WHERE {where}', k).fetchone()
    return row is not None


def _key_text(key: list[str], k: tuple[Any, ...]) -> str:
    return ", ".join(f"{c}={v!r}" for c, v in zip(key, k, strict=True))


def _sort_key(k: tuple[Any, ...]) -> tuple[Any, ...]:
    # Keys mix types only after tampering (a text where an integer was); order them anyway.
    return tuple((type(v).__name__, v) if v is not None else ("", 0) for v in k)


__all__ = ["Mismatch", "Rebuild", "migrated_copy", "schema_state"]
