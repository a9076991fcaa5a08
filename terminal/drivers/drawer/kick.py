"""A cash drawer wired to the receipt printer's kick connector (RJ-11/RJ-12, 24 V from the
printer). The printer sends the pulse on ESC p; the printer driver builds it and queues it ahead
of waiting receipts, returning a Future that completes when the bytes reached the printer."""

from __future__ import annotations

import concurrent.futures
from typing import Any, Protocol

from terminal.drivers.drawer import DrawerError


class KickPrinter(Protocol):
    def kick_drawer(self, pin: int) -> Any:
        """Send ESC p for connector pin 2 or 5; may return a Future of the write."""


class PrinterKickDrawer:
    def __init__(self, printer: KickPrinter, pin: int = 2, *, timeout: float = 5.0) -> None:
        if pin not in (2, 5):
            raise ValueError(f"drawer kick pin must be 2 or 5, not {pin}")
        if not callable(getattr(printer, "kick_drawer", None)):
            raise DrawerError(
                f"{type(printer).__name__} has no kick connector (kick_drawer); "
                'use [drawer] kind = "gpio" or "simulated"'
            )
        self.printer = printer
        self.pin = pin
        self.timeout = timeout

    def open(self) -> None:
        try:
            pending = self.printer.kick_drawer(self.pin)
            if isinstance(pending, concurrent.futures.Future):
                # The port promises open() returns once the pulse is done.
                pending.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError as exc:
            raise DrawerError(
                f"printer did not take the drawer kick within {self.timeout} s"
            ) from exc
        except (OSError, RuntimeError) as exc:
            # The printer's TransportError is an OSError, PrinterStopped a RuntimeError.
            raise DrawerError(f"printer kick failed: {exc}") from exc

    def is_open(self) -> bool | None:
        # The connector's sensor pin is only readable through a real-time status query the
        # printer driver does not expose; a kick-port drawer counts as having no sensor.
        return None
