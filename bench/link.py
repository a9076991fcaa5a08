"""The terminal's link.

outbox_drain: 100,000 journal entries queued in a terminal's outbox (a terminal that was offline
for days) drain through a local mosquitto to an acking subscriber until the outbox is empty, i.e.
until the collector side has acknowledged every one. The floor, in the same run, is a raw paho
QoS 1 publish loop of the same 100,000 event payloads to the same broker with the same subscriber
attached, timed until the last PUBACK. Target: relay throughput >= 0.5 x the raw loop.

outbox_drain sends one event per message, like the raw loop (like for like).
outbox_drain_batched drains the same journal again, requeued under another terminal id, in
batches of EVENTS_PER_MESSAGE (the relay's default), against the same one-per-message raw loop:
what a terminal does after an outage, not a like-for-like comparison.

catalog_apply_100k: a 100,000-item catalog as signed catalog.snapshot chunks, each parsed,
verified and applied by the terminal's command intake into its SQLite catalog. Target: <= 15 s.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.broker import start_mosquitto
from bench.record import Result, absolute, against_floor
from terminal.core.clock import ManualClock, SystemClock
from terminal.core.records import Item, TaxClass
from terminal.ledger.db import open_ledger
from terminal.link import protocol as wire
from terminal.link.handlers import catalog_handlers
from terminal.link.intake import Intake
from terminal.link.relay import DEFAULT_EVENTS_PER_MESSAGE, LinkConfig, Relay

EVENTS = 100_000
ITEMS = 100_000
EVENTS_PER_MESSAGE = DEFAULT_EVENTS_PER_MESSAGE
INFLIGHT = 20
"""mosquitto's default Receive Maximum; the relay and the raw loop both keep to it."""


