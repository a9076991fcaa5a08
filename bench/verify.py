"""verify_100k: ``ledger verify`` over 100,000 sales against reading the same journal rows.

The floor is the one thing no verification can skip: a plain ``SELECT`` of every journal row.
``ledger verify`` adds SQLite's integrity check, the hash chain, the numbering, and every
projection rebuilt from the journal by the real projectors and compared row by row. The ledger
is the z_report benchmark's (built once per schema version through the ledger's own append).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bench.ledger import _z_ledger
from bench.record import Result, against_floor, median
from terminal.ledger.journal import JOURNAL_COLUMNS
from terminal.ledger.verify import verify_file


def _floor_read(path: Path) -> float:
    """Reading every journal row once, which no check of the journal can skip."""
    con = sqlite3.connect(path)
    t0 = time.perf_counter()
    rows = con.execute(f"SELECT {JOURNAL_COLUMNS} FROM journal ORDER BY seq").fetchall()
    elapsed = time.perf_counter() - t0
    assert len(rows) > 0
    con.close()
    return elapsed


def verify_100k(sales: int = 100_000) -> Result:
    path = _z_ledger(sales * 5)
    _floor_read(path)  # the page cache warmed for both sides alike
    floors, runs = [], []
    for _ in range(3):
        floors.append(_floor_read(path))
        t0 = time.perf_counter()
        report = verify_file(path)
        runs.append(time.perf_counter() - t0)
        assert report.ok and report.entries == sales, report.summary()
        assert report.projection_tables > 0 and not report.projections_skipped
    return against_floor(
        "verify_100k", median(runs), "s", median(floors), max_ratio=20.0,
        detail=f"ledger verify over {sales} 5-line sales: integrity check, hash chain, numbering, "
        f"every projection rebuilt from the journal and compared row by row; floor: a plain "
        f"SELECT of the same journal rows (median of 3)",
    )


def run() -> list[Result]:
    return [verify_100k()]
