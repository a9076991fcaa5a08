"""Crash safety: a terminal SIGKILLed at random moments while it sells never leaves a partial
sale, a broken chain or a gap in the numbering, and never loses a sale it reported as done.

A child process (crash_worker.py) sells until the ledger holds the target number of sales,
printing each receipt number once its commit returned. The parent kills it at a random moment
(sometimes while it is still starting up and migrating), checks the files, and restarts it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from terminal.ledger.db import connect, ledger_path
from terminal.ledger.verify import verify_file

WORKER = Path(__file__).with_name("crash_worker.py")


def _check(data_dir: Path, acknowledged: int, before: int) -> int:
    """``acknowledged``: the highest receipt a worker reported committed; ``before``: sales in
    the ledger before the last run."""
    path = ledger_path(data_dir)
    if not path.exists():
        return 0
    report = verify_file(path)
    assert report.ok, report.summary()
    db = connect(path)
    try:
        q = lambda sql: db.execute_sql(sql).fetchall()  # noqa: E731
        receipts = [r for (r,) in q("SELECT receipt_no FROM sale WHERE training = 0 ORDER BY 1")]
        assert receipts == list(range(1, len(receipts) + 1)), "receipt numbers have a gap"
        # No partial sale: every sale row has all its lines and tenders, every journal sale
        # its projection, every journal entry its outbox row.
        assert (
            q(
                "SELECT s.sale_id FROM sale s WHERE s.line_count != "
                "(SELECT count(*) FROM sale_line l WHERE l.seq = s.seq) "
                "OR s.tender_count != "
                "(SELECT count(*) FROM tender t WHERE t.seq = s.seq) OR s.tender_count = 0"
            )
            == []
        )
        assert (
            q(
                "SELECT j.seq FROM journal j LEFT JOIN sale s ON s.seq = j.seq "
                "WHERE j.kind = 'sale.completed' AND s.seq IS NULL"
            )
            == []
        )
        assert (
            q(
                "SELECT j.seq FROM journal j LEFT JOIN outbox o ON o.seq = j.seq "
                "WHERE j.training = 0 AND o.seq IS NULL"
            )
            == []
        )
        paid = q(
            "SELECT s.sale_id FROM sale s WHERE s.total != "
            "(SELECT sum(amount) FROM tender t WHERE t.seq = s.seq)"
        )
        assert paid == [], "a sale's tenders do not add up to its total"
    finally:
        db.close()
    # Every sale the terminal reported as committed is there; a run adds at most one more
    # (committed, killed before it could say so).
    assert acknowledged <= len(receipts) <= max(acknowledged, before) + 1
    return len(receipts)


def _sell_with_kills(mode: str, data_dir: Path, target: int, max_kills: int, seed: int) -> int:
    rng = random.Random(seed)
    acknowledged = 0
    count = 0
    kills = 0
    while True:
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), mode, str(data_dir), str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
        killed = False
        seen: list[str] = []
        if kills < max_kills:
            if rng.random() < 0.15:
                time.sleep(rng.uniform(0.0, 0.4))  # may land in start-up and migration
            else:
                # Let a random number of sales commit, then kill a random fraction of a
                # sale's time later (a sale takes milliseconds), so kills land in every phase.
                for _ in range(rng.randint(1, 25)):
                    text = proc.stdout.readline()
                    if not text:
                        break
                    seen.append(text)
                time.sleep(rng.uniform(0.0, 0.008))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed = True
                kills += 1
        # Read through the same buffered file objects as readline() above (communicate()
        # would bypass their read-ahead and lose lines).
        out = proc.stdout.read()
        err = proc.stderr.read()
        proc.wait(timeout=60)
        if not killed:
            assert proc.returncode == 0, err
        out = "".join(seen) + out
        for text in out.splitlines():
            if text.startswith("committed "):
                acknowledged = max(acknowledged, int(text.split()[1]))
        try:
            count = _check(data_dir, acknowledged, count)
        except AssertionError as exc:
            raise AssertionError(f"{mode}, seed {seed}, after {kills} kills: {exc}") from exc
        if not killed and "done" in out.splitlines():
            assert count == target
            done = subprocess.run(
                [sys.executable, "-m", "terminal.cli", "ledger", "verify", "--data-dir",
                 str(data_dir)],
                capture_output=True,
                text=True,
                timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            return kills
        assert kills <= max_kills


@pytest.mark.parametrize("mode", ["ledger", "checkout"])
def test_sigkill_during_200_sales(tmp_path: Path, mode: str) -> None:
    kills = _sell_with_kills(mode, tmp_path, target=200, max_kills=40, seed=2)
    assert kills >= 5


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["ledger", "checkout"])
def test_sigkill_during_2000_sales(tmp_path: Path, mode: str) -> None:
    seed = int(time.time())
    kills = _sell_with_kills(mode, tmp_path, target=2000, max_kills=150, seed=seed)
    assert kills >= 50, f"seed {seed}"
