"""The terminal facade on a data directory that fills up or cannot be written: SQLite's own
SQLITE_FULL (forced with PRAGMA max_page_count, so this runs where no tmpfs can be mounted)
fails the commit, the sale stays paid in memory, and ``finish_sale`` completes it once there is
room; a start whose ledger cannot be opened reports why instead of failing on None."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from terminal.app.data_dir import FULL, READ_ONLY, UNUSABLE, DataDirUnusable, diagnose
from terminal.app.wiring import build_terminal
from terminal.config import parse_config
from terminal.core.errors import JournalError
from terminal.core.ports import LedgerFull, LedgerReadOnly
from terminal.ledger.verify import verify_file
from terminal.sample import sample_catalog, sample_staff


def _config(data_dir: Path):
    return parse_config(
        f'[terminal]\nid = "UT1"\ndata_dir = "{data_dir}"\n[hardware]\nsimulated = true\n'
    )


def _pin(role: str) -> str:
    return next(s["pin"] for s in sample_staff() if s["role"] == role)


def test_sqlite_full_at_commit_then_finish_completes_the_same_sale(tmp_path: Path) -> None:
    t = build_terminal(_config(tmp_path), seed_sample=True)
    try:
        items = {i.name: i for i in sample_catalog()[0]}
        t.login(_pin("cashier"))
        t.open_shift(10_000)
        t.scan(items["Cola 330ml can"].barcodes[0])
        assert t.pay_cash(1000).receipt_no == 1
        t.new_sale()
        for name in ("Cola 330ml can", "Mineral water 550ml"):
            t.scan(items[name].barcodes[0])
        sale_id = t.start_payment().sale_id
        db = t.ledger.db
        pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
        db.execute_sql(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(JournalError) as e:
            t.pay_cash(2000)
        assert e.value.code == "ledger.disk_full"
        assert isinstance(e.value.__cause__, LedgerFull)
        snap = t.sale_snapshot()
        assert snap.state == "tendering" and snap.balance_due == 0 and snap.sale_id == sale_id
        with pytest.raises(JournalError):
            t.finish_sale()
        assert t.ledger.find_sale(sale_id=sale_id) is None
        db.execute_sql("PRAGMA max_page_count = 1073741823")
        snap = t.finish_sale()
        assert snap.state == "completed" and snap.receipt_no == 2 and snap.sale_id == sale_id
        stored = t.ledger.find_sale(receipt_no=2)
        assert [ln.sku for ln in stored.lines] == [items["Cola 330ml can"].sku,
                                                  items["Mineral water 550ml"].sku]
        assert [(tn.kind, tn.tendered) for tn in stored.tenders] == [("cash", 2000)]
    finally:
        t.close()
    assert verify_file(tmp_path / "ledger.sqlite3").ok


def test_a_ledger_that_cannot_be_opened_is_reported_not_a_none(tmp_path: Path,
                                                               monkeypatch) -> None:
    import terminal.app.wiring as wiring

    def refuse(*_a, **_k):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr("terminal.ledger.db.open_ledger", refuse)
    t = wiring.build_terminal(_config(tmp_path), deferred=True)
    t.load()
    problem = t.start_problem
    assert isinstance(problem, DataDirUnusable) and problem.code == READ_ONLY
    assert str(tmp_path) in problem.message
    for call in (lambda: t.pin_only(), lambda: t.login("1234"), lambda: t.tiles(),
                 lambda: t.card_holder("STF1")):
        with pytest.raises(DataDirUnusable) as e:
            call()
        assert e.value.code == READ_ONLY
    assert t.printer_status().detail == "starting"  # cheap reads still answer
    t.close()


def test_a_bug_at_start_is_not_taken_for_a_disk_problem(tmp_path: Path, monkeypatch) -> None:
    import terminal.app.wiring as wiring

    def bug(*_a, **_k):
        raise KeyError("oops")

    monkeypatch.setattr("terminal.ledger.db.open_ledger", bug)
    t = wiring.build_terminal(_config(tmp_path), deferred=True)
    with pytest.raises(KeyError):
        t.load()


def test_diagnose_tells_full_from_read_only_from_other(tmp_path: Path) -> None:
    full = diagnose(tmp_path, LedgerFull("the disk is full"))
    assert full is not None and full.code == FULL
    ro = diagnose(tmp_path, LedgerReadOnly("read-only"))
    assert ro is not None and ro.code == READ_ONLY
    enospc = diagnose(tmp_path, OSError(28, "No space left on device"))
    assert enospc is not None and enospc.code == FULL
    other = diagnose(tmp_path, sqlite3.DatabaseError("file is not a database"))
    assert other is not None and other.code == UNUSABLE and "not a database" in other.message
    assert diagnose(tmp_path, ValueError("bug")) is None


def test_a_start_on_a_full_tmpfs_reports_the_full_disk(tmp_path: Path) -> None:
    import os
    import subprocess

    data = tmp_path / "small"
    data.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(data)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        build_terminal(_config(data), seed_sample=True).close()
        fd = os.open(data / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        chunk = b"\0" * (1 << 16)
        while True:
            try:
                os.write(fd, chunk)
            except OSError:
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 2]
        os.close(fd)
        t = build_terminal(_config(data), deferred=True)
        t.load()
        assert t.start_problem is not None and t.start_problem.code == FULL
        assert str(data) in t.start_problem.message
        with pytest.raises(DataDirUnusable):
            t.login(_pin("cashier"))
        t.close()
        # Space back: the next start opens the same ledger with its sales.
        (data / "filler").unlink()
        t = build_terminal(_config(data), deferred=True)
        t.load()
        assert t.start_problem is None and t.login(_pin("cashier")).role == "cashier"
        t.close()
    finally:
        subprocess.run(["umount", "-l", str(data)], capture_output=True)
