"""The simulated drawer: it opens on a pulse and stays open until closed (by a test, the
automation channel, or ``auto_close_after`` pulses), so "left open" can be produced on demand;
``jam`` makes the next pulses fail as a drawer with no power would."""

from __future__ import annotations

import threading

from terminal.drivers.drawer import DrawerError


class SimulatedDrawer:
    def __init__(self, *, has_sensor: bool = True) -> None:
        self.has_sensor = has_sensor
        self.pulses = 0
        self._open = False
        self._jammed = False
        self._lock = threading.Lock()

    def open(self) -> None:
        with self._lock:
            if self._jammed:
                raise DrawerError("simulated drawer is jammed")
            self.pulses += 1
            self._open = True

    def is_open(self) -> bool | None:
        if not self.has_sensor:
            return None
        with self._lock:
            return self._open

    def close(self) -> None:
        """Someone pushed the drawer shut."""
        with self._lock:
            self._open = False

    def jam(self, jammed: bool = True) -> None:
        with self._lock:
            self._jammed = jammed
