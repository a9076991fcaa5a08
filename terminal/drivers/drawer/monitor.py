"""Watches a drawer's open sensor: reports each open/close transition and raises an alert when
the drawer stays open too long. The composition root journals these as ``drawer.opened``,
``drawer.closed`` and ``drawer.left_open``.

``poll`` does one step and is what tests drive with a fake clock; ``start`` runs it on its own
thread. A drawer without a sensor (``is_open()`` is None) produces nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from terminal.core.ports import CashDrawer, Clock
from terminal.drivers.drawer import DrawerError

log = logging.getLogger(__name__)


class DrawerMonitor:
    def __init__(
        self,
        drawer: CashDrawer,
        clock: Clock,
        *,
        left_open_after: float,
        on_change: Callable[[bool], None],
        on_left_open: Callable[[float], None],
        poll_interval: float = 0.05,
        repeat_alert_after: float | None = None,
    ) -> None:
        self.drawer = drawer
        self.clock = clock
        self.left_open_after = left_open_after
        self.on_change = on_change
        self.on_left_open = on_left_open
        self.poll_interval = poll_interval
        self.repeat_alert_after = repeat_alert_after
        self._state: bool | None = None
        self._opened_at = 0.0
        self._next_alert: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> bool | None:
        return self._state

    def poll(self) -> None:
        try:
            now_open = self.drawer.is_open()
        except DrawerError as exc:
            log.warning("drawer sensor unreadable: %s", exc)
            return
        if now_open is None:
            return
        now = self.clock.monotonic()
        if now_open != self._state:
            first = self._state is None
            self._state = now_open
            if now_open:
                self._opened_at = now
                self._next_alert = now + self.left_open_after
            else:
                self._next_alert = None
            # A drawer found shut at start-up is the normal state, not a transition.
            if not (first and not now_open):
                self.on_change(now_open)
        if now_open and self._next_alert is not None and now >= self._next_alert:
            self.on_left_open(now - self._opened_at)
            self._next_alert = (
                now + self.repeat_alert_after if self.repeat_alert_after is not None else None
            )

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="drawer-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=5)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:
                log.exception("drawer monitor step failed")
            self._stop.wait(self.poll_interval)
