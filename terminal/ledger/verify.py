"""``ledger verify``: is this file still the evidence it claims to be?

Checks, in order: SQLite's own ``PRAGMA integrity_check``; the journal read in sequence order
(seq 1, 2, 3 ... with no gap or repeat; each ``prev_hash`` equal to the previous entry's hash;
each hash recomputed from the entry's fields; each series numbered 1, 2, 3 ...); the series
counters against the journal; the projections' foreign keys and counts (a projection row whose
journal entry is missing betrays a deleted entry, a sale without all its lines and tenders a
partial write); and finally every projection table rebuilt from the journal by the real
projectors in a scratch database and compared row by row with the file's (``rebuild``), so an
edited total, a tender turned from cash to card or a deleted or added row is named by table,
key and column. Problems are reported by journal seq, first bad entry first.

Reads only; never migrates or repairs.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terminal.core.canonical import canonical, entry_hash
from terminal.core.records import JournalEntry
from terminal.ledger.journal import GENESIS, JOURNAL_COLUMNS
from terminal.ledger.projections import ProjectionArea, discover_areas
from terminal.ledger.rebuild import Rebuild, migrated_copy, schema_state

_MAX_PROBLEMS = 50
_BATCH = 2000
_ROWS_PER_TABLE = 20
_SECOND_PROCESS_FROM = 20_000
"""Journal length from which the hashes are checked in a second process, beside the rebuild;
below it, starting the process costs more than it saves."""


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int | None
    """The journal entry concerned; None for file-level problems."""
    message: str
    table: str | None = None
    """The projection table whose row disagrees with the journal, if that is the problem."""

    def __str__(self) -> str:
        if self.seq is not None:
            return f"seq {self.seq}: {self.message}"
        # A table row with no seq of its own: the message names the table and row.
        return self.message if self.table is not None else f"file: {self.message}"


@dataclass
class VerifyReport:
    path: Path
    entries: int = 0
    last_seq: int = 0
    series: dict[str, int] = field(default_factory=dict)
    """Last number seen per series."""
    problems: list[Problem] = field(default_factory=list)
    projection_tables: int = 0
    """How many projection tables were rebuilt from the journal and compared."""
    projections_skipped: str = ""
    """Why the projections were not rebuilt, when they were not."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        file_level = [p for p in self.problems if p.seq is None and p.table is None]
        if file_level:
            return file_level[0]
        if not self.problems:
            return None
        # A table row without a seq of its own (a key/value row) sorts after the entries.
        return min(self.problems, key=lambda p: (p.seq is None, p.seq or 0))

    def summary(self) -> str:
        if self.ok:
            numbering = ", ".join(f"{name} 1..{last}" for name, last in sorted(self.series.items()))
            if self.projections_skipped:
                projections = f", projections not rebuilt ({self.projections_skipped})"
            else:
                projections = (
                    f", {self.projection_tables} projection tables match the journal"
                    if self.projection_tables
                    else ""
                )
            return (
                f"ledger OK: {self.path}: {self.entries} entries, hash chain intact, "
                f"sequence gapless"
                + (f", numbering gapless ({numbering})" if numbering else "")
                + projections
            )
        first = self.first_problem
        lines = [f"ledger BAD: {self.path}: first bad entry {first}"]
        others = [p for p in self.problems if p is not first]
        lines += [f"  also {p}" for p in others[:20]]
        if len(others) > 20:
            lines.append(f"  ... and {len(others) - 20} more")
        return "\n".join(lines)


def _rows(conn: sqlite3.Connection) -> Iterator[tuple]:
    after = None
    while True:
        if after is None:
            cur = conn.execute(
                f"SELECT {JOURNAL_COLUMNS} FROM journal ORDER BY seq LIMIT ?", (_BATCH,)
            )
        else:
            cur = conn.execute(
                f"SELECT {JOURNAL_COLUMNS} FROM journal WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, _BATCH),
            )
        rows = cur.fetchall()
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


