"""`ledger verify` against real tampering: edits made with the sqlite3 shell (triggers dropped),
deleted rows, swapped hashes, a tampered counter, a half-written sale."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.ledger.ledger import SqliteLedger
from terminal.ledger.verify import verify_file

from .builders import post_sale, sale

SQLITE3 = shutil.which("sqlite3")
needs_shell = pytest.mark.skipif(SQLITE3 is None, reason="the sqlite3 shell is not installed")


def _fill(ledger: SqliteLedger, n: int = 8) -> None:
    ledger.post("shift.opened", {"shift_id": "s1", "opening_float": 1000}, staff_id="u1")
    for _ in range(n):
        post_sale(ledger, sale(2, shift_id="s1"))
    ledger.close()


def _shell(path: Path, sql: str) -> None:
    subprocess.run([SQLITE3, str(path)], input=sql, text=True, check=True, capture_output=True)


def _cli_verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "terminal.cli", "ledger", "verify", "--file", str(path)],
        text=True,
        capture_output=True,
        timeout=60,
    )


def test_clean_ledger_verifies(ledger: SqliteLedger) -> None:
    _fill(ledger)
    report = verify_file(ledger.path)
    assert report.ok, report.summary()
    assert (report.entries, report.series) == (9, {"receipt": 8})
    done = _cli_verify(ledger.path)
    assert done.returncode == 0, done.stderr
    assert "ledger OK" in done.stdout and "receipt 1..8" in done.stdout


@needs_shell
def test_edit_with_the_sqlite3_shell_is_caught(ledger: SqliteLedger) -> None:
    _fill(ledger)
    _shell(
        ledger.path,
        "DROP TRIGGER journal_no_update;\n"
        "UPDATE journal SET payload = replace(payload, '\"total\":300', '\"total\":3') "
        "WHERE seq = 5;\n",
    )
    report = verify_file(ledger.path)
    assert not report.ok
    assert report.first_problem.seq == 5
    assert "hash mismatch" in report.first_problem.message
    done = _cli_verify(ledger.path)
    assert done.returncode == 1
    assert "first bad entry seq 5: hash mismatch" in done.stderr


@needs_shell
def test_deleted_entry_is_caught(ledger: SqliteLedger) -> None:
    _fill(ledger)
    _shell(ledger.path, "DROP TRIGGER journal_no_delete;\nDELETE FROM journal WHERE seq = 4;\n")
    report = verify_file(ledger.path)
    assert report.first_problem.seq == 4  # the sale row left behind points at it
    messages = " | ".join(str(p) for p in report.problems)
    assert "seq 5: sequence gap: expected seq 4, found 5" in messages
    assert "prev_hash does not match" in messages
    assert "'receipt' numbering: expected 3, found 4" in messages
    assert _cli_verify(ledger.path).returncode == 1


@needs_shell
def test_deleted_last_entry_is_caught(ledger: SqliteLedger) -> None:
    """The chain alone cannot see a missing tail; the counter and projections can."""
    _fill(ledger)
    _shell(
        ledger.path,
        "DROP TRIGGER journal_no_delete;\nDELETE FROM journal WHERE seq = 9;\n",
    )
    report = verify_file(ledger.path)
    assert not report.ok
    assert report.first_problem.seq == 9
    assert "removed" in report.first_problem.message
    assert any(p.seq == 9 and "missing" in p.message for p in report.problems)


@needs_shell
def test_swapped_hash_is_caught(ledger: SqliteLedger) -> None:
    _fill(ledger)
    _shell(
        ledger.path,
        "DROP TRIGGER journal_no_update;\n"
        "UPDATE journal SET hash = (SELECT hash FROM journal WHERE seq = 7) WHERE seq = 6;\n",
    )
    report = verify_file(ledger.path)
    assert report.first_problem.seq == 6
    assert "hash mismatch" in report.first_problem.message
    assert any(p.seq == 7 and "prev_hash" in p.message for p in report.problems)


@needs_shell
def test_rewritten_number_is_caught(ledger: SqliteLedger) -> None:
    _fill(ledger)
    _shell(
        ledger.path,
        "DROP TRIGGER journal_no_update;\nUPDATE journal SET number = 9 WHERE seq = 3;\n"
        "UPDATE counters SET last = 7;\n",
    )
    report = verify_file(ledger.path)
    assert report.first_problem.seq == 3
    messages = [str(p) for p in report.problems]
    assert any("numbering: expected 2, found 9" in m for m in messages)
    assert any("counter says 7" in m for m in messages)


def test_half_written_sale_is_caught(ledger: SqliteLedger) -> None:
    _fill(ledger, 3)
    conn = sqlite3.connect(ledger.path)
    conn.execute("DELETE FROM tender WHERE seq = 2")
    conn.commit()
    conn.close()
    report = verify_file(ledger.path)
    assert report.first_problem.seq == 2
    assert "tender" in report.first_problem.message


def test_corrupt_file_is_caught(tmp_path: Path) -> None:
    bad = tmp_path / "ledger.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    report = verify_file(bad)
    assert not report.ok and report.first_problem.seq is None
    assert not verify_file(tmp_path / "missing.sqlite3").ok


def test_file_left_by_a_kill_during_creation_is_an_empty_ledger(tmp_path: Path) -> None:
    empty = tmp_path / "ledger.sqlite3"
    sqlite3.connect(empty).close()
    report = verify_file(empty)
    assert report.ok and report.entries == 0
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert "not a ledger" in verify_file(other).first_problem.message
