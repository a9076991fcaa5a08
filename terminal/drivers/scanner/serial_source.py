"""Scanners on a serial line (RS-232, or USB in CDC-ACM "virtual COM" mode) through pyserial.

The scanner sends the code's bytes followed by a suffix (CR, LF, CR LF or Tab); a pause longer than
the inter-character timeout ends a code too, for scanners set to send no suffix. Bytes are decoded
as Latin-1 by default so every byte, including the GS1 group separator 0x1D, survives as the
character of the same number.

Open it by a stable name (``/dev/serial/by-id/...``) where there is one: ``ttyACM0`` is as unstable
as ``event3``. When the port vanishes (unplug) or fails, it is closed and reopened with back-off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from terminal.core.ports import ScanRead
from terminal.drivers.scanner.evdev_source import Backoff, StatusCallback

log = logging.getLogger(__name__)

DEFAULT_SUFFIXES = b"\r\n\t"


class SerialPort(Protocol):
    """The part of ``serial.Serial`` used here."""

    timeout: float | None

    def read(self, size: int = 1) -> bytes: ...

    @property
    def in_waiting(self) -> int: ...

    def close(self) -> None: ...


def open_serial(port: str, baudrate: int, timeout: float) -> SerialPort:
    import serial

    return serial.serial_for_url(port, baudrate=baudrate, timeout=timeout)


class SerialScannerSource:
    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 9600,
        char_timeout: float = 0.05,
        suffixes: bytes = DEFAULT_SUFFIXES,
        encoding: str = "latin-1",
        min_length: int = 1,
        opener: Callable[[str, int, float], SerialPort] = open_serial,
        on_status: StatusCallback | None = None,
        backoff: Backoff | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.port = port
        self.source = f"serial:{port}"
        self.baudrate = baudrate
        self.char_timeout = char_timeout
        self.suffixes = suffixes
        self.encoding = encoding
        self.min_length = min_length
        self.opener = opener
        self.on_status = on_status
        self.backoff = backoff or Backoff()
        self.monotonic = monotonic
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_read: Callable[[ScanRead], None] | None = None

    def start(self, on_read: Callable[[ScanRead], None]) -> None:
        if self._thread is not None:
            raise RuntimeError("serial scanner already started")
        self._on_read = on_read
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"scanner-{self.source}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=5)
        self._thread = None

    def _run(self) -> None:
        wait = self.backoff.first
        reported_down = False
        while not self._stop.is_set():
            try:
                port = self.opener(self.port, self.baudrate, self.char_timeout)
            except OSError as exc:  # serial.SerialException is an OSError
                if not reported_down:
                    self._status("disconnected", str(exc))
                    reported_down = True
                self._stop.wait(wait)
                wait = min(wait * 2, self.backoff.most)
                continue
            wait = self.backoff.first
            reported_down = False
            self._status("connected", self.port)
            try:
                self._read_port(port)
            except OSError as exc:
                log.info("%s: %s", self.source, exc)
                self._status("disconnected", str(exc) or "port closed")
                reported_down = True
            finally:
                try:
                    port.close()
                except OSError:
                    pass  # already gone with the device

    def _read_port(self, port: SerialPort) -> None:
        buf = bytearray()
        last = self.monotonic()
        while not self._stop.is_set():
            data = port.read(max(1, port.in_waiting))
            now = self.monotonic()
            if not data:
                if buf and now - last >= self.char_timeout:
                    self._emit(bytes(buf))
                    buf.clear()
                continue
            if (
                buf
                and now - last >= self.char_timeout
                and not _starts_with_suffix(data, self.suffixes)
            ):
                self._emit(bytes(buf))
                buf.clear()
            last = now
            for b in data:
                if b in self.suffixes:
                    self._emit(bytes(buf))
                    buf.clear()
                else:
                    buf.append(b)

    def _emit(self, raw: bytes) -> None:
        code = raw.decode(self.encoding, errors="replace")
        if len(code) < self.min_length or self._on_read is None:
            return
        try:
            self._on_read(ScanRead(code, self.source))
        except Exception:
            log.exception("scan handler failed for %r from %s", code, self.source)

    def _status(self, state: str, detail: str) -> None:
        if self.on_status is not None:
            try:
                self.on_status(self.source, state, detail)
            except Exception:
                log.exception("scanner status handler failed")


def _starts_with_suffix(data: bytes, suffixes: bytes) -> bool:
    return bool(data) and data[0] in suffixes
