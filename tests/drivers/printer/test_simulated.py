"""The simulated printer: real python-escpos bytes in out.bin, a readable preview, and faults
that go through the same spool and retry code as a real printer."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.core.clock import ManualClock
from terminal.core.ports import DeviceHealth
from terminal.core.records import PrintDoc, Row, Text
from terminal.drivers.printer import SimulatedPrinter, build_printer
from terminal.drivers.printer.decode import decode, raster_widths

from .helpers import eventually, receipt


def simulated(tmp_path: Path, **section: object) -> SimulatedPrinter:
    printer = build_printer(section, tmp_path, ManualClock(), simulated=True)
    assert isinstance(printer, SimulatedPrinter)
    return printer


def test_prints_real_bytes_and_a_preview(tmp_path: Path) -> None:
    printer = simulated(tmp_path, profile="58mm", text_mode="gb18030")
    try:
        printer.submit(receipt("receipt:1", n_lines=2))
        printer.submit(receipt("receipt:2", n_lines=1))
        printer.submit(receipt("receipt:1", n_lines=2))  # same key: not again
        assert printer.wait_idle(5)
        assert printer.status().health is DeviceHealth.OK
    finally:
        printer.stop()
    out = (tmp_path / "printer" / "out.bin").read_bytes()
    assert out.count(b"\x1dV\x00") == 2
    text = decode(out)
    assert text.count("JOB receipt:1") == 1 and text.count("JOB receipt:2") == 1
    assert "牛奶 Milk 0" + " " * 17 + "1.50" in text
    preview = (tmp_path / "printer" / "preview.txt").read_text(encoding="utf-8")
    assert preview.startswith("=== receipt:1 2026-01-05T02:00:00+00:00 ===\n")
    assert "=== receipt:2 " in preview
    assert "\n" + " " * 9 + "JOB receipt:1\n" in preview  # centred on 32 columns


def test_raster_chinese_reaches_the_preview_through_the_side_channel(tmp_path: Path) -> None:
    printer = simulated(tmp_path, profile="80mm", text_mode="raster")
    try:
        printer.submit(PrintDoc("r1", "receipt", (Text("欢迎光临"), Row("豆浆", "3.00"))))
        assert printer.wait_idle(5)
    finally:
        printer.stop()
    out = (tmp_path / "printer" / "out.bin").read_bytes()
    assert [w for w, _h in raster_widths(out)] == [576, 576]
    assert "豆浆".encode("gb18030") not in out
    preview = (tmp_path / "printer" / "preview.txt").read_text(encoding="utf-8")
    assert "[RASTER 24 lines] 欢迎光临" in preview
    assert "[RASTER 24 lines] 豆浆" + " " * 40 + "3.00" in preview


def test_paper_out_mid_receipt_then_reload_prints_it_once(tmp_path: Path) -> None:
    printer = simulated(tmp_path, profile="58mm")
    try:
        printer.inject("paper_out_mid_job")
        printer.submit(receipt("receipt:7"))
        assert eventually(lambda: printer.status().health is DeviceHealth.FAULT)
        status = printer.status()
        assert status.paper_out is True and status.pending_jobs == 1
        printer.inject("clear")
        assert printer.wait_idle(10)
    finally:
        printer.stop()
    assert decode((tmp_path / "printer" / "out.bin").read_bytes()).count("JOB receipt:7") == 1
    preview = (tmp_path / "printer" / "preview.txt").read_text(encoding="utf-8")
    assert "=== receipt:7 2026-01-05T02:00:00+00:00 INTERRUPTED (paper out) ===" in preview
    assert preview.count("JOB receipt:7") == 2  # the torn-off half and the full reprint


@pytest.mark.parametrize(
    ("fault", "health", "field", "value"),
    [
        ("cover_open", DeviceHealth.FAULT, "cover_open", True),
        ("offline", DeviceHealth.UNKNOWN, "online", False),
    ],
)
def test_standing_faults_hold_jobs_until_cleared(
    tmp_path: Path, fault: str, health: DeviceHealth, field: str, value: bool
) -> None:
    printer = simulated(tmp_path)
    try:
        printer.set_fault(fault)
        printer.submit(receipt("k1"))
        assert eventually(lambda: getattr(printer.status(), field) is value)
        assert printer.status().health is health
        assert printer.status().paper_out is not True
        assert not (tmp_path / "printer" / "out.bin").exists()
        printer.clear_faults()
        assert printer.wait_idle(10)
    finally:
        printer.stop()
    assert decode((tmp_path / "printer" / "out.bin").read_bytes()).count("JOB k1") == 1


def test_offline_mid_job_and_restart(tmp_path: Path) -> None:
    printer = simulated(tmp_path)
    printer.fault_mid_job("offline", after_bytes=30)
    printer.submit(receipt("k2"))
    assert eventually(lambda: printer.status().online is False)
    assert printer.status().health is DeviceHealth.UNKNOWN  # gone: paper state unknown
    assert printer.status().paper_out is None
    printer.stop()  # the terminal is shut down with the job still spooled

    printer = simulated(tmp_path)  # a new process: the device is back
    try:
        assert printer.wait_idle(10)
    finally:
        printer.stop()
    assert decode((tmp_path / "printer" / "out.bin").read_bytes()).count("JOB k2") == 1


def test_drawer_kick_and_unknown_fault_name(tmp_path: Path) -> None:
    printer = simulated(tmp_path)
    try:
        printer.kick_drawer(2, on_ms=100, off_ms=100).result(timeout=5)
        assert printer.device.kicks == [b"\x1bp\x00\x32\x32"]
        with pytest.raises(ValueError, match="paper_out"):
            printer.inject("jammed")
    finally:
        printer.stop()


def test_a_document_that_cannot_render_does_not_block_the_queue(tmp_path: Path) -> None:
    from terminal.core.records import Barcode

    printer = simulated(tmp_path)
    try:
        printer.submit(PrintDoc("bad", "receipt", (Barcode("12AB", "EAN13"),)))
        printer.submit(receipt("good"))
        assert printer.wait_idle(5)
        assert printer.spool.state_of("bad") == "failed"
        assert printer.spool.state_of("good") == "done"
    finally:
        printer.stop()
    text = decode((tmp_path / "printer" / "out.bin").read_bytes())
    assert "JOB good" in text and "12AB" not in text
