"""A real printer, opt in: POS_HW_PRINTER="network:192.168.1.50" | "file:/dev/usb/lp0" |
"serial:/dev/ttyUSB0" | "usb:0416:5011", run with -m hardware. The page is checked by eye; the
test asserts the printer took the job and reported OK after it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from terminal.core.clock import SystemClock
from terminal.core.ports import DeviceHealth
from terminal.drivers.printer import build_printer

from .helpers import sale_receipt

pytestmark = pytest.mark.hardware


def section_from_env() -> dict[str, object]:
    spec = os.environ.get("POS_HW_PRINTER", "")
    if not spec:
        pytest.skip("set POS_HW_PRINTER, e.g. network:192.168.1.50 or file:/dev/usb/lp0")
    kind, _, where = spec.partition(":")
    section: dict[str, object] = {
        "kind": kind,
        "profile": os.environ.get("POS_HW_PRINTER_PROFILE", "80mm"),
        "text_mode": os.environ.get("POS_HW_PRINTER_TEXT_MODE", "auto"),
    }
    if kind == "network":
        section["host"] = where
    elif kind == "usb":
        vendor, _, product = where.partition(":")
        section.update(usb_vendor=vendor, usb_product=product)
    else:
        section["device"] = where
    return section


def test_real_printer_prints_a_receipt(tmp_path: Path) -> None:
    printer = build_printer(section_from_env(), tmp_path, SystemClock(), simulated=False)
    try:
        printer.submit(sale_receipt())
        assert printer.wait_idle(30), printer.status()
        assert printer.status().health in (DeviceHealth.OK, DeviceHealth.UNKNOWN)
    finally:
        printer.stop()
