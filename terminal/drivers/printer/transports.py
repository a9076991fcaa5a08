"""Byte pipes to a printer, each with a deadline on every write and read.

python-escpos's own ``printer`` classes build the commands well but wait forever in places
(``File`` writes block on a stalled printer, ``Serial`` sets no write timeout, ``Usb`` reads
with pyusb's default). The owner thread must never hang, so network, serial and device-file
transports are small classes of their own here, and USB wraps python-escpos's ``Usb`` with the
timeout passed to every pyusb call.

A transport is used by one thread only (the printer's owner thread).
"""

from __future__ import annotations

import os
import select
import socket
import stat
import time
from abc import ABC, abstractmethod
from typing import Any


class TransportError(OSError):
    """The printer could not be reached or the link broke; the transport is closed."""


class TransportTimeout(TransportError):
    """A write did not complete before its deadline (printer stalled, buffer full, gone)."""


class Transport(ABC):
    name: str = "printer"
    can_read_status: bool = True
    """False for links that only go one way; jobs are then done when the write completes."""

    @abstractmethod
    def open(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @property
    @abstractmethod
    def is_open(self) -> bool: ...

    @abstractmethod
    def write(self, data: bytes) -> None:
        """All of ``data`` or ``TransportError``/``TransportTimeout``."""

    @abstractmethod
    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes; b"" when nothing arrived before the timeout."""

    def drain_input(self) -> None:  # noqa: B027  (optional hook)
        """Drop stale bytes (a late status answer) so the next read answers the next query."""

    def begin_job(self, key: str, raster_texts: list[str]) -> None:  # noqa: B027
        """Called before a job's bytes go out; the simulated printer keeps the side channel."""


class NetworkTransport(Transport):
    """Raw TCP, port 9100 ("JetDirect"): one connection, kept open between jobs."""

    def __init__(self, host: str, port: int = 9100, timeout_s: float = 5.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self.name = f"tcp://{host}:{port}"
        self._sock: socket.socket | None = None

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def open(self) -> None:
        if self._sock is not None:
            return
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except OSError as e:
            raise TransportError(f"{self.name}: cannot connect: {e}") from e
        sock.settimeout(self.timeout_s)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self._sock = sock

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def _need(self) -> socket.socket:
        if self._sock is None:
            raise TransportError(f"{self.name}: not connected")
        return self._sock

    def write(self, data: bytes) -> None:
        sock = self._need()
        try:
            # Since Python 3.5 the socket timeout bounds the whole sendall, not each chunk.
            sock.sendall(data)
        except TimeoutError as e:
            self.close()
            raise TransportTimeout(f"{self.name}: write timed out after {self.timeout_s}s") from e
        except OSError as e:
            self.close()
            raise TransportError(f"{self.name}: write failed: {e}") from e

    def read(self, n: int) -> bytes:
        sock = self._need()
        try:
            got = sock.recv(n)
        except TimeoutError:
            return b""
        except OSError as e:
            self.close()
            raise TransportError(f"{self.name}: read failed: {e}") from e
        if not got:
            self.close()
            raise TransportError(f"{self.name}: connection closed by the printer")
        return got

    def drain_input(self) -> None:
        sock = self._need()
        sock.setblocking(False)
        try:
            while True:
                try:
                    if not sock.recv(256):
                        self.close()
                        raise TransportError(f"{self.name}: connection closed by the printer")
                except BlockingIOError:
                    return
        finally:
            if self._sock is not None:
                self._sock.settimeout(self.timeout_s)


class SerialTransport(Transport):
    """RS-232 / USB-serial printers through pyserial, with read and write timeouts."""

    def __init__(
        self, device: str, baudrate: int = 9600, timeout_s: float = 5.0, rtscts: bool = False
    ) -> None:
        self.device, self.baudrate, self.timeout_s, self.rtscts = (
            device,
            baudrate,
            timeout_s,
            rtscts,
        )
        self.name = f"serial:{device}"
        self._ser: Any = None

    @property
    def is_open(self) -> bool:
        return self._ser is not None

    def open(self) -> None:
        if self._ser is not None:
            return
        import serial  # pyserial; imported here so other kinds do not need it loaded

        try:
            self._ser = serial.Serial(
                port=self.device,
                baudrate=self.baudrate,
                timeout=self.timeout_s,
                write_timeout=self.timeout_s,
                rtscts=self.rtscts,
            )
        except (serial.SerialException, OSError, ValueError) as e:
            raise TransportError(f"{self.name}: cannot open: {e}") from e

    def close(self) -> None:
        if self._ser is not None:
            try:
                self._ser.close()
            finally:
                self._ser = None

    def _need(self) -> Any:
        if self._ser is None:
            raise TransportError(f"{self.name}: not open")
        return self._ser

    def write(self, data: bytes) -> None:
        import serial

        ser = self._need()
        try:
            # No flush(): tcdrain has no timeout. write() with write_timeout already waits
            # until the kernel took every byte.
            ser.write(data)
        except serial.SerialTimeoutException as e:
            self.close()
            raise TransportTimeout(f"{self.name}: write timed out after {self.timeout_s}s") from e
        except (serial.SerialException, OSError) as e:
            self.close()
            raise TransportError(f"{self.name}: write failed: {e}") from e

    def read(self, n: int) -> bytes:
        import serial

        ser = self._need()
        try:
            return bytes(ser.read(n))
        except (serial.SerialException, OSError) as e:
            self.close()
            raise TransportError(f"{self.name}: read failed: {e}") from e

    def drain_input(self) -> None:
        import serial

        try:
            self._need().reset_input_buffer()
        except (serial.SerialException, OSError) as e:
            self.close()
            raise TransportError(f"{self.name}: {e}") from e


class DeviceFileTransport(Transport):
    """A character device such as /dev/usb/lp0 (the kernel's usblp driver).

    Opened non-blocking and written under ``select`` with a deadline, because a plain blocking
    write to a printer that is out of paper never returns. usblp allows one open at a time, so
    status reads share the descriptor: it is opened read-write when the device allows it and
    write-only otherwise (then no status can be read).
    """

    def __init__(self, path: str, timeout_s: float = 5.0) -> None:
        self.path, self.timeout_s = path, timeout_s
        self.name = f"file:{path}"
        self._fd: int | None = None
        self.can_read_status = True

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def open(self) -> None:
        if self._fd is not None:
            return
        flags = os.O_NONBLOCK | os.O_NOCTTY
        try:
            st = os.stat(self.path)
        except OSError as e:
            raise TransportError(f"{self.name}: {e.strerror}") from e
        if stat.S_ISCHR(st.st_mode):
            try:
                self._fd = os.open(self.path, os.O_RDWR | flags)
                self.can_read_status = True
                return
            except OSError:
                pass  # a write-only node: print without status
            write_flags = os.O_WRONLY | flags
        else:
            # A plain file (a capture, a test): appended to, and it has no status to read.
            write_flags = os.O_WRONLY | flags | os.O_APPEND
        try:
            self._fd = os.open(self.path, write_flags)
        except OSError as e:
            raise TransportError(f"{self.name}: cannot open: {e.strerror}") from e
        self.can_read_status = False

    def close(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            finally:
                self._fd = None

    def _need(self) -> int:
        if self._fd is None:
            raise TransportError(f"{self.name}: not open")
        return self._fd

    def write(self, data: bytes) -> None:
        fd = self._need()
        deadline = time.monotonic() + self.timeout_s
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                raise TransportTimeout(
                    f"{self.name}: write timed out after {self.timeout_s}s "
                    f"({len(data) - len(view)} of {len(data)} bytes sent)"
                )
            try:
                _r, w, _x = select.select([], [fd], [], remaining)
                if not w:
                    continue
                sent = os.write(fd, view[:4096])
            except BlockingIOError:
                continue
            except OSError as e:
                self.close()
                raise TransportError(f"{self.name}: write failed: {e.strerror}") from e
            view = view[sent:]

    def read(self, n: int) -> bytes:
        fd = self._need()
        if not self.can_read_status:
            return b""
        try:
            r, _w, _x = select.select([fd], [], [], self.timeout_s)
            if not r:
                return b""
            return os.read(fd, n)
        except BlockingIOError:
            return b""
        except OSError as e:
            self.close()
            raise TransportError(f"{self.name}: read failed: {e.strerror}") from e

    def drain_input(self) -> None:
        fd = self._need()
        if not self.can_read_status:
            return
        try:
            while select.select([fd], [], [], 0)[0]:
                if not os.read(fd, 256):
                    return
        except BlockingIOError:
            return
        except OSError as e:
            self.close()
            raise TransportError(f"{self.name}: {e.strerror}") from e


class UsbTransport(Transport):
    """USB printers through libusb: python-escpos's ``Usb`` with a timeout on every transfer.

    libusb needs the kernel's usblp driver off the interface; python-escpos detaches it on open.
    docs/hardware.md explains the udev rule that lets the service user do that.
    """

    def __init__(
        self,
        vendor: int,
        product: int,
        timeout_s: float = 5.0,
        in_ep: int = 0x82,
        out_ep: int = 0x01,
    ) -> None:
        self.vendor, self.product, self.timeout_s = vendor, product, timeout_s
        self.in_ep, self.out_ep = in_ep, out_ep
        self.name = f"usb:{vendor:04x}:{product:04x}"
        self._printer: Any = None

    @property
    def is_open(self) -> bool:
        return self._printer is not None

    @property
    def _timeout_ms(self) -> int:
        return max(1, int(self.timeout_s * 1000))

    def open(self) -> None:
        if self._printer is not None:
            return
        try:
            import usb.core  # noqa: F401  (pyusb; python-escpos's Usb needs it)
            from escpos.exceptions import DeviceNotFoundError
            from escpos.printer import Usb
        except ImportError as e:
            raise TransportError(f"{self.name}: pyusb is not installed ({e})") from e
        printer = Usb(
            idVendor=self.vendor,
            idProduct=self.product,
            timeout=self._timeout_ms,
            in_ep=self.in_ep,
            out_ep=self.out_ep,
        )
        try:
            printer.open()
        except DeviceNotFoundError as e:
            raise TransportError(f"{self.name}: {e}") from e
        except Exception as e:  # pyusb backend errors (no libusb, permissions) vary by system
            raise TransportError(f"{self.name}: cannot open: {e}") from e
        self._printer = printer

    def close(self) -> None:
        if self._printer is not None:
            printer, self._printer = self._printer, None
            try:
                printer.close()
            except Exception:  # the device may already be gone; it is released either way
                pass

    def write(self, data: bytes) -> None:
        import usb.core

        if self._printer is None:
            raise TransportError(f"{self.name}: not open")
        try:
            self._printer.device.write(self.out_ep, data, self._timeout_ms)
        except usb.core.USBTimeoutError as e:
            self.close()
            raise TransportTimeout(f"{self.name}: write timed out after {self.timeout_s}s") from e
        except usb.core.USBError as e:
            self.close()
            raise TransportError(f"{self.name}: write failed: {e}") from e

    def read(self, n: int) -> bytes:
        import usb.core

        if self._printer is None:
            raise TransportError(f"{self.name}: not open")
        try:
            return bytes(self._printer.device.read(self.in_ep, max(n, 16), self._timeout_ms))[:n]
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as e:
            self.close()
            raise TransportError(f"{self.name}: read failed: {e}") from e

    def drain_input(self) -> None:
        import usb.core

        if self._printer is None:
            raise TransportError(f"{self.name}: not open")
        try:
            while self._printer.device.read(self.in_ep, 64, 10):
                pass
        except usb.core.USBTimeoutError:
            return
        except usb.core.USBError as e:
            self.close()
            raise TransportError(f"{self.name}: {e}") from e
