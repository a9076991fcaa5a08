"""A cash drawer fired from a GPIO pin through a relay or transistor driver, with an optional
open-sensor input, over the RPi.GPIO API.

The API is RPi.GPIO's because one code path then runs everywhere: the classic ``RPi.GPIO`` on a
Pi 4 and older, and ``rpi-lgpio`` (the ``python3-rpi-lgpio`` package on Raspberry Pi OS, or the
project's ``pi`` extra) on a Pi 5, whose RP1 chip the classic library cannot drive. rpi-lgpio
talks to the kernel's GPIO character device (``/dev/gpiochipN``, group ``gpio``) rather than
``/dev/mem``, so the service needs no root. The libgpiod Python bindings would do too, but their
v1 (Debian 12) and v2 (PyPI) APIs differ, and our mock and tests would have to follow both.

Safe level: the output is set to the inactive level the moment it is claimed (``initial=`` in
``setup``) and put back there after every pulse, even when the pulse is interrupted by an error.
Between power-on and that moment, the board's boot-time pulls decide (see docs/hardware.md).
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from typing import Any

from terminal.drivers.drawer import DrawerError
from terminal.drivers.drawer.gpiochip import list_gpio_chips, point_rpi_lgpio_at_header


def load_rpi_gpio() -> Any:
    """Import RPi.GPIO (or rpi-lgpio, which installs under the same name) on first use only:
    importing it off a Pi raises, and the simulator must not need it."""
    point_rpi_lgpio_at_header(list_gpio_chips())
    try:
        return importlib.import_module("RPi.GPIO")
    except (ImportError, RuntimeError) as exc:
        raise DrawerError(
            f"RPi.GPIO is not available ({exc}); on a Raspberry Pi install it with "
            "'sudo apt install python3-rpi-lgpio' or 'pip install rpi-lgpio'"
        ) from exc


class Debouncer:
    """A contact reading is believed once it has held the same level for ``hold`` seconds
    (what lgpio itself does), so a bouncing micro-switch gives one transition, not ten."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.stable: int | None = None
        self._candidate: int | None = None
        self._since = 0.0

    def update(self, raw: int, now: float) -> int:
        if self.stable is None:
            self.stable = self._candidate = raw
            self._since = now
            return raw
        if raw != self._candidate:
            self._candidate = raw
            self._since = now
        if self._candidate != self.stable and now - self._since >= self.hold:
            self.stable = self._candidate
        return self.stable


class GpioDrawer:
    def __init__(
        self,
        pin: int,
        *,
        active_high: bool = True,
        pulse_ms: int = 100,
        sensor_pin: int | None = None,
        sensor_open_high: bool = True,
        debounce_ms: int = 30,
        gpio: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if pulse_ms <= 0 or pulse_ms > 1000:
            # Drawer solenoids are rated for short pulses; a long one overheats the coil.
            raise ValueError(f"drawer pulse_ms must be 1..1000, not {pulse_ms}")
        if sensor_pin is not None and sensor_pin == pin:
            raise ValueError("drawer sensor_pin must differ from the drive pin")
        self.pin = pin
        self.active_high = active_high
        self.pulse = pulse_ms / 1000
        self.sensor_pin = sensor_pin
        self.sensor_open_high = sensor_open_high
        self.sleep = sleep
        self.monotonic = monotonic
        self._gpio = gpio
        self._ready = False
        self._lock = threading.Lock()
        self._debounce = Debouncer(debounce_ms / 1000)

    @property
    def _active(self) -> int:
        return 1 if self.active_high else 0

    @property
    def _inactive(self) -> int:
        return 0 if self.active_high else 1

    def setup(self) -> None:
        """Claim the pins, the drive pin at its inactive level from the first instant."""
        with self._lock:
            self._setup_locked()

    def _setup_locked(self) -> None:
        if self._ready:
            return
        if self._gpio is None:
            self._gpio = load_rpi_gpio()
        g = self._gpio
        try:
            g.setwarnings(False)
            g.setmode(g.BCM)
            g.setup(self.pin, g.OUT, initial=self._inactive)
            if self.sensor_pin is not None:
                # The pull holds the "open" level while the switch is open; a drawer switch
                # closes to the other rail when the drawer is shut.
                pull = g.PUD_UP if self.sensor_open_high else g.PUD_DOWN
                g.setup(self.sensor_pin, g.IN, pull_up_down=pull)
        except (RuntimeError, ValueError, OSError) as exc:
            raise DrawerError(f"cannot set up drawer GPIO {self.pin}: {exc}") from exc
        self._ready = True

    def open(self) -> None:
        with self._lock:
            self._setup_locked()
            g = self._gpio
            try:
                g.output(self.pin, self._active)
                try:
                    self.sleep(self.pulse)
                finally:
                    g.output(self.pin, self._inactive)
            except (RuntimeError, OSError) as exc:
                raise DrawerError(f"drawer pulse on GPIO {self.pin} failed: {exc}") from exc

    def is_open(self) -> bool | None:
        if self.sensor_pin is None:
            return None
        with self._lock:
            self._setup_locked()
            try:
                raw = self._gpio.input(self.sensor_pin)
            except (RuntimeError, OSError) as exc:
                raise DrawerError(f"drawer sensor GPIO {self.sensor_pin}: {exc}") from exc
            level = self._debounce.update(1 if raw else 0, self.monotonic())
        return level == (1 if self.sensor_open_high else 0)

    def close(self) -> None:
        """Release the pins at shutdown, leaving the drive pin inactive."""
        with self._lock:
            if not self._ready:
                return
            g = self._gpio
            g.output(self.pin, self._inactive)
            pins = [self.pin] + ([self.sensor_pin] if self.sensor_pin is not None else [])
            g.cleanup(pins)
            self._ready = False
