"""collector_ingest: events per second one collector stores on SQLite.

Four terminals' events (20,000 in all) wait at a local mosquitto in the collector's persistent
shared-subscription session; the clock runs from the collector's start until the last event is
committed in the central database (decoding, checking, storing, projecting, acknowledging).
The events form each terminal's real hash chain, so the collector's chain check passes as it
does for a healthy terminal. Target: at least 5,000 events per second.

collector_ingest sends one event per message (the most work per event for the collector);
collector_ingest_batched sends the same events in batches of the terminals' default
``events_per_message``, what a backlog after an outage looks like.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.broker import start_mosquitto
from bench.record import Result
from provisioning.collector.db import CentralDB
from provisioning.collector.service import BrokerConfig, Collector
from terminal.core.canonical import entry_hash
from terminal.core.records import JournalEntry
from terminal.ledger.journal import GENESIS, entry_body
from terminal.link import protocol as wire
from terminal.link.relay import DEFAULT_EVENTS_PER_MESSAGE

EVENTS = 20_000
TERMINALS = 4
TARGET = 5_000.0


def _event(terminal: str, seq: int, prev_hash: str) -> tuple[str, bytes]:
    payload = {
        "sale_id": f"{terminal}-{seq}",
        "staff_id": "c1",
        "currency": "CNY",
        "completed_at": "2026-01-05T02:00:00+00:00",
        "lines": [
            {
                "line_no": 1,
                "sku": "A1",
                "name": "Tea",
                "qty_milli": 1000,
                "unit_price": 350,
                "gross": 350,
                "discount": 0,
                "net": 350,
                "tax": 40,
            }
        ],
        "tenders": [{"kind": "cash", "amount": 350, "tendered": 500, "change": 150}],
        "subtotal": 350,
        "discount_total": 0,
        "tax_total": 40,
        "total": 350,
    }
    entry = JournalEntry(
        seq=seq,
        uuid=f"{terminal}-{seq}",
        ts="2026-01-05T02:00:00+00:00",
        terminal_id=terminal,
        kind="sale.completed",
        staff_id="c1",
        payload=payload,
        number=seq,
        series="receipt",
        training=False,
        prev_hash=prev_hash,
        hash="",
    )
    # A real chain, as a terminal's ledger writes it: the collector checks every hash and link,
    # and a mismatch is an alert, not the path a healthy store takes.
    entry = dataclasses.replace(entry, hash=entry_hash(entry))
    return entry.hash, wire.encode_event(terminal, seq, "sale.completed", entry_body(entry))


def _publish_all(port: int, per: int) -> None:
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pub", protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    infos = []
    for t in range(TERMINALS):
        terminal = f"T{t}"
        topic = wire.events_topic("S1", terminal)
        prev = GENESIS
        bodies = []
        for seq in range(1, EVENTS // TERMINALS + 1):
            prev, body = _event(terminal, seq, prev)
            bodies.append(body)
        for i in range(0, len(bodies), per):
            group = bodies[i : i + per]
            payload = group[0] if per == 1 else wire.encode_event_batch(group)
            infos.append(pub.publish(topic, payload, qos=1))
    for info in infos:
        info.wait_for_publish(60)
    pub.disconnect()
    pub.loop_stop()


def _ingest(per: int) -> tuple[float, int, int]:
    """Seconds until every event is committed, events stored, chain alerts raised."""
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        proc, port = start_mosquitto(tmp)
        try:
            url = str(tmp / "central.sqlite3")
            cfg = BrokerConfig("127.0.0.1", port, client_id="bench-collector")
            # A first start creates the session whose shared subscription holds the events.
            Collector(CentralDB(url), cfg, session_expiry=3600).start().stop()
            _publish_all(port, per)
            t0 = time.monotonic()
            collector = Collector(CentralDB(url), cfg, session_expiry=3600).start()
            probe = CentralDB(url)
            try:
                # The collector counts an event as inserted once its transaction has committed;
                # counting rows in the database every few milliseconds instead would charge the
                # probe's own table scans to the collector. The database confirms the figure.
                while collector.stats.inserted < EVENTS and time.monotonic() - t0 < 300:
                    time.sleep(0.005)
                elapsed = time.monotonic() - t0
                stored = probe.event_count()
                alerts = probe.m.Alert.select().count()
            finally:
                probe.close()
                collector.stop()
        finally:
            proc.kill()
            proc.wait()
    return elapsed, stored, alerts


def run() -> list[Result]:
    results = []
    # collector_ingest is what a collector takes from terminals as they ship (batches of the
    # relay's default size); the unbatched figure is a terminal configured with
    # events_per_message = 1, where paho's per-message cost dominates.
    for name, per, what in (
        (
            "collector_ingest",
            DEFAULT_EVENTS_PER_MESSAGE,
            f"{DEFAULT_EVENTS_PER_MESSAGE} per message, the terminals' default batch",
        ),
        ("collector_ingest_unbatched", 1, "one per message"),
    ):
        elapsed, stored, alerts = _ingest(per)
        rate = stored / elapsed
        results.append(
            Result(
                name=name,
                value=round(rate),
                unit="events/s",
                floor=None,
                ratio=None,
                target=f">= {TARGET:.0f} events/s",
                passed=stored == EVENTS and alerts == 0 and rate >= TARGET,
                detail=(
                    f"{stored} sale events ({what}, hash-chained) from {TERMINALS} "
                    f"terminals in {elapsed:.2f} s, SQLite; {alerts} chain alerts"
                ),
            )
        )
    return results
