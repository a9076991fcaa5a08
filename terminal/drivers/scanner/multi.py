"""Several scan sources (evdev scanners, serial scanners) seen by the core as one."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from terminal.core.ports import ScanRead, ScanSource


class MultiScanSource:
    def __init__(self, sources: Sequence[ScanSource]) -> None:
        self.sources = tuple(sources)

    def start(self, on_read: Callable[[ScanRead], None]) -> None:
        started: list[ScanSource] = []
        try:
            for s in self.sources:
                s.start(on_read)
                started.append(s)
        except Exception:
            for s in reversed(started):
                s.stop()
            raise

    def stop(self) -> None:
        for s in reversed(self.sources):
            s.stop()
