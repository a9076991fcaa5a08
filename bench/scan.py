"""scan_to_cart_p99: one EAN-13 from key events to a cart line, in a 100,000-item catalog.

Each read is the evdev key sequence a scanner sends (press, release and SYN_REPORT for 13
digits and Enter), decoded by the scanner decoder, routed by the checkout (classification,
indexed barcode lookup in the SQLite catalog, cart line, snapshot for the screen). The basket's
journal write follows, as in the app, after the snapshot and outside the timing.
"""

from __future__ import annotations

import random
import time
from typing import Any

from evdev import InputEvent, ecodes

from bench.ledger import START, WORK, _fresh_ledger, _NoDevice, _OwnerGate
from bench.record import Result, absolute, percentile
from terminal.core.barcodes import with_check_digit
from terminal.core.checkout import SaleSession
from terminal.core.clock import ManualClock
from terminal.core.records import Item
from terminal.core.settings import StoreSettings
from terminal.drivers.scanner.decoder import KeyDecoder

N_ITEMS = 100_000
DIGIT_KEYS = {str(d): getattr(ecodes, f"KEY_{d}") for d in range(10)}


def _ean(i: int) -> str:
    return with_check_digit(f"690{i:09d}")


def _key_events(code: str, t0: float) -> list[Any]:
    events, t = [], t0
    for ch in code:
        key = DIGIT_KEYS[ch]
        for value in (1, 0):
            sec, usec = int(t), int((t % 1) * 1_000_000)
            events.append(InputEvent(sec, usec, ecodes.EV_KEY, key, value))
            events.append(InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0))
            t += 0.002
    for value in (1, 0):
        sec, usec = int(t), int((t % 1) * 1_000_000)
        events.append(InputEvent(sec, usec, ecodes.EV_KEY, ecodes.KEY_ENTER, value))
        events.append(InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0))
    return events


def scan_to_cart(reads: int = 2000) -> Result:
    WORK.mkdir(exist_ok=True)
    path = WORK / "scan-100k.sqlite3"
    for p in WORK.glob(path.name + "*"):
        p.unlink()
    ledger = _fresh_ledger(path, 0)
    catalog = ledger.catalog()
    catalog.upsert_items(
        Item(sku=f"S{i:06d}", name=f"Item {i}", name_zh=f"商品{i}", price=100 + i % 9000,
             barcodes=(_ean(i),))
        for i in range(N_ITEMS)
    )
    clock = ManualClock(START)
    ledger.post("shift.opened", {"shift_id": "bench", "opening_float": 0}, staff_id="bench")
    session = SaleSession(
        catalog=catalog, ledger=ledger, printer=_NoDevice(), drawer=_NoDevice(),
        payments=None, card=None, clock=clock, gate=_OwnerGate(),  # type: ignore[arg-type]
        settings=StoreSettings(terminal_id="B1"), clerk_id="bench",
    )
    # As the app's worker does: the basket's journal write runs after the snapshot is handed
    # to the screen, before the next read (``scan_durable`` times a scan with its commit).
    after: list[Any] = []
    session.defer = after.append
    rng = random.Random(7)
    decoder = KeyDecoder()
    times = []
    for n in range(reads):
        code = _ean(rng.randrange(N_ITEMS))
        events = _key_events(code, 1000.0 + n)
        t0 = time.perf_counter()
        codes: list[str] = []
        for ev in events:
            codes += decoder.feed(ev)
        for c in codes:
            session.handle_read(c)
            session.snapshot()
        times.append(time.perf_counter() - t0)
        assert codes == [code], codes
        for fn in after:
            assert fn() is None
        after.clear()
        if n % 40 == 39:
            # A basket of 40 items, then the next customer: the cart never grows without end.
            session.void_sale(reason="bench")
            session.new_sale()
    ledger.close()
    p99 = percentile(times, 99) * 1000
    return absolute(
        "scan_to_cart_p99", p99, "ms", limit=1.0,
        detail=f"{reads} reads, {N_ITEMS} items; median {percentile(times, 50) * 1000:.3f} ms",
    )


def run() -> list[Result]:
    return [scan_to_cart()]
