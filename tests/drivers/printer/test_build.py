"""build_printer: from a [printer] section (mapping or object) to a running printer."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from terminal.core.clock import SystemClock
from terminal.core.ports import DeviceHealth
from terminal.drivers.printer import (
    PrinterConfigError,
    SimulatedPrinter,
    build_printer,
    build_transport,
)
from terminal.drivers.printer.emulator import PrinterEmulator
from terminal.drivers.printer.transports import (
    DeviceFileTransport,
    SerialTransport,
    UsbTransport,
)

from .helpers import eventually, printed_keys, receipt


def test_network_printer_from_an_object_section(tmp_path: Path) -> None:
    with PrinterEmulator() as emu:
        section = SimpleNamespace(
            kind="network",
            host="127.0.0.1",
            port=emu.port,
            profile="58mm",
            text_mode="raster",
            timeout_s=0.5,
            settle_s=0.0,
            usb_vendor=None,
        )
        printer = build_printer(section, tmp_path, SystemClock(), simulated=False)
        try:
            printer.submit(receipt("B1"))
            assert printer.wait_idle(10)
            assert printer.status().health is DeviceHealth.OK
        finally:
            printer.stop()
        assert printed_keys(emu.device) == ["B1"]
        assert b"\x1dv0\x00\x30\x00" in emu.device.printed()[0].data  # 58 mm raster rows
    assert (tmp_path / "printer" / "spool.sqlite3").is_file()


def test_config_section_with_schema_defaults(tmp_path: Path) -> None:
    from terminal.config import SectionValues, section

    defaults = {k.name: k.default for k in section("printer").keys}
    values = SectionValues("printer", {**defaults, "kind": "file", "device": ""})
    t = build_transport(values)
    assert isinstance(t, DeviceFileTransport) and t.path == "/dev/usb/lp0"
    values = SectionValues("printer", {**defaults, "kind": "usb"})
    with pytest.raises(PrinterConfigError, match="usb_vendor is required"):
        build_transport(values)
    printer = build_printer(SectionValues("printer", defaults), tmp_path, SystemClock(), False)
    try:
        assert isinstance(printer, SimulatedPrinter)
        assert printer.renderer.profile.columns == 48
    finally:
        printer.stop()


def test_simulated_flag_wins_over_kind(tmp_path: Path) -> None:
    printer = build_printer({"kind": "usb"}, tmp_path, SystemClock(), simulated=True)
    try:
        assert isinstance(printer, SimulatedPrinter)
    finally:
        printer.stop()


def test_transports_from_config() -> None:
    t = build_transport({"kind": "serial", "device": "/dev/ttyS9", "baudrate": 38400})
    assert isinstance(t, SerialTransport) and t.baudrate == 38400
    t = build_transport({"kind": "file", "timeout_s": 2})
    assert isinstance(t, DeviceFileTransport) and t.path == "/dev/usb/lp0" and t.timeout_s == 2
    t = build_transport({"kind": "usb", "usb_vendor": "04b8", "usb_product": "0x0202"})
    assert isinstance(t, UsbTransport) and (t.vendor, t.product) == (0x04B8, 0x0202)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"kind": "bluetooth"}, "kind must be one of"),
        ({"kind": "network"}, "host is required"),
        ({"kind": "usb", "usb_vendor": "04b8"}, "usb_product is required"),
        ({"kind": "usb", "usb_vendor": "epson", "usb_product": "1"}, "hex USB id"),
        ({"kind": "network", "host": "h", "timeout_s": "soon"}, "timeout_s must be a number"),
        ({"kind": "simulated", "profile": "76mm"}, "profile must be one of"),
        ({"kind": "simulated", "text_mode": "utf8"}, "text_mode"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, section: dict, message: str) -> None:
    with pytest.raises(PrinterConfigError, match=message):
        build_printer(section, tmp_path, SystemClock(), simulated=False)


def test_absent_usb_printer_is_unknown_not_a_crash(tmp_path: Path) -> None:
    section = {"kind": "usb", "usb_vendor": "ffff", "usb_product": "fffe", "timeout_s": 0.2}
    printer = build_printer(section, tmp_path, SystemClock(), simulated=False)
    try:
        printer.submit(receipt("U1"))
        assert eventually(lambda: "usb:ffff:fffe" in printer.status().detail)
        status = printer.status()
        assert status.health is DeviceHealth.UNKNOWN and status.pending_jobs == 1
    finally:
        printer.stop()
