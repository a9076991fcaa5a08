"""The simulated scanner: codes injected by the automation channel, the demo and tests, with the
faults a real counter produces (garbage reads, an unplugged scanner).

``inject`` delivers a code as it is; ``inject_keys`` types it as key events through the same
decoder the evdev reader uses, so the simulator exercises the real decoding path.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from terminal.core.ports import ScanRead
from terminal.drivers.scanner.decoder import DecoderSettings, KeyDecoder
from terminal.drivers.scanner.evdev_source import StatusCallback
from terminal.drivers.scanner.evtest import key_events

log = logging.getLogger(__name__)


class SimulatedScanner:
    def __init__(
        self,
        source: str = "sim",
        *,
        layout: str = "us",
        on_status: StatusCallback | None = None,
        seed: int = 0,
    ) -> None:
        self.source = source
        self.layout = layout
        self.on_status = on_status
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._on_read: Callable[[ScanRead], None] | None = None
        self._plugged = True
        self._decoder = KeyDecoder(DecoderSettings(layout=layout))
        self._t = 1_700_000_000.0

    def start(self, on_read: Callable[[ScanRead], None]) -> None:
        with self._lock:
            self._on_read = on_read

    def stop(self) -> None:
        with self._lock:
            self._on_read = None

    @property
    def plugged(self) -> bool:
        return self._plugged

    def inject(self, code: str) -> bool:
        """Deliver ``code`` as one read. False (nothing delivered) when stopped or unplugged."""
        with self._lock:
            handler = self._on_read if self._plugged else None
        if handler is None:
            return False
        handler(ScanRead(code, self.source))
        return True

    def inject_keys(self, code: str) -> bool:
        """Type ``code`` plus Enter as key events and deliver what the decoder makes of them."""
        events = key_events(code, self.layout, start=self._t)
        self._t = events[-1].timestamp() + 1.0
        delivered = False
        for ev in events:
            for decoded in self._decoder.feed(ev):
                delivered = self.inject(decoded) or delivered
        return delivered

    def inject_garbage(self, length: int = 0) -> str:
        """A misread: random printable and control bytes, as a damaged label or a half-read code
        gives. Returns what was injected (the same sequence for the same seed)."""
        n = length or self._rng.randint(1, 20)
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&*+-./:;<=>?@\x1d\x7f"
        garbage = "".join(self._rng.choice(alphabet) for _ in range(n))
        self.inject(garbage)
        return garbage

    def unplug(self) -> None:
        self._plugged = False
        self._status("disconnected", "unplugged")

    def replug(self) -> None:
        self._plugged = True
        self._decoder.reset()
        self._status("connected", "simulated scanner")

    def _status(self, state: str, detail: str) -> None:
        if self.on_status is not None:
            self.on_status(self.source, state, detail)
