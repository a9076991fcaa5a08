"""Every transport has a deadline: serial and device-file printers run on a pseudo-terminal with
the emulated printer on the other end; the network one against loopback sockets."""

from __future__ import annotations

import os
import pty
import select
import socket
import threading
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.core.clock import SystemClock
from terminal.core.ports import DeviceHealth
from terminal.drivers.printer.emulator import EmulatedPrinter
from terminal.drivers.printer.profile import get_profile
from terminal.drivers.printer.render import Renderer
from terminal.drivers.printer.service import SpoolingPrinter
from terminal.drivers.printer.spool import Spool
from terminal.drivers.printer.transports import (
    DeviceFileTransport,
    NetworkTransport,
    SerialTransport,
    Transport,
    TransportError,
    TransportTimeout,
)

from .helpers import FAST, printed_keys, receipt


class PtyPrinter:
    """An emulated printer on the master side of a pty; the slave is the "device"."""

    def __init__(self, serve: bool = True) -> None:
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.device = EmulatedPrinter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        if serve:
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            r, _w, _x = select.select([self.master], [], [], 0.05)
            if not r:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            reply = self.device.feed(data)
            if reply:
                os.write(self.master, reply)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def pty_printer() -> Iterator[PtyPrinter]:
    p = PtyPrinter()
    yield p
    p.close()


def run_job(transport: Transport, tmp_path: Path, key: str = "T1") -> SpoolingPrinter:
    printer = SpoolingPrinter(
        transport=transport,
        renderer=Renderer(get_profile("80mm")),
        spool=Spool(tmp_path / "spool.sqlite3"),
        clock=SystemClock(),
        retry=FAST,
    )
    printer.start()
    printer.submit(receipt(key))
    return printer


def test_serial_printer_prints_with_status(pty_printer: PtyPrinter, tmp_path: Path) -> None:
    printer = run_job(SerialTransport(pty_printer.path, 19200, timeout_s=0.5), tmp_path)
    try:
        assert printer.wait_idle(10)
        assert printer.status().health is DeviceHealth.OK
    finally:
        printer.stop()
    assert printed_keys(pty_printer.device) == ["T1"]


def test_device_file_printer_prints_with_status(pty_printer: PtyPrinter, tmp_path: Path) -> None:
    transport = DeviceFileTransport(pty_printer.path, timeout_s=0.5)
    printer = run_job(transport, tmp_path)
    try:
        assert printer.wait_idle(10)
        assert transport.can_read_status
        assert printer.status().health is DeviceHealth.OK
    finally:
        printer.stop()
    assert printed_keys(pty_printer.device) == ["T1"]


def test_device_file_write_times_out_when_the_printer_stalls() -> None:
    stalled = PtyPrinter(serve=False)  # nobody reads: the pty buffer fills like a stalled printer
    try:
        t = DeviceFileTransport(stalled.path, timeout_s=0.2)
        t.open()
        with pytest.raises(TransportTimeout, match="bytes sent"):
            t.write(b"x" * 1_000_000)
        assert not t.is_open
    finally:
        stalled.close()


def test_serial_write_times_out_when_the_printer_stalls() -> None:
    stalled = PtyPrinter(serve=False)
    try:
        t = SerialTransport(stalled.path, timeout_s=0.2)
        t.open()
        with pytest.raises(TransportTimeout):
            t.write(b"x" * 1_000_000)
    finally:
        stalled.close()


def test_status_read_on_a_silent_device_returns_nothing() -> None:
    silent = PtyPrinter(serve=False)
    try:
        t = DeviceFileTransport(silent.path, timeout_s=0.1)
        t.open()
        t.write(b"\x10\x04\x01")
        assert t.read(1) == b""
        t.close()
    finally:
        silent.close()


def test_plain_file_is_a_one_way_printer(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    target.write_bytes(b"")
    transport = DeviceFileTransport(str(target), timeout_s=0.5)
    printer = run_job(transport, tmp_path)
    try:
        assert printer.wait_idle(10)
        status = printer.status()
        assert status.health is DeviceHealth.UNKNOWN and "one-way" in status.detail
    finally:
        printer.stop()
    assert not transport.can_read_status
    assert b"JOB T1" in target.read_bytes()


def test_missing_device_is_a_transport_error(tmp_path: Path) -> None:
    with pytest.raises(TransportError, match="No such file"):
        DeviceFileTransport(str(tmp_path / "lp9")).open()
    with pytest.raises(TransportError, match="cannot open"):
        SerialTransport(str(tmp_path / "ttyUSB9")).open()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_network_refused_and_silent_and_stalled() -> None:
    with pytest.raises(TransportError, match="cannot connect"):
        NetworkTransport("127.0.0.1", free_port(), timeout_s=0.2).open()

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        t = NetworkTransport("127.0.0.1", server.getsockname()[1], timeout_s=0.2)
        t.open()
        conn, _ = server.accept()
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        assert t.read(1) == b""  # no answer within the timeout: nothing, not an error
        with pytest.raises(TransportTimeout):
            t.write(b"x" * 64_000_000)  # the peer never reads
        assert not t.is_open
        conn.close()
    finally:
        server.close()


def test_network_peer_closing_is_an_error() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        t = NetworkTransport("127.0.0.1", server.getsockname()[1], timeout_s=0.5)
        t.open()
        conn, _ = server.accept()
        conn.close()
        with pytest.raises(TransportError, match="closed by the printer"):
            t.read(1)
    finally:
        server.close()
