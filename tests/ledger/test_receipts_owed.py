"""Receipts owed: the print job is written in the sale's own transaction, spooled by the
receipt desk after the commit or at the next start, and forgotten once printed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from terminal.core.clock import ManualClock
from terminal.core.ports import LedgerError
from terminal.core.receipt_desk import ReceiptDesk
from terminal.core.settings import StoreSettings
from terminal.drivers.printer.profile import get_profile
from terminal.drivers.printer.render import Renderer
from terminal.drivers.printer.service import SpoolingPrinter
from terminal.drivers.printer.spool import Spool
from terminal.drivers.printer.transports import NetworkTransport
from terminal.ledger.db import open_ledger
from terminal.ledger.ledger import SqliteLedger

from .builders import post_sale, sale
from .v1_fixture import build_v1

SETTINGS = StoreSettings(terminal_id="T01", language="en")


def _owed(ledger: SqliteLedger) -> list[int]:
    return [e.seq for e in ledger.owed_receipts()]


def _printer(tmp_path: Path, clock: ManualClock) -> SpoolingPrinter:
    """A printer whose owner thread is never started: jobs stay in the spool for the test."""
    return SpoolingPrinter(
        transport=NetworkTransport("127.0.0.1", 9, timeout_s=0.1),
        renderer=Renderer(get_profile("80mm")),
        spool=Spool(tmp_path / "printer" / "spool.sqlite3"),
        clock=clock,
    )


def test_sales_and_refunds_owe_a_receipt_other_entries_do_not(ledger: SqliteLedger) -> None:
    ledger.post("shift.opened", {"shift_id": "s1", "opening_float": 0}, staff_id="m")
    first = post_sale(ledger, sale(2, sale_id="s-1"))
    refund = post_sale(ledger, sale(1, kind="refund", original_sale_id="s-1"))
    practice = post_sale(ledger, sale(1, training=True))
    ledger.post("drawer.opened", {"reason": "no_sale"}, staff_id="m")
    assert _owed(ledger) == [first.seq, refund.seq, practice.seq]


def test_the_owed_row_and_the_sale_commit_together_or_not_at_all(
    ledger: SqliteLedger, ledger_file: Path
) -> None:
    post_sale(ledger, sale(1))
    # A failure at the very last write of the transaction, injected with the sqlite3 shell.
    subprocess.run(
        ["sqlite3", str(ledger_file),
         "CREATE TRIGGER owed_refused BEFORE INSERT ON receipt_owed "
         "BEGIN SELECT RAISE(ABORT, 'refused'); END;"],
        check=True,
    )  # fmt: skip
    with pytest.raises(LedgerError):
        post_sale(ledger, sale(2))
    count = ledger.db.execute_sql
    assert count("SELECT count(*) FROM journal").fetchone()[0] == 1
    assert count("SELECT count(*) FROM sale").fetchone()[0] == 1
    assert count("SELECT max(last) FROM counters").fetchone()[0] == 1  # no number drawn


def test_a_printed_receipt_is_forgotten_in_the_next_commit(ledger: SqliteLedger) -> None:
    a = post_sale(ledger, sale(1))
    b = post_sale(ledger, sale(1))
    ledger.receipt_printed(a.seq)
    assert _owed(ledger) == [a.seq, b.seq]  # no write of its own
    ledger.post("drawer.opened", {"reason": "no_sale"}, staff_id="m")
    assert _owed(ledger) == [b.seq]


def test_a_failed_commit_keeps_the_printed_mark_for_the_next(
    ledger: SqliteLedger, ledger_file: Path
) -> None:
    a = post_sale(ledger, sale(1))
    ledger.receipt_printed(a.seq)
    subprocess.run(
        ["sqlite3", str(ledger_file),
         "CREATE TRIGGER owed_refused BEFORE INSERT ON receipt_owed "
         "BEGIN SELECT RAISE(ABORT, 'refused'); END;"],
        check=True,
    )  # fmt: skip
    with pytest.raises(LedgerError):
        post_sale(ledger, sale(1))
    assert _owed(ledger) == [a.seq]  # rolled back with the sale
    ledger.post("drawer.opened", {"reason": "no_sale"}, staff_id="m")
    assert _owed(ledger) == []


def test_after_a_commit_the_checkouts_receipt_is_expected_and_settled_once_printed(
    ledger: SqliteLedger, tmp_path: Path, clock: ManualClock
) -> None:
    printer = _printer(tmp_path, clock)
    desk = ReceiptDesk(ledger, printer, SETTINGS, lambda staff_id: f"Clerk {staff_id}")
    ledger.subscribe(desk.on_entry)
    entry = post_sale(ledger, sale(2, staff_id="u7"))
    key = f"receipt:{entry.number}"
    assert printer._expected == {key}  # the checkout's submit will not sync
    assert printer.job_state(key) is None
    doc = desk.document(entry)  # what the checkout lays out and submits
    assert doc.key == key
    texts = " ".join(getattr(b, "left", "") + getattr(b, "right", "") for b in doc.blocks)
    assert "Clerk u7" in texts
    printer.submit(doc)
    assert printer.job_state(key) == "pending" and printer._expected == set()
    desk.on_settled(key)
    assert entry.seq in _owed(ledger)
    post_sale(ledger, sale(1))
    assert entry.seq not in _owed(ledger)
    printer.spool.close()


def test_training_receipts_are_owed_under_their_own_key(
    ledger: SqliteLedger, tmp_path: Path, clock: ManualClock
) -> None:
    printer = _printer(tmp_path, clock)
    desk = ReceiptDesk(ledger, printer, SETTINGS)
    ledger.subscribe(desk.on_entry)
    entry = post_sale(ledger, sale(1, training=True))
    assert printer._expected == {f"training:receipt:{entry.number}"}
    assert desk.document(entry).key == f"training:receipt:{entry.number}"
    printer.spool.close()


def test_start_spools_what_a_crash_left_owed_and_settles_what_was_printed(
    ledger_file: Path, tmp_path: Path, clock: ManualClock
) -> None:
    # The last run committed three sales and died: one never reached the spool, one was
    # spooled, one was printed but its owed row never forgotten.
    ledger = open_ledger(ledger_file, "T01", clock)
    lost, spooled, printed = (post_sale(ledger, sale(1)) for _ in range(3))
    printer = _printer(tmp_path, clock)
    desk = ReceiptDesk(ledger, printer, SETTINGS)
    printer.spool.add(desk.document(spooled), clock.now())
    printer.spool.add(desk.document(printed), clock.now())
    printer.spool.mark_done(f"receipt:{printed.number}", clock.now())

    assert desk.catch_up() == 1
    assert printer.job_state(f"receipt:{lost.number}") == "pending"
    assert printer.job_state(f"receipt:{spooled.number}") == "pending"
    assert _owed(ledger) == [lost.seq, spooled.seq]
    assert desk.catch_up() == 0  # a second start spools nothing twice
    desk.on_settled(f"receipt:{lost.number}")
    desk.on_settled(f"receipt:{spooled.number}")
    ledger.post("drawer.opened", {"reason": "no_sale"}, staff_id="m")
    assert _owed(ledger) == []
    printer.spool.close()
    ledger.close()


def test_an_upgraded_ledger_owes_nothing_for_its_history(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    build_v1(path)
    ledger = open_ledger(path, "T01", ManualClock())
    try:
        assert ledger.db.execute_sql("SELECT count(*) FROM sale").fetchone()[0] == 2
        assert _owed(ledger) == []
        entry = post_sale(ledger, sale(1))
        assert _owed(ledger) == [entry.seq]
    finally:
        ledger.close()
