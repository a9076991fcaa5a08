"""A stand-in for the ``RPi.GPIO`` module that records every output change with its time and lets
a test drive input levels, in the spirit of gpiozero's ``MockFactory``.

It implements the subset of the RPi.GPIO API the drawer uses, with RPi.GPIO's own checks
(numbering mode first, outputs only on pins set up as outputs), so code that passes here makes the
same calls on a Pi. Times come from an injected ``monotonic`` so a test with a fake clock is exact.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PinChange:
    time: float
    pin: int
    level: int


class MockGPIO:
    BCM = 11
    BOARD = 10
    OUT = 0
    IN = 1
    HIGH = 1
    LOW = 0
    PUD_OFF = 20
    PUD_DOWN = 21
    PUD_UP = 22

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._mode: int | None = None
        self.warnings = True
        self.functions: dict[int, int] = {}
        self.pulls: dict[int, int] = {}
        self.levels: dict[int, int] = {}
        self.history: list[PinChange] = []
        """Every level change of an output pin, with its time."""
        self._inputs: dict[int, list[tuple[float, int]]] = {}

    # -- RPi.GPIO API -------------------------------------------------------------------------

    def setwarnings(self, flag: bool) -> None:
        self.warnings = bool(flag)

    def setmode(self, mode: int) -> None:
        if mode not in (self.BCM, self.BOARD):
            raise ValueError("An invalid mode was passed to setmode()")
        if self._mode is not None and mode != self._mode:
            raise ValueError("A different mode has already been set!")
        self._mode = mode

    def getmode(self) -> int | None:
        return self._mode

    def setup(
        self,
        channel: int | Iterable[int],
        direction: int,
        pull_up_down: int = PUD_OFF,
        initial: int | None = None,
    ) -> None:
        self._need_mode()
        for pin in [channel] if isinstance(channel, int) else list(channel):
            with self._lock:
                self.functions[pin] = direction
                self.pulls[pin] = pull_up_down
                if direction == self.OUT:
                    if pull_up_down != self.PUD_OFF:
                        raise ValueError("pull_up_down parameter is not valid for outputs")
                    level = self.levels.get(pin, self.LOW) if initial is None else int(initial)
                    self._set(pin, level)

    def output(self, channel: int, value: int | bool) -> None:
        self._need_mode()
        with self._lock:
            if self.functions.get(channel) != self.OUT:
                raise RuntimeError("The GPIO channel has not been set up as an OUTPUT")
            self._set(channel, 1 if value else 0)

    def input(self, channel: int) -> int:
        self._need_mode()
        with self._lock:
            if channel not in self.functions:
                raise RuntimeError("You must setup() the GPIO channel first")
            if self.functions[channel] == self.OUT:
                return self.levels.get(channel, self.LOW)
            return self._input_level(channel, self.monotonic())

    def cleanup(self, channel: int | Iterable[int] | None = None) -> None:
        with self._lock:
            pins = (
                list(self.functions)
                if channel is None
                else [channel]
                if isinstance(channel, int)
                else list(channel)
            )
            for pin in pins:
                self.functions.pop(pin, None)
                self.pulls.pop(pin, None)
            if channel is None:
                self._mode = None

    # -- test side ----------------------------------------------------------------------------

    def drive(self, pin: int, level: int, at: float | None = None) -> None:
        """The outside world puts ``level`` on input ``pin`` from time ``at`` (default: now)."""
        when = self.monotonic() if at is None else at
        with self._lock:
            changes = self._inputs.setdefault(pin, [])
            changes.append((when, 1 if level else 0))
            changes.sort(key=lambda c: c[0])

    def bounce(self, pin: int, levels: Iterable[int], start: float, step: float) -> float:
        """A bouncing contact: ``levels`` one after another, ``step`` seconds apart. Returns the
        time of the last one."""
        t = start
        for lv in levels:
            self.drive(pin, lv, at=t)
            t += step
        return t - step

    def pulses(self, pin: int) -> list[tuple[float, float]]:
        """(start, width) of every high-then-low excursion of an output pin, in seconds."""
        out = []
        start = None
        for ch in self.history:
            if ch.pin != pin:
                continue
            if ch.level and start is None:
                start = ch.time
            elif not ch.level and start is not None:
                out.append((start, ch.time - start))
                start = None
        return out

    def level_changes(self, pin: int) -> list[PinChange]:
        return [c for c in self.history if c.pin == pin]

    # -- internals ----------------------------------------------------------------------------

    def _set(self, pin: int, level: int) -> None:
        if self.levels.get(pin) != level:
            self.levels[pin] = level
            self.history.append(PinChange(self.monotonic(), pin, level))

    def _input_level(self, pin: int, now: float) -> int:
        level = self.HIGH if self.pulls.get(pin) == self.PUD_UP else self.LOW
        for when, lv in self._inputs.get(pin, ()):
            if when <= now:
                level = lv
        return level

    def _need_mode(self) -> None:
        if self._mode is None:
            raise RuntimeError(
                "Please set pin numbering mode using GPIO.setmode(GPIO.BOARD) or "
                "GPIO.setmode(GPIO.BCM)"
            )
