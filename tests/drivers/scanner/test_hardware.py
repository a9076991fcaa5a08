"""With a real scanner attached (opt in: ``pytest -m hardware``). Scan any barcode within
POS_HW_WAIT seconds (default 30); set POS_HW_EXPECT to the code printed under it to check the
decoding too, and POS_HW_LAYOUT to the layout the scanner is programmed for."""

from __future__ import annotations

import os
import queue

import pytest

from terminal.core.ports import ScanRead
from terminal.drivers.scanner.decoder import DecoderSettings
from terminal.drivers.scanner.evdev_source import EvdevScannerSource

pytestmark = pytest.mark.hardware


def test_a_real_scanner_delivers_a_decoded_code():
    reads: queue.Queue[ScanRead] = queue.Queue()
    connected: queue.Queue[str] = queue.Queue()

    def status(source: str, state: str, detail: str) -> None:
        if state == "connected":
            connected.put(source)

    src = EvdevScannerSource(
        decoder=DecoderSettings(layout=os.environ.get("POS_HW_LAYOUT", "us")), on_status=status
    )
    src.start(reads.put)
    try:
        try:
            source = connected.get(timeout=5)
        except queue.Empty:
            pytest.skip("no scanner found (pos-terminal doctor lists input devices)")
        print(f"scan a barcode with {source} ...")
        read = reads.get(timeout=float(os.environ.get("POS_HW_WAIT", "30")))
    finally:
        src.stop()
    assert read.code and read.source.startswith(("/dev/input/by-", "input:"))
    if os.environ.get("POS_HW_EXPECT"):
        assert read.code == os.environ["POS_HW_EXPECT"]
