"""Receipts exactly once: a terminal SIGKILLed at a chosen moment of a sale or refund (right
after the commit, right after its print job is spooled, halfway through the receipt, after the
last byte but before the job is marked printed) loses no receipt and never prints an unmarked
second copy.

A child process (receipt_crash_worker.py) sells through the real checkout, ledger, spool and
network printer driver; the printer is the emulator in this process, so the paper outlives
every kill. After each kill the ledger must verify; after the last, clean run, every sale and
refund in the ledger has exactly one copy on paper not marked REPRINT (a complete one, or the
half a kill cut short), at least one complete copy, and every further copy is marked.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from terminal.drivers.printer.emulator import PrinterEmulator, ReceivedJob
from terminal.ledger.db import connect, ledger_path
from terminal.ledger.verify import verify_file

WORKER = Path(__file__).with_name("receipt_crash_worker.py")
ROOT = Path(__file__).resolve().parents[3]
RECEIPT_RE = re.compile(r"Receipt\s+(\d+)")


def _copies(jobs: list[ReceivedJob]) -> dict[int, list[tuple[bool, bool]]]:
    """Receipt number -> (complete, marked as a reprint) for each copy on paper, in order."""
    out: dict[int, list[tuple[bool, bool]]] = defaultdict(list)
    for job in jobs:
        text = job.text
        m = RECEIPT_RE.search(text)
        # Every kill lands after the receipt number is on paper (or before anything is), so a
        # scrap that cannot be told apart from another receipt would be a finding.
        assert m is not None, f"a job without a receipt number: {text!r}"
        marked = text.lstrip().startswith("REPRINT")
        out[int(m.group(1))].append((job.complete, marked))
    return out


def _receipts(data_dir: Path) -> list[int]:
    db = connect(ledger_path(data_dir))
    try:
        rows = db.execute_sql("SELECT receipt_no FROM sale ORDER BY receipt_no").fetchall()
    finally:
        db.close()
    return [r for (r,) in rows]


def _still_owed(data_dir: Path) -> int:
    db = connect(ledger_path(data_dir))
    try:
        return db.execute_sql("SELECT count(*) FROM receipt_owed").fetchone()[0]
    finally:
        db.close()


def _check_paper(copies: dict[int, list[tuple[bool, bool]]], receipts: list[int]) -> None:
    assert receipts == list(range(1, len(receipts) + 1)), "receipt numbers have a gap"
    assert set(copies) <= set(receipts), "paper for a receipt the ledger does not hold"
    for no in receipts:
        got = copies.get(no, [])
        assert got, f"receipt {no} was never printed"
        unmarked = [c for c in got if not c[1]]
        assert len(unmarked) == 1, f"receipt {no}: {len(unmarked)} unmarked copies {got}"
        assert not got[0][1], f"receipt {no}: its first copy is marked as a reprint {got}"
        assert all(marked for _complete, marked in got[1:]), f"receipt {no}: {got}"
        assert any(complete for complete, _m in got), f"receipt {no}: no complete copy {got}"


class _Terminal:
    """The worker: one interpreter, a forked terminal per run."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip

    def run(
        self, data_dir: Path, port: int, target: int, crash_at: str, kill_after: float = -1
    ) -> tuple[int, str]:
        """One terminal's life: its exit status (-9: killed) and what it said. With
        ``kill_after`` >= 0 this test SIGKILLs it that many seconds after it was forked."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"run {data_dir} {port} {target} {crash_at}\n")
        self.proc.stdin.flush()
        said = []
        for line in self.proc.stdout:
            if line.startswith("forked ") and kill_after >= 0:
                time.sleep(kill_after)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(line.split()[1]), signal.SIGKILL)  # not yet reaped: still ours
            elif line.startswith("exit "):
                return int(line.split()[1]), "".join(said)
            else:
                said.append(line)
        raise AssertionError(f"the worker died: {''.join(said)}")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def _kill_at(moment: str, data_dir: Path, kills: int, seed: int) -> list[ReceivedJob]:
    """``kills`` runs each SIGKILLed by the crash point, then one clean run; the paper."""
    rng = random.Random(seed)
    terminal = _Terminal()
    try:
        with PrinterEmulator() as emu:
            for k in range(kills):
                # The printer's first job in a run may be the reprint the last kill left; the
                # kill then lands in a fresh job.
                first = 2 if moment.startswith("printer.") else 1
                crash_at = f"{moment}:{rng.randint(first, first + 2)}"
                status, said = terminal.run(data_dir, emu.port, 10_000, crash_at)
                assert status == -signal.SIGKILL, f"run {k} was not killed: {said}"
                report = verify_file(ledger_path(data_dir))
                assert report.ok, f"{moment}, after {k + 1} kills: {report.summary()}"
                assert "ready" in said
            target = len(_receipts(data_dir)) + 2
            status, said = terminal.run(data_dir, emu.port, target, "-")
            assert status == 0, said
            assert said.splitlines()[-1] == "done"
            time.sleep(0.2)  # the emulator's connection thread sees the last disconnect
            return list(emu.device.jobs)
    finally:
        terminal.close()


def _verify_cli(data_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "terminal.cli", "ledger", "verify", "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("moment", "spoiled", "reprints"),
    [
        # Committed, nothing spooled yet: the start-up spools it from the receipts owed.
        ("ledger.sale.completed", 0, 0),
        ("ledger.refund.completed", 0, 0),
        # Spooled, not yet sent: printed once, unmarked, after the restart.
        ("spool.added", 0, 0),
        # Half a receipt on paper: the restart prints it whole, marked REPRINT.
        ("printer.mid_job", 12, 12),
        # Every byte sent, the "printed" mark not yet on disk: a second copy, marked.
        ("printer.sent", 0, 12),
    ],
)
def test_twelve_kills_at_a_moment(
    tmp_path: Path, moment: str, spoiled: int, reprints: int
) -> None:
    jobs = _kill_at(moment, tmp_path, kills=12, seed=8)
    receipts = _receipts(tmp_path)
    copies = _copies(jobs)
    _check_paper(copies, receipts)
    # Printed receipts are forgotten by the next commit; only the last can still be owed.
    assert _still_owed(tmp_path) <= 1
    assert sum(1 for j in jobs if not j.complete) == spoiled, [j.text for j in jobs]
    marked = sum(1 for got in copies.values() for _c, m in got if m)
    assert marked == reprints
    _verify_cli(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(
    "moment",
    ["ledger.sale.completed", "ledger.refund.completed", "spool.added", "printer.mid_job",
     "printer.sent"],
)  # fmt: skip
def test_fifty_kills_at_a_moment(tmp_path: Path, moment: str) -> None:
    seed = int(time.time())
    jobs = _kill_at(moment, tmp_path, kills=50, seed=seed)
    _check_paper(_copies(jobs), _receipts(tmp_path))
    _verify_cli(tmp_path)


def _copies_at_random(jobs: list[ReceivedJob]) -> dict[int, list[bool]]:
    """Receipt number -> marked as a reprint, for each complete copy."""
    out: dict[int, list[bool]] = defaultdict(list)
    for job in jobs:
        m = RECEIPT_RE.search(job.text)
        if job.complete:
            assert m is not None, job.text
            out[int(m.group(1))].append(job.text.lstrip().startswith("REPRINT"))
    return out


@pytest.mark.slow
def test_kills_at_random_moments_never_lose_or_double_a_receipt(tmp_path: Path) -> None:
    """A kill anywhere (in start-up, a catch-up print, the header of a receipt, the instant
    between the "sending" mark and the first byte) may leave a scrap or only a marked copy,
    but never a lost receipt or two whole unmarked ones."""
    seed = int(time.time())
    rng = random.Random(seed)
    terminal = _Terminal()
    try:
        with PrinterEmulator() as emu:
            for _ in range(60):
                status, _said = terminal.run(tmp_path, emu.port, 10_000, "-", rng.uniform(0, 1.5))
                assert status == -signal.SIGKILL
                if ledger_path(tmp_path).exists():  # a kill in start-up may come before it
                    assert verify_file(ledger_path(tmp_path)).ok, f"seed {seed}"
            target = len(_receipts(tmp_path)) + 2
            status, said = terminal.run(tmp_path, emu.port, target, "-")
            assert status == 0, said
            time.sleep(0.2)
            jobs = list(emu.device.jobs)
    finally:
        terminal.close()
    copies = _copies_at_random(jobs)
    for no in _receipts(tmp_path):
        got = copies.get(no, [])
        assert got, f"seed {seed}: receipt {no} was never printed whole"
        assert got.count(False) <= 1, f"seed {seed}: receipt {no}: two unmarked copies"
    _verify_cli(tmp_path)