def _table_exists(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


def verify_file(path: str | Path, *, areas: Sequence[ProjectionArea] | None = None) -> VerifyReport:
    """Verify the ledger file at ``path``; ``areas`` defaults to the discovered projection
    areas (tests give their own)."""
    path = Path(path)
    report = VerifyReport(path=path)
    if not path.is_file():
        report.problems.append(Problem(None, "no ledger file here"))
        return report
    found = list(discover_areas() if areas is None else areas)
    conn = sqlite3.connect(str(path), timeout=10)
    # The walk makes millions of short-lived containers and keeps none: the cycle collector
    # would only scan them over and over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _verify(conn, report, found)
    except sqlite3.DatabaseError as exc:
        report.problems.append(Problem(None, f"cannot read the database: {exc}"))
    finally:
        if collecting:
            gc.enable()
        conn.close()
    return report


def _add(report: VerifyReport, seq: int | None, message: str) -> bool:
    report.problems.append(Problem(seq, message))
    return len(report.problems) < _MAX_PROBLEMS


def _verify(
    conn: sqlite3.Connection, report: VerifyReport, areas: Sequence[ProjectionArea]
) -> None:
    if not _table_exists(conn, "journal"):
        _check_integrity(report.path, report)
        if not report.problems and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            _add(report, None, "no journal table: this is not a ledger")
        # No schema at all: the terminal stopped while creating the file; nothing was lost.
        return
    # SQLite's own check reads every page in C without the GIL: on its own connection and
    # thread it runs beside the journal walk instead of before it.
    integrity = VerifyReport(path=report.path)
    checker = threading.Thread(target=_check_integrity, args=(report.path, integrity))
    checker.start()
    try:
        _check_content(conn, report, areas)
    except sqlite3.DatabaseError:
        checker.join()
        if not integrity.problems:
            raise
    checker.join()
    if integrity.problems:
        # Whatever else was found on a damaged file is noise next to the damage.
        report.problems[:] = integrity.problems


def _check_integrity(path: Path, report: VerifyReport) -> None:
    conn = sqlite3.connect(str(path), timeout=10)
    try:
        results = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        results = [str(exc)]
    finally:
        conn.close()
    if results != ["ok"]:
        _add(report, None, "PRAGMA integrity_check: " + "; ".join(results[:5]))


def _check_content(
    conn: sqlite3.Connection, report: VerifyReport, areas: Sequence[ProjectionArea]
) -> None:
    with tempfile.TemporaryDirectory(prefix="pos-verify-") as scratch_dir:
        rebuild = _open_rebuild(conn, report, areas, Path(scratch_dir))
        try:
            hashing = _start_hashing(conn, report.path)
            _check_chain(conn, report, rebuild, hashes=hashing is None)
            if hashing is not None:
                found = hashing.result()
                if found is None:
                    found = hash_problems(str(report.path))
                report.problems.extend(found[: max(0, _MAX_PROBLEMS - len(report.problems))])
            _check_counters(conn, report)
            _check_projections(conn, report, set(rebuild.tables) if rebuild else set())
            if rebuild is not None:
                _compare_projections(rebuild, report)
        finally:
            if rebuild is not None:
                rebuild.close()


def _open_rebuild(
    conn: sqlite3.Connection,
    report: VerifyReport,
    areas: Sequence[ProjectionArea],
    scratch_dir: Path,
) -> Rebuild | None:
    """The scratch projections, to be held against the file, or against a migrated copy of it
    when the file still has migrations to run (the first start after an upgrade)."""
    state = schema_state(conn, areas)
    if state == "newer":
        report.projections_skipped = "the file was written by newer software"
        return None
    target = report.path
    if state == "older":
        try:
            target = migrated_copy(conn, areas, scratch_dir)
        except Exception as exc:
            # The terminal would fail to open it the same way: schema_version no longer
            # describes the tables, or the data breaks a migration.
            _add(report, None, f"the file cannot be brought to this software's schema: {exc}")
            return None
    return Rebuild(target, areas)


def _compare_projections(rebuild: Rebuild, report: VerifyReport) -> None:
    report.projection_tables = len(rebuild.tables)
    for m in rebuild.compare(_ROWS_PER_TABLE):
        problem = Problem(m.seq, f"table {m.table}, row {m.key}: {m.message}", table=m.table)
        report.problems.append(problem)
        if len(report.problems) >= _MAX_PROBLEMS:
            return


def _hash_mismatch(row: Sequence[Any]) -> str | None:
    """The hash check of one journal row, None when it holds or the payload is not JSON (the
    walk reports that)."""
    seq, uid, ts, terminal_id, kind, staff_id, _, number, series, training, prev, digest = row
    fields = JournalEntry(
        seq=seq,
        uuid=uid,
        ts=ts,
        terminal_id=terminal_id,
        kind=kind,
        staff_id=staff_id,
        payload=None,  # type: ignore[arg-type]  # hashed from the stored text instead
        number=number,
        series=series,
        training=bool(training),
        prev_hash=prev,
        hash=digest,
    )
    # The stored payload is the canonical text that was hashed; hashing it as stored saves
    # parsing and serialising every payload again. Only a mismatch pays for the full form.
    if isinstance(row[6], str) and entry_hash(fields, row[6]) == fields.hash:
        return None
    try:
        payload = json.loads(row[6])
    except (TypeError, ValueError):
        return None
    if entry_hash(fields, canonical(payload)) == fields.hash:
        return None
    return f"hash mismatch: the {fields.kind} entry was altered after it was written"


def hash_problems(path: str) -> list[Problem]:
    """Every hash mismatch of the journal at ``path``, first ``_MAX_PROBLEMS``: run in a second
    process on a long journal while the first rebuilds the projections (hashing needs no
    parsed payload, so the two share no work)."""
    conn = sqlite3.connect(path, timeout=10)
    try:
        problems: list[Problem] = []
        for row in _rows(conn):
            mismatch = _hash_mismatch(row)
            if mismatch:
                problems.append(Problem(row[0], mismatch))
                if len(problems) >= _MAX_PROBLEMS:
                    break
        return problems
    finally:
        conn.close()


class _Hashing:
    """``hash_problems`` in a child interpreter. Not multiprocessing: its spawn re-imports the
    caller's main module, which runs any script without a ``__main__`` guard twice."""

    def __init__(self, path: Path) -> None:
        code = "import sys; from terminal.ledger.verify import hash_child; hash_child(sys.argv[1])"
        self._proc = subprocess.Popen(
            [sys.executable, "-c", code, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": _import_path()},
        )

    def result(self) -> list[Problem] | None:
        """The child's problems, or None when it failed (the caller hashes in-process)."""
        out, _ = self._proc.communicate()
        if self._proc.returncode != 0:
            return None
        try:
            return [Problem(seq, message) for seq, message in json.loads(out)]
        except (ValueError, TypeError):
            return None


def _import_path() -> str:
    """PYTHONPATH for the child: this package's root first, so it runs the same code."""
    root = str(Path(__file__).resolve().parents[2])
    return os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)


def hash_child(path: str) -> None:
    sys.stdout.write(json.dumps([[p.seq, p.message] for p in hash_problems(path)]))


def _start_hashing(conn: sqlite3.Connection, path: Path) -> _Hashing | None:
    last = conn.execute("SELECT max(seq) FROM journal").fetchone()[0] or 0
    if last < _SECOND_PROCESS_FROM:
        return None
    try:
        return _Hashing(path)
    except OSError:
        return None


def _check_chain(
    conn: sqlite3.Connection,
    report: VerifyReport,
    rebuild: Rebuild | None = None,
    *,
    hashes: bool = True,
) -> None:
    expected_seq = 1
    prev_hash = GENESIS
    series: dict[str, int] = {}
    for row in _rows(conn):
        seq = row[0]
        report.entries += 1
        found: list[str] = []
        if seq > expected_seq:
            found.append(f"sequence gap: expected seq {expected_seq}, found {seq}")
        elif seq < expected_seq:
            found.append(f"sequence repeats: expected seq {expected_seq}, found {seq}")
        try:
            payload = json.loads(row[6])
        except (TypeError, ValueError):
            payload = None
            found.append("payload is not valid JSON (the entry was altered)")
        if row[10] != prev_hash:
            found.append("prev_hash does not match the previous entry's hash (chain broken)")
        if payload is not None:
            entry = JournalEntry(
                seq=seq,
                uuid=row[1],
                ts=row[2],
                terminal_id=row[3],
                kind=row[4],
                staff_id=row[5],
                payload=payload,
                number=row[7],
                series=row[8],
                training=bool(row[9]),
                prev_hash=row[10],
                hash=row[11],
            )
            if hashes:
                mismatch = _hash_mismatch(row)
                if mismatch:
                    found.append(mismatch)
            if rebuild is not None:
                refused = rebuild.apply(entry)
                if refused:
                    found.append(refused)
        name, number = row[8], row[7]
        if name is not None:
            want = series.get(name, 0) + 1
            if number != want:
                found.append(f"series {name!r} numbering: expected {want}, found {number}")
            series[name] = number if isinstance(number, int) else want
        elif number is not None:
            found.append(f"number {number} without a series")
        for message in found:
            if not _add(report, seq, message):
                return
        prev_hash = row[11]
        expected_seq = seq + 1
    report.last_seq = expected_seq - 1
    report.series = series


def _check_counters(conn: sqlite3.Connection, report: VerifyReport) -> None:
    if not _table_exists(conn, "counters"):
        return
    for name, last in conn.execute("SELECT series, last FROM counters ORDER BY series"):
        seen = report.series.get(name, 0)
        if last != seen:
            # The numbers beyond the journal's last were drawn by entries that are gone:
            # the first bad entry is the one after the journal's end.
            _add(
                report,
                report.last_seq + 1,
                f"series {name!r}: counter says {last} but the journal's last number is {seen}"
                f" (entries after seq {report.last_seq} were removed, or the counter edited)",
            )


def _check_projections(conn: sqlite3.Connection, report: VerifyReport, rebuilt: set[str]) -> None:
    """Foreign keys and per-sale counts of the tables the rebuild does not compare row by row
    (a rebuilt table's every row is already held against the journal)."""
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ).fetchall()
        if name not in rebuilt
    ]
    # Every foreign key, checked whatever the connection's enforcement was when the rows were
    # written (the sqlite3 shell enforces none): a row pointing at a missing journal entry
    # betrays a deleted entry, even the journal's last one.
    for table in tables:
        for fk in conn.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
            parent, child_col, parent_col = fk[2], fk[3], fk[4]
            if parent_col is None:
                continue
            row = conn.execute(
                f'SELECT min(t."{child_col}"), count(*) FROM "{table}" t '
                f'LEFT JOIN "{parent}" p ON p."{parent_col}" = t."{child_col}" '
                f'WHERE t."{child_col}" IS NOT NULL AND p."{parent_col}" IS NULL'
            ).fetchone()
            if not row[1]:
                continue
            seq_like = parent == "journal" or child_col.endswith("seq")
            what = "journal entries" if parent == "journal" else f"{parent} rows"
            _add(
                report,
                row[0] if seq_like else None,
                f"{row[1]} row(s) of {table} refer to {what} that are missing"
                + (" (journal entries were deleted)" if parent == "journal" else ""),
            )
    if "sale" in rebuilt or not _table_exists(conn, "sale"):
        return
    row = conn.execute(
        "SELECT min(j.seq), count(*) FROM journal j LEFT JOIN sale s ON s.seq = j.seq "
        "WHERE j.kind IN ('sale.completed', 'refund.completed') AND s.seq IS NULL"
    ).fetchone()
    if row[1]:
        _add(report, row[0], f"{row[1]} sale/refund entries have no sale projection")
    for table, count_col in (("sale_line", "line_count"), ("tender", "tender_count")):
        row = conn.execute(
            f"SELECT min(s.seq), count(*) FROM sale s WHERE s.{count_col} != "
            f"(SELECT count(*) FROM {table} x WHERE x.seq = s.seq)"
        ).fetchone()
        if row[1]:
            _add(report, row[0], f"{row[1]} sale(s) have missing or extra {table} rows")
