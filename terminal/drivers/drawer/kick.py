"""A cash drawer wired to the receipt printer's kick connector (RJ-11/RJ-12, 24 V from the
printer). The printer sends the pulse on ESC p; the printer driver builds and queues it."""

from __future__ import annotations

from typing import Protocol

from terminal.drivers.drawer import DrawerError


class KickPrinter(Protocol):
    def kick_drawer(self, pin: int) -> None:
        """Send ESC p for connector pin 2 or 5."""


class PrinterKickDrawer:
    def __init__(self, printer: KickPrinter, pin: int = 2) -> None:
        if pin not in (2, 5):
            raise ValueError(f"drawer kick pin must be 2 or 5, not {pin}")
        if not callable(getattr(printer, "kick_drawer", None)):
            raise DrawerError(
                f"{type(printer).__name__} has no kick connector (kick_drawer); "
                'use [drawer] kind = "gpio" or "simulated"'
            )
        self.printer = printer
        self.pin = pin

    def open(self) -> None:
        try:
            self.printer.kick_drawer(self.pin)
        except OSError as exc:
            raise DrawerError(f"printer kick failed: {exc}") from exc

    def is_open(self) -> bool | None:
        # The kick connector's sensor pin is only readable through a real-time status query the
        # printer driver does not expose; a kick-port drawer counts as having no sensor.
        return None