class _Acker:
    """The collector side, reduced to what the drain needs: decode every event message and
    acknowledge the highest contiguous sequence per terminal every 50 ms."""

    def __init__(self, port: int) -> None:
        self.upto: dict[str, int] = {}
        self.count: dict[str, int] = {}
        self._beyond: dict[str, set[int]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-acker", protocol=mqtt.MQTTv5
        )
        self.client.on_message = self._on_message
        ready = threading.Event()
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe(wire.shared(wire.EVENTS_FILTER), qos=1)
        if not ready.wait(10):
            raise RuntimeError("bench subscriber could not subscribe")
        self._thread = threading.Thread(target=self._ack_loop, daemon=True)
        self._thread.start()

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        for ev in wire.decode_events(msg.payload):
            with self._lock:
                beyond = self._beyond.setdefault(ev.terminal, set())
                n = self.upto.get(ev.terminal, 0)
                if ev.seq > n and ev.seq not in beyond:
                    self.count[ev.terminal] = self.count.get(ev.terminal, 0) + 1
                    beyond.add(ev.seq)
                    while n + 1 in beyond:
                        n += 1
                        beyond.discard(n)
                    self.upto[ev.terminal] = n

    def _ack_loop(self) -> None:
        while not self._stop.wait(0.05):
            with self._lock:
                marks = dict(self.upto)
            for terminal, upto in marks.items():
                ack = wire.encode_ack(wire.Ack(terminal=terminal, upto=upto))
                self.client.publish(wire.ack_topic("S1", terminal), ack, qos=1)

    def received(self, terminal: str) -> int:
        with self._lock:
            return self.count.get(terminal, 0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.client.disconnect()
        self.client.loop_stop()


def _fill(ledger: Any, n: int) -> None:
    # Setting up is not what is measured: skip the per-commit fsync while queueing.
    ledger.db.execute_sql("PRAGMA synchronous=OFF")
    for i in range(n):
        # A kind without a projector: the drain does not care what the entry says, only
        # about its size, which is that of a small sale.
        ledger.post(
            "bench.sale",
            {
                "sale_id": f"s{i}",
                "total": 350 + i % 100,
                "lines": [{"sku": "A1", "qty_milli": 1000, "unit_price": 350, "net": 350}],
                "tenders": [{"kind": "cash", "amount": 350, "tendered": 500, "change": 150}],
            },
            staff_id="c1",
        )
    ledger.db.execute_sql("PRAGMA synchronous=FULL")


def _raw_loop(port: int, payloads: list[bytes]) -> float:
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw", protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(INFLIGHT)
    pub.max_queued_messages_set(0)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    topic = wire.events_topic("S1", "RAW")
    t0 = time.monotonic()
    # At most 2,000 messages outstanding, like the relay's window (MQTT message ids wrap at
    # 65,535, so paho cannot hold all 100,000 at once anyway).
    outstanding: deque[mqtt.MQTTMessageInfo] = deque()
    for body in payloads:
        outstanding.append(pub.publish(topic, body, qos=1))
        if len(outstanding) >= 2000:
            outstanding.popleft().wait_for_publish(300)
    for info in outstanding:
        info.wait_for_publish(300)
    elapsed = time.monotonic() - t0
    pub.disconnect()
    pub.loop_stop()
    return elapsed


def _drain(port: int, ledger: Any, outbox: Any, terminal: str, per: int) -> tuple[float, int]:
    """Time a relay draining the whole outbox under ``terminal``'s topics, ``per`` events to a
    message, until the acker has acknowledged every event. Returns (seconds, rows left)."""
    cfg = LinkConfig(
        host="127.0.0.1",
        port=port,
        store_id="S1",
        terminal_id=terminal,
        events_per_message=per,
        max_inflight=INFLIGHT,
        window=2000,
        ack_timeout=60.0,
        version="bench",
    )
    relay = Relay(cfg, ledger=ledger, outbox=outbox, clock=SystemClock())
    t0 = time.monotonic()
    relay.start()
    try:
        while outbox.depth() and time.monotonic() - t0 < 600:
            time.sleep(0.02)
        return time.monotonic() - t0, outbox.depth()
    finally:
        relay.stop()


def outbox_drain() -> list[Result]:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        proc, port = start_mosquitto(tmp)
        acker = None
        try:
            clock = SystemClock()
            ledger = open_ledger(tmp / "ledger.sqlite3", "T1", clock)
            try:
                _fill(ledger, EVENTS)
                outbox = ledger.outbox()
                rows = outbox.pending(EVENTS)
                # The raw loop sends the very bytes the relay sends (as "RAW", one per message).
                payloads = [wire.encode_event("RAW", r.seq, r.kind, r.body) for r in rows]
                del rows
                acker = _Acker(port)
                raw_s = _raw_loop(port, payloads)
                del payloads
                # Like for like first: one event per message, as the raw loop sends them.
                single_s, single_left = _drain(port, ledger, outbox, "T1", 1)
                # Then the same journal again under another terminal id (so no ack of the first
                # run can touch the second), in batches.
                outbox.requeue_from(1)
                batched_s, batched_left = _drain(port, ledger, outbox, "T2", EVENTS_PER_MESSAGE)
            finally:
                ledger.close()
            got_single, got_batched = acker.received("T1"), acker.received("T2")
        finally:
            if acker is not None:
                acker.close()
            proc.kill()
            proc.wait()
    raw_rate = EVENTS / raw_s
    results = []
    for name, per, secs, left, got in (
        ("outbox_drain", 1, single_s, single_left, got_single),
        ("outbox_drain_batched", EVENTS_PER_MESSAGE, batched_s, batched_left, got_batched),
    ):
        what = (
            "one per message, like the raw loop"
            if per == 1
            else f"{per} per message (a batch setting), against the one-per-message raw loop"
        )
        result = against_floor(
            name,
            EVENTS / secs,
            "events/s",
            raw_rate,
            max_ratio=0.5,
            higher_is_better=True,
            detail=(
                f"{EVENTS} events acknowledged in {secs:.1f} s ({what}); "
                f"raw QoS 1 loop of the same payloads {raw_s:.1f} s; received {got}, left {left}"
            ),
        )
        if left or got != EVENTS:
            result = Result(**{**result.__dict__, "passed": False})
        results.append(result)
    return results


def catalog_apply_100k() -> Result:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        clock = ManualClock(datetime.now(UTC))
        owner = wire.Signer.generate()
        ledger = open_ledger(tmp / "ledger.sqlite3", "T1", clock)
        try:
            intake = Intake(
                store_id="S1",
                terminal_id="T1",
                ledger=ledger,
                trusted=wire.TrustedKeys([owner.public_key]),
                clock=clock,
                handlers=catalog_handlers(ledger.catalog(), ledger),
            )
            items = [
                Item(
                    sku=f"SKU{n:06d}",
                    name=f"Item {n}",
                    name_zh=f"商品{n}",
                    price=100 + n % 5000,
                    barcodes=(f"690{n:010d}",),
                    stock_milli=10_000,
                    category=f"C{n % 40}",
                )
                for n in range(ITEMS)
            ]
            chunks = wire.catalog_snapshot_chunks(
                items, version=1, tax_classes=[TaxClass("standard", 1300, True, "VAT 13%")]
            )
            messages = [
                wire.sign_command(
                    owner,
                    type="catalog.snapshot",
                    body=c,
                    target=wire.Target("S1", "T1"),
                    seq=i + 1,
                    issued_at=clock.now(),
                )
                for i, c in enumerate(chunks)
            ]
            t0 = time.monotonic()
            replies = [intake.handle(m) for m in messages]
            elapsed = time.monotonic() - t0
            count = ledger.catalog().count()
        finally:
            ledger.close()
    ok = all(r.status == "done" for r in replies) and count == ITEMS
    result = absolute(
        "catalog_apply_100k",
        elapsed,
        "s",
        limit=15.0,
        detail=f"{len(messages)} signed chunks, {count} items in the catalog",
    )
    if not ok:
        return Result(**{**result.__dict__, "passed": False})
    return result


def run() -> list[Result]:
    return [*outbox_drain(), catalog_apply_100k()]
