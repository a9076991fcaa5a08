"""Serial scanners on pyserial's own loop:// port, the simulated scanner and the combined
source."""

from __future__ import annotations

import queue
import threading

import serial

from terminal.core.ports import ScanRead
from terminal.drivers.scanner.evdev_source import Backoff
from terminal.drivers.scanner.multi import MultiScanSource
from terminal.drivers.scanner.serial_source import SerialScannerSource
from terminal.drivers.scanner.simulated import SimulatedScanner

WAIT = 10  # a hang guard, not a speed claim

PORT = "/dev/serial/by-id/usb-Honeywell_Imaging_1900-if00"


class LoopPorts:
    """Opens pyserial loop:// ports in place of the scanner's device; a port can vanish."""

    def __init__(self) -> None:
        self.ports: queue.Queue[serial.SerialBase] = queue.Queue()
        self.present = threading.Event()
        self.present.set()
        self.opened: list[tuple[str, int]] = []

    def open(self, port: str, baudrate: int, timeout: float):
        if not self.present.is_set():
            raise serial.SerialException(f"could not open port {port}: No such file or directory")
        p = serial.serial_for_url("loop://", baudrate=baudrate, timeout=timeout)
        self.opened.append((port, baudrate))
        self.ports.put(p)
        return p


def make(ports: LoopPorts, **kw):
    reads: queue.Queue[ScanRead] = queue.Queue()
    status: queue.Queue = queue.Queue()
    src = SerialScannerSource(
        PORT,
        baudrate=115200,
        opener=ports.open,
        on_status=lambda *a: status.put(a),
        backoff=Backoff(0.01, 0.05),
        **kw,
    )
    src.start(reads.put)
    return src, reads, status


def test_serial_codes_with_every_suffix_and_gs1():
    ports = LoopPorts()
    src, reads, _ = make(ports)
    try:
        port = ports.ports.get(timeout=WAIT)
        port.write(b"4006381333931\r\n9780201379624\r0109501101530003\x1d10ABC\n")
        port.write(b"TAB-ENDED\t")
        got = [reads.get(timeout=WAIT) for _ in range(4)]
        assert [r.code for r in got] == [
            "4006381333931", "9780201379624", "0109501101530003\x1d10ABC", "TAB-ENDED"
        ]  # fmt: skip
        assert {r.source for r in got} == {"serial:" + PORT}
        assert ports.opened == [(PORT, 115200)]
    finally:
        src.stop()


def test_serial_code_without_suffix_ends_on_timeout():
    ports = LoopPorts()
    src, reads, _ = make(ports, char_timeout=0.05)
    try:
        ports.ports.get(timeout=WAIT).write(b"12345670")
        assert reads.get(timeout=WAIT) == ScanRead("12345670", "serial:" + PORT)
    finally:
        src.stop()


def test_serial_unplug_and_replug():
    ports = LoopPorts()
    src, reads, status = make(ports)
    try:
        first = ports.ports.get(timeout=WAIT)
        assert status.get(timeout=WAIT)[1] == "connected"
        ports.present.clear()
        first.close()  # the device vanished under the reader
        assert status.get(timeout=WAIT)[1] == "disconnected"
        ports.present.set()
        second = ports.ports.get(timeout=WAIT)
        assert status.get(timeout=WAIT)[1:] == ("connected", PORT)
        second.write(b"5901234123457\r")
        assert reads.get(timeout=WAIT).code == "5901234123457"
    finally:
        src.stop()


def test_simulated_scanner_inject_keys_garbage_and_unplug():
    reads: list[ScanRead] = []
    statuses: list[tuple] = []
    sim = SimulatedScanner(layout="de", on_status=lambda *a: statuses.append(a), seed=7)
    assert not sim.inject("123")  # not started: nothing delivered
    sim.start(reads.append)
    assert sim.inject("4006381333931")
    assert sim.inject_keys("XYZ-12/\x1d9")
    junk = sim.inject_garbage()
    assert SimulatedScanner(seed=7).inject_garbage() == junk  # deterministic per seed
    sim.unplug()
    assert not sim.inject("5901234123457")
    sim.replug()
    assert sim.inject("5901234123457")
    assert [r.code for r in reads] == ["4006381333931", "XYZ-12/\x1d9", junk, "5901234123457"]
    assert all(r.source == "sim" for r in reads)
    assert [s[1] for s in statuses] == ["disconnected", "connected"]


def test_multi_source_starts_and_stops_all():
    a, b = SimulatedScanner("sim:a"), SimulatedScanner("sim:b")
    reads: list[ScanRead] = []
    multi = MultiScanSource([a, b])
    multi.start(reads.append)
    a.inject("1")
    b.inject("2")
    multi.stop()
    assert not a.inject("3")
    assert reads == [ScanRead("1", "sim:a"), ScanRead("2", "sim:b")]
