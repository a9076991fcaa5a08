"""Keyboard-mode USB scanners read through evdev: one reader thread running one ``select`` loop over
every scanner, each with its own decoder, so reads from several scanners may interleave freely.

The loop also owns the device lifecycle:

- it rescans ``/dev/input`` (stable links, see ``inventory``) on a back-off timer, opening each new
  node once to classify it (``identify``); keyboards are closed again at once and never grabbed;
- a scanner is grabbed (``EVIOCGRAB``) only when ``active_keys()`` says no key is held, because a
  key pressed before the grab and released after it would stay "stuck" for whoever had it; until
  then it is not read at all;
- a read failing with ``ENODEV`` (unplugged) closes that scanner, reports it, and makes the next
  rescan come soon; when it is plugged back in the rescan finds it again. Nothing is restarted.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from evdev import ecodes as e

from terminal.core.ports import ScanRead
from terminal.drivers.scanner.decoder import DecoderSettings, KeyDecoder
from terminal.drivers.scanner.identify import DeviceFacts, InputDeviceLike, ScannerMatch
from terminal.drivers.scanner.inventory import Candidate, InputInventory

log = logging.getLogger(__name__)

StatusCallback = Callable[[str, str, str], None]
"""(source, state, detail): "connected" once the scanner is grabbed and being read,
"disconnected" when it was unplugged or failed, "busy" when another program holds its grab."""


class Inventory(Protocol):
    def list_candidates(self) -> list[Candidate]: ...


class UdevMonitor(Protocol):
    """The part of ``pyudev.Monitor`` used: a pollable descriptor and its events."""

    def fileno(self) -> int: ...

    def poll(self, timeout: float | None = None) -> Any: ...


def open_udev_monitor() -> UdevMonitor | None:
    """A udev monitor for input devices when pyudev is installed, so a plugged scanner is seen
    at once; without it the back-off rescan finds it within ``Backoff.most`` seconds."""
    try:
        import pyudev
    except ImportError:
        return None
    try:
        monitor = pyudev.Monitor.from_netlink(pyudev.Context())
        monitor.filter_by("input")
        monitor.start()
    except (OSError, ValueError) as exc:
        log.info("udev monitor unavailable (%s); polling /dev/input instead", exc)
        return None
    return monitor


def open_input_device(path: str) -> InputDeviceLike:
    from evdev import InputDevice

    return InputDevice(path)


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 0.5
    most: float = 2.0
    """Rescan interval after a change, doubling while nothing changes, capped at ``most``: a
    replugged scanner works again within two seconds, for a few directory reads each time."""


@dataclass(eq=False)
class _Scanner:
    dev: InputDeviceLike
    facts: DeviceFacts
    decoder: KeyDecoder
    grabbed: bool = False
    last_event: float = 0.0
    key: tuple[object, ...] = field(default_factory=tuple)

    @property
    def source(self) -> str:
        return self.facts.stable_id


class EvdevScannerSource:
    def __init__(
        self,
        match: ScannerMatch | None = None,
        decoder: DecoderSettings | None = None,
        *,
        grab: bool = True,
        inventory: Inventory | None = None,
        opener: Callable[[str], InputDeviceLike] = open_input_device,
        on_status: StatusCallback | None = None,
        backoff: Backoff | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        udev: Callable[[], UdevMonitor | None] | None = open_udev_monitor,
    ) -> None:
        self.match = match or ScannerMatch()
        self.udev = udev
        self._udev: UdevMonitor | None = None
        self.decoder_settings = decoder or DecoderSettings()
        self.grab = grab
        self.inventory: Inventory = inventory or InputInventory()
        self.opener = opener
        self.on_status = on_status
        self.backoff = backoff or Backoff()
        self.monotonic = monotonic
        self._scanners: dict[tuple[object, ...], _Scanner] = {}
        self._ignored: dict[tuple[object, ...], str] = {}
        self._unopenable: set[tuple[object, ...]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_r = self._wake_w = -1
        self._on_read: Callable[[ScanRead], None] | None = None
        self._interval = self.backoff.first
        self._next_scan = 0.0

    # -- ScanSource ---------------------------------------------------------------------------

    def start(self, on_read: Callable[[ScanRead], None]) -> None:
        if self._thread is not None:
            raise RuntimeError("scanner source already started")
        self._on_read = on_read
        self._stop.clear()
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="scanner-evdev", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        os.write(self._wake_w, b"x")
        thread.join(timeout=5)
        self._thread = None
        os.close(self._wake_r)
        os.close(self._wake_w)

    # -- introspection ------------------------------------------------------------------------

    def connected(self) -> list[str]:
        """Stable ids of the scanners open now (grabbed or waiting for a free moment to grab)."""
        with self._lock:
            return sorted(s.source for s in self._scanners.values())

    def rescan_now(self) -> None:
        """Look for new devices at the next loop turn (e.g. on a udev "add" event)."""
        self._next_scan = 0.0
        self._interval = self.backoff.first
        if self._thread is not None:
            os.write(self._wake_w, b"x")

    # -- the loop -----------------------------------------------------------------------------

    def _run(self) -> None:
        self._udev = self.udev() if self.udev is not None else None
        try:
            while not self._stop.is_set():
                self._turn()
        except Exception:
            log.exception("scanner reader stopped on an unexpected error")
            raise
        finally:
            with self._lock:
                scanners = list(self._scanners.values())
                self._scanners.clear()
            for s in scanners:
                self._close(s, ungrab=True)

    def _turn(self) -> None:
        now = self.monotonic()
        if now >= self._next_scan:
            changed = self._rescan()
            self._interval = (
                self.backoff.first if changed else min(self._interval * 2, self.backoff.most)
            )
            self._next_scan = now + self._interval

        with self._lock:
            scanners = list(self._scanners.values())
        waiting = [s for s in scanners if not s.grabbed]
        for s in waiting:
            self._try_grab(s)

        live = [s for s in scanners if s.grabbed]
        timeout = max(0.0, self._next_scan - self.monotonic())
        if any(not s.grabbed for s in scanners):
            timeout = min(timeout, 0.02)
        for s in live:
            if s.decoder.pending:
                due = s.last_event + s.decoder.settings.char_timeout - self.monotonic()
                timeout = min(timeout, max(0.0, due))

        fds = {s.dev.fileno(): s for s in live}
        extra = [self._wake_r] + ([self._udev.fileno()] if self._udev is not None else [])
        ready, _, _ = select.select([*extra, *fds], [], [], timeout)
        if self._wake_r in ready:
            os.read(self._wake_r, 64)
        if self._udev is not None and self._udev.fileno() in ready:
            self._udev_events()
        for fd in ready:
            if fd in fds:
                self._read(fds[fd])

        now = self.monotonic()
        for s in live:
            if s.decoder.pending and now - s.last_event >= s.decoder.settings.char_timeout:
                self._deliver(s, s.decoder.flush())

    def _udev_events(self) -> None:
        assert self._udev is not None
        added = False
        while (event := self._udev.poll(timeout=0)) is not None:
            added = added or getattr(event, "action", None) in ("add", "change")
        if added:
            self._next_scan = 0.0
            self._interval = self.backoff.first

    def _rescan(self) -> bool:
        try:
            candidates = self.inventory.list_candidates()
        except OSError as exc:
            log.warning("cannot list input devices: %s", exc)
            return False
        with self._lock:
            open_keys = set(self._scanners)
        present = {c.key for c in candidates}
        # Forget keyboards that went away, so a new device on the same node is looked at again.
        for key in list(self._ignored):
            if key not in present:
                del self._ignored[key]
        self._unopenable &= present
        changed = False
        for cand in candidates:
            if cand.key in open_keys or cand.key in self._ignored:
                continue
            try:
                dev = self.opener(cand.open_path)
            except OSError as exc:
                # Usually EACCES: the service user is not in group "input" (doctor says how).
                # Tried again on every rescan, so fixing the permission needs no restart.
                if cand.key not in self._unopenable:
                    log.warning("cannot open %s: %s", cand.open_path, exc)
                self._unopenable.add(cand.key)
                continue
            self._unopenable.discard(cand.key)
            try:
                facts = DeviceFacts.of(dev, cand.links)
            except OSError as exc:
                dev.close()
                log.info("cannot query %s: %s", cand.open_path, exc)
                continue
            verdict = self.match.classify(facts)
            if not verdict.is_scanner:
                dev.close()
                self._ignored[cand.key] = f"{verdict.kind}: {verdict.reason}"
                continue
            decoder = self._new_decoder(dev)
            scanner = _Scanner(dev, facts, decoder, key=cand.key)
            with self._lock:
                self._scanners[cand.key] = scanner
            changed = True
            log.info("scanner %s (%s): %s", facts.stable_id, facts.name, verdict.reason)
        return changed

    def _new_decoder(self, dev: InputDeviceLike) -> KeyDecoder:
        # CapsLock starts from the device's own LED: scanners that compensate for CapsLock read
        # that LED, and once the device is grabbed no other handler changes it. NumLock starts
        # on whatever the LED says: a scanner sending keypad keys means digits.
        try:
            leds = set(dev.leds())
        except OSError:
            leds = set()
        return KeyDecoder(self.decoder_settings, caps_lock=e.LED_CAPSL in leds, num_lock=True)

    def _try_grab(self, s: _Scanner) -> None:
        try:
            if s.dev.active_keys():
                return
            if self.grab:
                s.dev.grab()
            # Events queued before the grab also reached whoever had focus: drop them.
            while s.dev.read_one() is not None:
                pass
            s.decoder.resync(s.dev.active_keys())
        except OSError as exc:
            if exc.errno == errno.EBUSY:
                self._status(s.source, "busy", "another program holds the scanner grabbed")
            self._drop(s, exc)
            return
        s.grabbed = True
        # Reported only now: from here on every key of this device is decoded.
        self._status(s.source, "connected", s.facts.name)

    def _read(self, s: _Scanner) -> None:
        try:
            while True:
                ev = s.dev.read_one()
                if ev is None:
                    return
                s.last_event = self.monotonic()
                for code in s.decoder.feed(ev):
                    self._deliver(s, code)
                if ev.type == e.EV_SYN and ev.code == e.SYN_DROPPED:
                    s.decoder.resync(s.dev.active_keys())
                    log.warning("scanner %s: events dropped, partial code discarded", s.source)
        except OSError as exc:
            self._drop(s, exc)

    def _drop(self, s: _Scanner, exc: OSError) -> None:
        with self._lock:
            self._scanners.pop(s.key, None)
        self._close(s, ungrab=exc.errno != errno.ENODEV)
        if exc.errno == errno.ENODEV:
            self._status(s.source, "disconnected", "unplugged")
        elif exc.errno != errno.EBUSY:
            self._status(s.source, "disconnected", str(exc))
        # Unplugged: look again soon (the replug may take a moment); other errors: at once.
        soon = self.backoff.first if exc.errno == errno.ENODEV else 0.0
        self._next_scan = self.monotonic() + soon
        self._interval = self.backoff.first

    def _close(self, s: _Scanner, *, ungrab: bool) -> None:
        try:
            if ungrab and s.grabbed and self.grab:
                s.dev.ungrab()
        except OSError:
            pass  # the device is gone; closing releases the grab anyway
        try:
            s.dev.close()
        except OSError as exc:
            log.debug("closing %s: %s", s.source, exc)

    def _deliver(self, s: _Scanner, code: str | None) -> None:
        if code is None or self._on_read is None:
            return
        try:
            self._on_read(ScanRead(code, s.source))
        except Exception:
            # The reader must outlive a faulty handler; the error is logged, not hidden.
            log.exception("scan handler failed for %r from %s", code, s.source)

    def _status(self, source: str, state: str, detail: str) -> None:
        if self.on_status is not None:
            try:
                self.on_status(source, state, detail)
            except Exception:
                log.exception("scanner status handler failed")
