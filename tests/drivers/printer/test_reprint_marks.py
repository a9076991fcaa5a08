"""A job that may already be on paper is printed again marked as a reprint, in the
document's language; a job that never started prints once, unmarked."""

from __future__ import annotations

import json
from pathlib import Path

from terminal.core.clock import SystemClock
from terminal.core.ports import DeviceHealth
from terminal.core.receipt import sale_receipt
from terminal.core.records import SaleLine, SaleRecord, TenderRecord
from terminal.core.settings import StoreSettings
from terminal.drivers.printer.emulator import PrinterEmulator
from terminal.drivers.printer.spool import Spool, doc_from_json, doc_to_json

from .helpers import eventually, network_printer, printed_keys, receipt


def _marked(text: str) -> bool:
    return text.lstrip().startswith(("REPRINT", "重印"))


def test_a_job_cut_short_by_paper_out_is_reprinted_marked(
    emulator: PrinterEmulator, tmp_path: Path
) -> None:
    printer = network_printer(emulator, tmp_path / "spool.sqlite3")
    dev = emulator.device
    try:
        printer.submit(receipt("P0"))
        assert printer.wait_idle(10)
        dev.fail_after(60, "paper_out")
        printer.submit(receipt("P1"))
        assert dev.wait_until(lambda d: d.paper_out, 10)
        assert eventually(lambda: printer.status().health is DeviceHealth.FAULT)
        dev.clear_faults()  # paper loaded
        printer.submit(receipt("P2"))
        assert printer.wait_idle(10)
    finally:
        printer.stop()
    assert printed_keys(dev) == ["P0", "P1", "P2"]
    (cut_short,) = dev.spoiled()
    assert "JOB P1" in cut_short.text and not _marked(cut_short.text)
    assert [_marked(j.text) for j in dev.printed()] == [False, True, False]


def test_a_fault_before_the_job_starts_leaves_it_unmarked(
    emulator: PrinterEmulator, tmp_path: Path
) -> None:
    dev = emulator.device
    dev.set_fault("cover_open")
    printer = network_printer(emulator, tmp_path / "spool.sqlite3")
    try:
        printer.submit(receipt("C1"))
        assert not printer.wait_idle(0.5)  # tried and refused before a byte went out
        dev.clear_faults()
        assert printer.wait_idle(10)
    finally:
        printer.stop()
    assert [(j.complete, _marked(j.text)) for j in dev.jobs] == [(True, False)]


def test_after_a_restart_a_half_sent_job_is_marked_a_pending_one_is_not(
    emulator: PrinterEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = Spool(path)
    now = SystemClock().now()
    spool.add(receipt("S1"), now)
    spool.add(receipt("S2"), now)
    spool.mark_sending("S1", now)  # the power went while S1 was going out
    spool.close()
    printer = network_printer(emulator, path)
    try:
        assert printer.wait_idle(10)
    finally:
        printer.stop()
    assert printed_keys(emulator.device) == ["S1", "S2"]
    assert [_marked(j.text) for j in emulator.device.printed()] == [True, False]


def _record(language_name: str) -> SaleRecord:
    line = SaleLine(
        line_no=1, sku="M1", name="Milk", name_zh="牛奶", qty_milli=1000, unit="each",
        unit_price=650, gross=650, discount=0, net=650, tax_class="standard", tax_rate_bp=1300,
        tax_inclusive=True, tax=75,
    )  # fmt: skip
    return SaleRecord(
        sale_id=f"s-{language_name}", terminal_id="T01", shift_id=None, staff_id="u1",
        currency="CNY", started_at="2026-03-01T09:00:00+00:00",
        completed_at="2026-03-01T09:00:00+00:00", lines=(line,),
        tenders=(TenderRecord(kind="cash", amount=650, tendered=1000, change=350),),
        subtotal=650, discount_total=0, tax_total=75, total=650, receipt_no=7,
    )  # fmt: skip


def test_the_reprint_line_speaks_the_receipts_language(
    emulator: PrinterEmulator, tmp_path: Path
) -> None:
    zh = sale_receipt(_record("zh"), StoreSettings(terminal_id="T01", language="zh_CN"))
    en = sale_receipt(_record("en"), StoreSettings(terminal_id="T01", language="en"))
    assert (zh.reprint_title, en.reprint_title) == ("重印", "REPRINT")
    path = tmp_path / "spool.sqlite3"
    spool = Spool(path)
    now = SystemClock().now()
    spool.add(zh, now)
    spool.mark_sending(zh.key, now)
    spool.close()
    printer = network_printer(emulator, path)
    try:
        assert printer.wait_idle(10)
    finally:
        printer.stop()
    (job,) = emulator.device.printed()
    assert job.text.lstrip().startswith("重印")
    assert "牛奶" in job.text


def test_spool_documents_keep_their_reprint_title_and_old_rows_still_read() -> None:
    zh = sale_receipt(_record("zh"), StoreSettings(terminal_id="T01", language="zh_CN"))
    assert doc_from_json(doc_to_json(zh)) == zh
    old = json.loads(doc_to_json(zh))
    del old["reprint_title"]  # a row spooled before the title existed
    assert doc_from_json(json.dumps(old)).reprint_title == "REPRINT"
