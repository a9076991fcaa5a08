"""The outbox relay against a real mosquitto and an acking collector: order, acknowledgement,
and no loss or invention across broker, collector and terminal restarts."""

from __future__ import annotations

import json

import pytest

from terminal.link import protocol as p

from .acking import AckingCollector, Store
from .broker import Broker
from .helpers import fill, make_relay, wait_until

pytestmark = pytest.mark.link


def _journal_bodies(ledger) -> dict[int, dict]:
    out = {}
    after = 0
    while batch := ledger.entries(after_seq=after, limit=5000):
        for e in batch:
            out[e.seq] = e
        after = batch[-1].seq
    return out


def _check_exactly_once(ledger, store: Store, terminal: str = "T1") -> None:
    journal = _journal_bodies(ledger)
    assert store.seqs(terminal) == sorted(journal), "stored set differs from the journal"
    for seq, entry in journal.items():
        got = store.events[(terminal, seq)]
        assert got["hash"] == entry.hash and got["seq"] == seq and got["kind"] == entry.kind
    assert ledger.outbox().depth() == 0
    assert store.mismatches == 0


def test_drains_in_order_and_empties_the_outbox(broker: Broker, ledger) -> None:
    fill(ledger, 2000)
    collector = AckingCollector(broker).start()
    # A long ack timeout: with no faults nothing may be sent twice, however busy the machine.
    relay = make_relay(broker, ledger, window=100, ack_timeout=120)
    relay.start()
    try:
        assert collector.wait_for("T1", 2000, timeout=60)
        wait_until(lambda: ledger.outbox().depth() == 0, 10, "outbox empty")
    finally:
        relay.stop()
        collector.stop()
    assert collector.store.arrivals == [("T1", s) for s in range(1, 2001)]
    _check_exactly_once(ledger, collector.store)
    assert relay.stats.resent == 0


def test_window_bounds_unacknowledged_events(broker: Broker, ledger) -> None:
    fill(ledger, 500)
    collector = AckingCollector(broker, ack=False).start()
    relay = make_relay(broker, ledger, window=50, ack_timeout=60)
    relay.start()
    try:
        wait_until(lambda: collector.store.upto("T1") >= 50, 20, "first window")
        # Without acks the relay must stop at the window and keep every row.
        wait_until(lambda: relay.stats.published >= 50, 5)
        assert relay.stats.published == 50
        assert len(collector.store.events) == 50
        assert ledger.outbox().depth() == 500
        collector.ack = True
        collector.flush()
        assert collector.wait_for("T1", 500, timeout=30)
        wait_until(lambda: ledger.outbox().depth() == 0, 10, "outbox empty")
    finally:
        relay.stop()
        collector.stop()
    _check_exactly_once(ledger, collector.store)


@pytest.mark.parametrize("per_message", [1, 25])
def test_broker_killed_mid_drain_loses_and_doubles_nothing(
    broker: Broker, ledger, per_message: int
) -> None:
    fill(ledger, 3000)
    collector = AckingCollector(broker).start()
    relay = make_relay(broker, ledger, window=300, ack_timeout=1.5, events_per_message=per_message)
    relay.start()
    try:
        wait_until(lambda: collector.store.upto("T1") >= 500, 30, "a first part")
        broker.kill()
        # The terminal keeps selling while the broker is down.
        fill(ledger, 500)
        relay.wake()
        broker.start()
        wait_until(lambda: collector.store.upto("T1") >= 1500, 30, "drain after restart")
        broker.kill()
        broker.start()
        assert collector.wait_for("T1", 3500, timeout=60)
        wait_until(lambda: ledger.outbox().depth() == 0, 20, "outbox empty")
    finally:
        relay.stop()
        collector.stop()
    _check_exactly_once(ledger, collector.store)
    assert relay.stats.connects >= 3


