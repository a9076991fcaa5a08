"""The spool and owner thread against the loopback printer emulator: faults in the middle of
jobs, restarts, and the drawer kick, proving no job is lost or printed twice."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from terminal.core.clock import SystemClock
from terminal.core.ports import DeviceHealth
from terminal.drivers.printer.emulator import PrinterEmulator
from terminal.drivers.printer.profile import get_profile
from terminal.drivers.printer.render import CLEAR_BUFFERS, Renderer
from terminal.drivers.printer.spool import Spool

from .helpers import eventually, network_printer, printed_keys, receipt


def test_thirty_jobs_through_paper_out_and_power_loss_mid_job(
    emulator: PrinterEmulator, tmp_path: Path
) -> None:
    rng = random.Random(4)
    job_len = len(Renderer(get_profile("58mm", text_mode="gb18030")).render(receipt("J00")).data)
    printer = network_printer(emulator, tmp_path / "spool.sqlite3")
    dev = emulator.device
    faults = 0
    try:
        for i in range(30):
            if i % 5 != 2:
                printer.submit(receipt(f"J{i:02d}"))
                continue
            # Armed with the printer idle, the fault strikes strictly inside this job's bytes.
            assert printer.wait_idle(10)
            fault = "paper_out" if faults % 2 == 0 else "offline"
            dev.fail_after(rng.randrange(10, job_len - 10), fault)
            printer.submit(receipt(f"J{i:02d}"))
            assert dev.wait_until(lambda d, f=fault: getattr(d, f), 10), fault
            faults += 1
            # While the printer is down the driver knows it is not OK.
            assert eventually(lambda: printer.status().health is not DeviceHealth.OK)
            assert printer.status().pending_jobs >= 1
            dev.clear_faults()
        assert printer.wait_idle(30)
    finally:
        printer.stop()
    keys = printed_keys(dev)
    assert Counter(keys) == Counter(f"J{i:02d}" for i in range(30))  # each exactly once
    assert keys == sorted(keys)  # and in order
    # The jobs a fault cut short, and only those, come out the second time marked a reprint.
    marked = [
        k for k, j in zip(keys, dev.printed(), strict=True) if j.text.lstrip().startswith("REPRINT")
    ]
    assert marked == [f"J{i:02d}" for i in range(30) if i % 5 == 2]
    spoiled = dev.spoiled()
    assert sum(1 for j in spoiled if j.fault in ("paper_out", "offline")) == faults
    assert dev.clears == faults  # each resend began by clearing the printer's buffers
    assert printer.status().health is DeviceHealth.OK


def test_paper_out_reports_fault_and_resumes_with_buffer_clear(
    emulator: PrinterEmulator, tmp_path: Path
) -> None:
    printer = network_printer(emulator, tmp_path / "spool.sqlite3")
    dev = emulator.device
    try:
        dev.fail_after(60, "paper_out")
        printer.submit(receipt("P1"))
        assert dev.wait_until(lambda d: d.paper_out, 10)
        assert eventually(lambda: printer.status().health is DeviceHealth.FAULT)
        status = printer.status()
        assert status.health is DeviceHealth.FAULT
        assert status.paper_out is True
        assert status.pending_jobs == 1
        dev.clear_faults()
        assert printer.wait_idle(10)
    finally:
        printer.stop()
    assert printed_keys(dev) == ["P1"]
    (first_try,) = dev.spoiled()
    assert first_try.fault == "paper_out"
    assert "JOB P1" in first_try.text


def test_restart_with_pending_jobs_prints_each_once(
    emulator: PrinterEmulator, tmp_path: Path
) -> None:
    spool_path = tmp_path / "spool.sqlite3"
    emulator.set_offline(True)
    printer = network_printer(emulator, spool_path, timeout_s=0.2)
    for i in range(3):
        printer.submit(receipt(f"R{i}"))
    assert not printer.wait_idle(0.3)
    assert printer.status().health is DeviceHealth.UNKNOWN  # unreachable is not "no paper"
    assert printer.status().paper_out is None
    assert printer.status().online is False
    printer.stop()

    # The last one was half sent when the power went (state "sending").
    spool = Spool(spool_path)
    spool.mark_sending("R2", SystemClock().now())
    spool.close()

    emulator.set_offline(False)
    printer = network_printer(emulator, spool_path)
    try:
        assert printer.status().pending_jobs == 3
        assert printer.wait_idle(10)
        for i in range(3):
            printer.submit(receipt(f"R{i}"))  # already printed: ignored
        printer.submit(receipt("R3"))
        assert printer.wait_idle(10)
    finally:
        printer.stop()
    assert printed_keys(emulator.device) == ["R0", "R1", "R2", "R3"]
    # The job interrupted by the power cut was preceded by a buffer clear; the others were not.
    assert emulator.device.clears == 1
    assert all(CLEAR_BUFFERS not in j.data for j in emulator.device.jobs)


def test_printer_that_never_answers_status_gets_nothing_and_reads_unknown(
    tmp_path: Path,
) -> None:
    with PrinterEmulator(answer_status=False) as emu:
        printer = network_printer(emu, tmp_path / "spool.sqlite3", timeout_s=0.1)
        try:
            printer.submit(receipt("S1"))
            assert eventually(lambda: "no answer" in printer.status().detail)
            assert not printer.wait_idle(0.2)
            status = printer.status()
            assert status.health is DeviceHealth.UNKNOWN
            assert status.paper_out is None and status.online is None
            assert "no answer" in status.detail
            assert emu.device.jobs == []
        finally:
            printer.stop()
        # With status checks turned off for such a printer, it prints on write success.
        printer = network_printer(emu, tmp_path / "spool.sqlite3", status_query=False)
        try:
            assert printer.wait_idle(5)
        finally:
            printer.stop()
        assert printed_keys(emu.device) == ["S1"]


def test_drawer_kick_goes_through_the_owner_queue(
    emulator: PrinterEmulator, tmp_path: Path
) -> None:
    printer = network_printer(emulator, tmp_path / "spool.sqlite3")
    try:
        printer.kick_drawer(pin=2, on_ms=100, off_ms=200).result(timeout=5)
        printer.kick_drawer(pin=5, on_ms=60, off_ms=60).result(timeout=5)
    finally:
        printer.stop()
    assert emulator.device.kicks == [b"\x1bp\x00\x32\x64", b"\x1bp\x01\x1e\x1e"]
    assert emulator.device.jobs == []


def test_drawer_still_opens_when_the_printer_is_out_of_paper(
    emulator: PrinterEmulator, tmp_path: Path
) -> None:
    printer = network_printer(emulator, tmp_path / "spool.sqlite3")
    try:
        emulator.device.set_fault("paper_out")
        assert eventually(lambda: printer.status().paper_out is True)
        printer.kick_drawer(pin=2, on_ms=100).result(timeout=5)
    finally:
        printer.stop()
    # ESC p would be ignored by an offline printer; the real-time pulse is not.
    assert emulator.device.kicks == [b"\x10\x14\x01\x00\x01"]


def test_submit_after_stop_is_refused(emulator: PrinterEmulator, tmp_path: Path) -> None:
    import pytest

    from terminal.drivers.printer.service import PrinterStopped

    printer = network_printer(emulator, tmp_path / "spool.sqlite3")
    printer.stop()
    with pytest.raises(PrinterStopped):
        printer.submit(receipt("late"))
    with pytest.raises(PrinterStopped):
        printer.kick_drawer().result(timeout=1)


def test_emulator_shows_jobs_as_text(emulator: PrinterEmulator) -> None:
    import io
    import threading

    from terminal.drivers.printer.emulator import show_jobs
    from terminal.drivers.printer.transports import NetworkTransport

    out = io.StringIO()
    stop = threading.Event()
    shower = threading.Thread(target=show_jobs, args=(emulator, out, stop))
    shower.start()
    try:
        assert eventually(lambda: "listening on 127.0.0.1:" in out.getvalue())
        t = NetworkTransport("127.0.0.1", emulator.port, timeout_s=1)
        t.open()
        t.write(Renderer(get_profile("58mm")).render(receipt("E1")).data)
        assert emulator.device.wait_printed(1, 5)
        t.close()
    finally:
        stop.set()
        shower.join(5)
    assert "--- job printed" in out.getvalue()
    assert "JOB E1" in out.getvalue()
