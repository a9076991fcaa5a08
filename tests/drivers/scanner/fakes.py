"""A stand-in for ``evdev.InputDevice`` at the library boundary, fed with evdev's own
``InputEvent`` objects, plus an inventory that plugs and unplugs such devices.

The fake has a real file descriptor (a pipe that is readable exactly while events are queued), so
the reader's ``select`` loop runs unchanged.
"""

from __future__ import annotations

import errno
import os
import select
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

from evdev import DeviceInfo, InputEvent
from evdev import ecodes as e

from terminal.drivers.scanner.evtest import UNPLUG, parse_evtest
from terminal.drivers.scanner.inventory import Candidate

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

KEYBOARD_KEYS = sorted(
    {getattr(e, f"KEY_{c}") for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"}
    | {e.KEY_ENTER, e.KEY_TAB, e.KEY_LEFTSHIFT, e.KEY_LEFTCTRL, e.KEY_LEFTALT, e.KEY_CAPSLOCK}
    | {getattr(e, f"KEY_KP{c}") for c in "0123456789"}
)


def fixture_events(name: str) -> list:
    return parse_evtest((FIXTURES / name).read_text())


def read_header(name: str) -> tuple[str, int, int]:
    """(device name, vendor, product) from the evtest header of a fixture."""
    name_, vendor, product = "", 0, 0
    for line in (FIXTURES / name).read_text().splitlines():
        if line.startswith("Input device name:"):
            name_ = line.split(":", 1)[1].strip().strip('"')
        elif line.startswith("Input device ID:"):
            parts = line.split()
            vendor = int(parts[parts.index("vendor") + 1], 16)
            product = int(parts[parts.index("product") + 1], 16)
    return name_, vendor, product


class FakeInputDevice:
    def __init__(
        self,
        path: str,
        name: str,
        vendor: int,
        product: int,
        *,
        keys: Iterable[int] = KEYBOARD_KEYS,
        leds: bool = True,
        pointer: bool = False,
        held: Iterable[Iterable[int]] = (),
    ) -> None:
        self.path = path
        self.name = name
        self.info = DeviceInfo(3, vendor, product, 0x111)
        self._caps: dict[int, list[int]] = {e.EV_SYN: [0, 1, 4], e.EV_KEY: list(keys)}
        if leds:
            self._caps[e.EV_LED] = [e.LED_NUML, e.LED_CAPSL, e.LED_SCROLLL]
        if pointer:
            self._caps[e.EV_REL] = [e.REL_X, e.REL_Y]
        self.lit_leds: list[int] = []
        self._held = deque(list(h) for h in held)
        self._queue: deque = deque()
        self._r, self._w = os.pipe()
        self._lock = threading.Lock()
        self.gone = False
        self.closed = False
        self.grabbed = False
        self.calls: list[tuple] = []
        self.delivered: list[InputEvent] = []

    # -- test side ----------------------------------------------------------------------------

    def push(self, *events) -> None:
        with self._lock:
            for ev in events:
                self._queue.append(ev)
                os.write(self._w, b".")

    def unplug(self) -> None:
        self.push(UNPLUG)

    # -- python-evdev InputDevice surface -----------------------------------------------------

    def fileno(self) -> int:
        if self.closed:
            raise OSError(errno.EBADF, "closed")
        return self._r

    def capabilities(self, verbose: bool = False, absinfo: bool = True) -> dict[int, list[int]]:
        self._check()
        return {k: list(v) for k, v in self._caps.items()}

    def leds(self, verbose: bool = False) -> list[int]:
        self._check()
        return list(self.lit_leds)

    def active_keys(self, verbose: bool = False) -> list[int]:
        self._check()
        held = self._held[0] if self._held else []
        if len(self._held) > 1:
            self._held.popleft()
        self.calls.append(("active_keys", tuple(held)))
        return list(held)

    def grab(self) -> None:
        self._check()
        if self.grabbed:
            raise OSError(errno.EBUSY, "Device or resource busy")
        self.grabbed = True
        self.calls.append(("grab",))

    def ungrab(self) -> None:
        self._check()
        self.grabbed = False
        self.calls.append(("ungrab",))

    def read_one(self) -> InputEvent | None:
        self._check()
        with self._lock:
            if not self._queue:
                return None
            ev = self._queue[0]
            if ev is UNPLUG:
                # The node stays readable and every read fails, as a vanished evdev node does.
                self.gone = True
                raise OSError(errno.ENODEV, "No such device")
            self._queue.popleft()
            os.read(self._r, 1)
        self.delivered.append(ev)
        return ev

    def read_loop(self) -> Iterator[InputEvent]:
        while True:
            select.select([self.fileno()], [], [])
            ev = self.read_one()
            if ev is not None:
                yield ev

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.calls.append(("close",))
            os.close(self._r)
            os.close(self._w)

    def _check(self) -> None:
        if self.closed:
            raise OSError(errno.EBADF, "Bad file descriptor")
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")


class FakeInventory:
    """Devices "plugged in" by stable link; each plug is a new node instance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._present: dict[str, tuple[FakeInputDevice, int]] = {}
        self._gen = 0
        self.opened: list[str] = []
        self.scans = threading.Semaphore(0)
        """Released once per ``list_candidates`` call (one rescan of the reader)."""

    def plug(self, link: str, dev: FakeInputDevice) -> FakeInputDevice:
        with self._lock:
            self._gen += 1
            self._present[link] = (dev, self._gen)
        return dev

    def unplug(self, link: str, *, fail_reads: bool = True) -> FakeInputDevice:
        """The node disappears. ``fail_reads=False`` when the recording being replayed ends in
        evtest's "No such device" itself."""
        with self._lock:
            dev, _ = self._present.pop(link)
        if fail_reads and not dev.closed:
            dev.unplug()
        return dev

    def list_candidates(self) -> list[Candidate]:
        with self._lock:
            found = [
                Candidate(link, (link,), (link, gen)) for link, (_, gen) in self._present.items()
            ]
        self.scans.release()
        return found

    def open(self, path: str) -> FakeInputDevice:
        with self._lock:
            if path not in self._present:
                raise OSError(errno.ENOENT, "No such file or directory", path)
            self.opened.append(path)
            return self._present[path][0]