def test_batches_stay_under_the_collectors_size_limit(broker: Broker, ledger) -> None:
    # 45 entries of ~400 KB: 50 to a message would be an 18 MB batch, which the collector
    # refuses whole on every resend; the relay closes batches early instead.
    ledger.db.execute_sql("PRAGMA synchronous=OFF")
    for i in range(45):
        ledger.post("test.big", {"n": i, "blob": "x" * 400_000}, staff_id=None)
    ledger.db.execute_sql("PRAGMA synchronous=FULL")
    collector = AckingCollector(broker).start()
    relay = make_relay(broker, ledger, window=100, ack_timeout=60, events_per_message=50)
    relay.start()
    try:
        assert collector.wait_for("T1", 45, timeout=60)
        wait_until(lambda: ledger.outbox().depth() == 0, 10, "outbox empty")
    finally:
        relay.stop()
        collector.stop()
    _check_exactly_once(ledger, collector.store)
    assert relay.stats.resent == 0


def test_collector_restart_mid_drain(broker: Broker, ledger) -> None:
    fill(ledger, 2000)
    store = Store()
    collector = AckingCollector(broker, store).start()
    relay = make_relay(broker, ledger, window=200, ack_timeout=1.0)
    relay.start()
    try:
        wait_until(lambda: store.upto("T1") >= 300, 30, "a first part")
        collector.stop()
        fill(ledger, 100)
        relay.wake()
        collector = AckingCollector(broker, store).start()
        assert collector.wait_for("T1", 2100, timeout=60)
        wait_until(lambda: ledger.outbox().depth() == 0, 20, "outbox empty")
    finally:
        relay.stop()
        collector.stop()
    _check_exactly_once(ledger, store)


def test_status_is_retained_online_then_offline_on_clean_stop(broker: Broker, ledger) -> None:
    from .mqtt_client import retained

    fill(ledger, 10)
    relay = make_relay(broker, ledger, health=lambda: {"printer": "ok", "drawer": "unknown"})
    relay.start()
    try:
        assert relay.connected.wait(10)
        wait_until(
            lambda: (
                (s := retained(broker, p.status_topic("S1", "T1"))) is not None
                and s.state == "online"
            ),
            10,
            "online status",
        )
        status = retained(broker, p.status_topic("S1", "T1"))
        assert status.version == "test-1" and status.last_seq == 10
        assert status.outbox_depth == 10
        assert status.health == {"printer": "ok", "drawer": "unknown"}
    finally:
        relay.stop()
    status = retained(broker, p.status_topic("S1", "T1"))
    assert status.state == "offline" and status.reason == "shutdown"


def test_ack_for_another_terminal_or_garbage_changes_nothing(broker: Broker, ledger) -> None:
    from .mqtt_client import publish

    fill(ledger, 20)
    # The window is full once 20 are out, so later rows stay unsent until acks make room.
    relay = make_relay(broker, ledger, ack_timeout=60, window=20)
    relay.start()
    try:
        wait_until(lambda: relay.stats.published == 20, 10, "published")
        topic = p.ack_topic("S1", "T1")
        fill(ledger, 5)
        relay.wake()
        publish(broker, topic, p.encode_ack(p.Ack(terminal="T2", upto=20)))
        publish(broker, topic, b"\x00garbage")
        publish(broker, topic, json.dumps({"terminal": "T1", "upto": -1}).encode())
        # Acks naming events this run has not sent (21-25 wait for room) are ignored.
        publish(broker, topic, p.encode_ack(p.Ack(terminal="T1", upto=0, seqs=[23, 24])))
        wait_until(lambda: relay.stats.ack_errors >= 3, 10, "acks seen")
        publish(broker, topic, p.encode_ack(p.Ack(terminal="T1", upto=1)))
        wait_until(lambda: ledger.outbox().depth() == 24, 10, "first ack")
        assert [r.seq for r in ledger.outbox().pending(100)] == list(range(2, 26))
        publish(broker, topic, p.encode_ack(p.Ack(terminal="T1", upto=5, seqs=[7, 9])))
        wait_until(lambda: ledger.outbox().depth() == 18, 10, "partial ack")
        # Acknowledging the same again is idempotent.
        publish(broker, topic, p.encode_ack(p.Ack(terminal="T1", upto=5, seqs=[7, 9])))
        publish(broker, topic, p.encode_ack(p.Ack(terminal="T1", upto=3)))
        publish(broker, topic, p.encode_ack(p.Ack(terminal="T1", upto=6)))
        wait_until(lambda: ledger.outbox().depth() == 17, 10, "last ack")
        assert [r.seq for r in ledger.outbox().pending(100)] == [8, *range(10, 26)]
    finally:
        relay.stop()
