"""A terminal SIGKILLed the moment a mobile-QR or card part payment is approved, before the cash
part (the reviewer's lost payment), never loses the charge: after every kill the approval is in the
journal and the sale is pending with its lines and payment; the next start gives it back to its
clerk, who finishes it in cash, or (with the store setting) reverses the charge with the
provider and journals the reversal.

A child process (qr_crash_worker.py) runs the real checkout on the real SQLite file and a
simulated provider and card terminal that keep their own fsynced log of every charge, which
stands for the bank.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from terminal.core.clock import SystemClock
from terminal.core.staff import OWNER
from terminal.ledger.db import ledger_path, open_ledger
from terminal.ledger.verify import verify_file

WORKER = Path(__file__).with_name("qr_crash_worker.py")


def _run(data_dir: Path, mode: str, tender: str) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, str(WORKER), str(data_dir), mode, tender],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def _bank(data_dir: Path) -> list[dict[str, Any]]:
    log = data_dir / "provider.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def _journaled_references(ledger: Any) -> set[str]:
    refs = set()
    for e in ledger.entries(limit=1_000_000):
        if e.kind == "payment.authorised":
            refs.add(e.payload["reference"])
        elif e.kind == "sale.completed":
            refs.update(t["reference"] for t in e.payload["tenders"] if t["reference"])
    return refs


def _check_after_kill(data_dir: Path, approved: dict[str, Any], tender: str) -> None:
    path = ledger_path(data_dir)
    report = verify_file(path)
    assert report.ok, report.summary()
    ledger = open_ledger(path, "T01", SystemClock())
    try:
        taken = {b["reference"] for b in _bank(data_dir) if b["event"] == "approved"}
        assert taken <= _journaled_references(ledger), "a charge the bank took is not journaled"
        pending = {p.sale_id: p for p in ledger.pending_sales()}
        sale = pending[approved["approved"]]
        assert sale.status == "open" and sale.staff_id == OWNER
        assert [ln["sku"] for ln in sale.lines] == approved["skus"]
        assert [(t.kind, t.reference, t.amount) for t in sale.payments] == [
            (tender, approved["reference"], approved["amount"])]
    finally:
        ledger.close()


def _check_restored(data_dir: Path, said: list[dict[str, Any]], killed: dict[str, Any],
                    mode: str, tender: str) -> None:
    restored = next(x for x in said if "restored" in x)
    assert restored["restored"] == killed["approved"]
    assert restored["skus"] == killed["skus"]
    assert {"completed": killed["approved"]} in said
    ledger = open_ledger(ledger_path(data_dir), "T01", SystemClock())
    try:
        rec = ledger.find_sale(sale_id=killed["approved"])
        assert rec is not None, "the restored sale was not completed"
        reversed_ = [e.payload["reference"] for e in ledger.entries(limit=1_000_000)
                     if e.kind == "payment.reversed"]
        cancelled = [b["reference"] for b in _bank(data_dir) if b["event"] == "cancelled"]
        if mode == "reverse":
            assert restored["references"] == [] and restored["paid"] == 0
            assert killed["reference"] in reversed_ and killed["reference"] in cancelled
            assert [t.kind for t in rec.tenders] == ["cash"]
        else:
            assert restored["references"] == [killed["reference"]]
            assert killed["reference"] not in cancelled
            assert (rec.tenders[0].kind, rec.tenders[0].reference) == (tender, killed["reference"])
            assert sum(t.amount for t in rec.tenders) == rec.total
    finally:
        ledger.close()


def _kill_after_each_approval(data_dir: Path, kills: int) -> None:
    killed: dict[str, Any] | None = None
    last_tender = ""
    for n in range(kills):
        # Three QR kills to one card kill; the start after a card kill and every eighth start
        # after a QR kill reverse the interrupted payment instead of restoring it.
        tender = "card" if n % 4 == 1 else "qr"
        mode = "reverse" if n % 4 == 2 or n % 8 == 7 else "restore"
        said = _run(data_dir, mode, tender)
        if killed is not None:
            _check_restored(data_dir, said, killed, mode, last_tender)
        killed = next(x for x in said if "approved" in x)
        _check_after_kill(data_dir, killed, tender)
        last_tender = tender
    assert verify_file(ledger_path(data_dir)).ok


def test_sigkill_right_after_a_qr_or_card_approval_loses_no_payment(tmp_path: Path) -> None:
    _kill_after_each_approval(tmp_path, kills=16)  # 12 at a QR approval, 4 at a card one


@pytest.mark.slow
def test_sigkill_right_after_a_qr_or_card_approval_many_times(tmp_path: Path) -> None:
    _kill_after_each_approval(tmp_path, kills=200)
