"""The ACL ``posctl broker`` generates, loaded into a real TLS mosquitto: a terminal publishes
and reads only its own topics, whatever it tries."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from provisioning import broker as brokercfg
from provisioning.collector.db import CentralDB
from provisioning.collector.service import BrokerConfig, Collector
from provisioning.home import OWNER_CN, collector_cn
from terminal.link import protocol as wire

from .test_broker_generated import STORE, StoreEnv, make_store, wait_until

pytestmark = pytest.mark.link


@pytest.fixture
def env(tmp_path: Path) -> Iterator[StoreEnv]:
    e = make_store(tmp_path)
    try:
        yield e
    finally:
        e.close()


def _event(terminal: str, seq: int, marker: str) -> bytes:
    entry = {
        "seq": seq,
        "uuid": f"{terminal}-{seq}-{marker}",
        "ts": "2026-01-05T02:00:00+00:00",
        "terminal_id": terminal,
        "kind": "test.event",
        "staff_id": None,
        "payload": {"marker": marker},
        "number": None,
        "series": None,
        "training": False,
        "prev_hash": "0" * 64,
        "hash": "1" * 64,
    }
    return wire.canonical_json(
        {"v": 1, "terminal": terminal, "seq": seq, "kind": "test.event", "entry": entry}
    )


def _collector(env: StoreEnv, tmp_path: Path, n: int = 1) -> Collector:
    crt, key = env.cert(collector_cn(n))
    cfg = BrokerConfig(env.broker.host, env.broker.port, env.home.ca_cert, crt, key)
    return Collector(CentralDB(str(tmp_path / "central.sqlite3")), cfg).start()


def test_terminal_cannot_publish_under_another_terminals_topics(
    env: StoreEnv, tmp_path: Path
) -> None:
    collector = _collector(env, tmp_path)
    try:
        t1, t2 = env.client("t1"), env.client("t2")
        forged = {
            wire.events_topic(STORE, "t1"): _event("t1", 1, "forged"),
            wire.status_topic(STORE, "t1"): b'{"forged": true}',
            wire.reply_topic(STORE, "t1"): b'{"forged": true}',
            wire.ack_topic(STORE, "t1"): wire.encode_ack(wire.Ack(terminal="t1", upto=99)),
            wire.command_topic(STORE, "t1"): b'{"forged": true}',
            wire.store_command_topic(STORE): b'{"forged": true}',
        }
        for topic, payload in forged.items():
            rc = t2.publish(topic, payload)
            assert rc.is_failure and "authorized" in str(rc).lower(), (topic, str(rc))
        # t1's own event, published after every forgery, is stored; no forgery ever is.
        assert not t1.publish(wire.events_topic(STORE, "t1"), _event("t1", 1, "real")).is_failure
        assert wait_until(lambda: collector.stats.inserted >= 1)
        (stored,) = collector.db.events(STORE, "t1")
        assert stored.payload == {"marker": "real"}
        assert collector.db.event_count() == 1
        assert collector.stats.rejected == 0
    finally:
        collector.stop()


def test_terminal_cannot_read_another_terminals_commands_acks_or_replies(
    env: StoreEnv,
) -> None:
    t1, t2 = env.client("t1"), env.client("t2")
    owner = env.client(OWNER_CN)
    collector = env.client(collector_cn(1))
    for topic in (
        wire.command_topic(STORE, "t1"),
        wire.ack_topic(STORE, "t1"),
        wire.reply_topic(STORE, "t1") + "/#",
        wire.events_topic(STORE, "t1"),
        f"{wire.TOPIC_ROOT}/#",
        "#",
    ):
        t2.subscribe(topic)
    t1.subscribe(wire.command_topic(STORE, "t1"))
    t1.subscribe(wire.ack_topic(STORE, "t1"))
    owner.subscribe(wire.reply_topic(STORE, "t1") + "/#")

    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = wire.reply_topic(STORE, "t1") + "/s1"
    props.CorrelationData = b"c1"
    assert not owner.publish(
        wire.command_topic(STORE, "t1"), b"cmd-for-t1", properties=props
    ).is_failure
    ack = wire.encode_ack(wire.Ack(terminal="t1", upto=5))
    assert not collector.publish(wire.ack_topic(STORE, "t1"), ack).is_failure
    assert not t1.publish(wire.reply_topic(STORE, "t1") + "/s1", b"reply-from-t1").is_failure
    assert not t1.publish(wire.events_topic(STORE, "t1"), _event("t1", 1, "x")).is_failure

    assert t1.wait(lambda: len(t1.messages) >= 2)
    assert sorted(t1.topics()) == sorted(
        [wire.command_topic(STORE, "t1"), wire.ack_topic(STORE, "t1")]
    )
    assert owner.wait(lambda: len(owner.messages) >= 1)
    # A marker message t2 is allowed to get, sent last: once it arrived, anything t2 could have
    # received from the earlier publishes would have arrived before it.
    t2.subscribe(wire.command_topic(STORE, "t2"))
    assert not owner.publish(wire.command_topic(STORE, "t2"), b"marker").is_failure
    assert t2.wait(lambda: len(t2.messages) >= 1)
    # (overlapping subscriptions deliver one copy each)
    assert {(m.topic, m.payload) for m in t2.messages} == {
        (wire.command_topic(STORE, "t2"), b"marker")
    }


def test_collector_and_owner_identities_are_confined_to_their_roles(env: StoreEnv) -> None:
    owner = env.client(OWNER_CN)
    collector = env.client(collector_cn(2))
    # The owner signs commands but never speaks for a terminal or the collector.
    assert owner.publish(wire.events_topic(STORE, "t1"), b"x").is_failure
    assert owner.publish(wire.ack_topic(STORE, "t1"), b"x").is_failure
    # The collector acknowledges but cannot command.
    assert collector.publish(wire.command_topic(STORE, "t1"), b"x").is_failure
    assert collector.publish(wire.store_command_topic(STORE), b"x").is_failure
    assert collector.publish(wire.events_topic(STORE, "t1"), b"x").is_failure
    # Another store's tree on the same broker is closed to this store's terminals.
    t1 = env.client("t1")
    assert t1.publish(wire.events_topic("other", "t1"), _event("t1", 1, "x")).is_failure


def test_a_terminal_can_use_its_whole_own_subtree(env: StoreEnv) -> None:
    t1 = env.client("t1")
    for topic in (
        wire.events_topic(STORE, "t1"),
        wire.status_topic(STORE, "t1"),
        wire.reply_topic(STORE, "t1"),
        wire.reply_topic(STORE, "t1") + "/abc",
    ):
        rc: Any = t1.publish(topic, b"{}")
        assert not rc.is_failure, (topic, str(rc))


# --- the collectors' group, the monitor, size limits, several posctl runs ----------------------


def _store_collector(env: StoreEnv, tmp_path: Path) -> Collector:
    """A collector as ``python -m provisioning.collector --home`` starts it: with the store's
    own group."""
    crt, key = env.cert(collector_cn(1))
    cfg = BrokerConfig(env.broker.host, env.broker.port, env.home.ca_cert, crt, key)
    group = (env.home.identity_dir(collector_cn(1)) / "group").read_text().strip()
    assert group == brokercfg.collector_group(env.home) and len(group) > 30
    db = CentralDB(str(tmp_path / "central.sqlite3"))
    return Collector(db, cfg, group=group).start()


def test_a_terminal_cannot_take_a_share_of_the_collectors_events(
    env: StoreEnv, tmp_path: Path
) -> None:
    collector = _store_collector(env, tmp_path)
    try:
        thief, t2 = env.client("t1"), env.client("t2")
        for topic in (
            wire.shared(wire.EVENTS_FILTER),  # $share/collectors/pos/v1/+/+/events
            wire.shared(wire.EVENTS_FILTER, "svc"),
            wire.EVENTS_FILTER,
        ):
            thief.subscribe(topic)
        for seq in range(1, 11):
            assert not t2.publish(wire.events_topic(STORE, "t2"), _event("t2", seq, "x")).is_failure
        assert wait_until(lambda: collector.stats.inserted >= 10)
        assert [e.seq for e in collector.db.events(STORE, "t2")] == list(range(1, 11))
        # Marker: once t1's own ack arrives, anything the subscriptions got would be in.
        thief.subscribe(wire.ack_topic(STORE, "t1"))
        ack = wire.encode_ack(wire.Ack(terminal="t1", upto=0))
        assert not env.client(collector_cn(2)).publish(wire.ack_topic(STORE, "t1"), ack).is_failure
        assert thief.wait(lambda: len(thief.messages) >= 1)
        assert thief.topics() == [wire.ack_topic(STORE, "t1")]
    finally:
        collector.stop()


def test_the_monitor_reads_events_status_and_replies_and_publishes_nothing(
    env: StoreEnv, tmp_path: Path
) -> None:
    collector = _store_collector(env, tmp_path)
    try:
        monitor, t1 = env.client(brokercfg.MONITOR_CN), env.client("t1")
        for f in (
            wire.EVENTS_FILTER,
            wire.STATUS_FILTER,
            wire.reply_topic(STORE, "T0").replace("/T0/", "/+/") + "/#",
        ):
            monitor.subscribe(f)
        assert not t1.publish(wire.events_topic(STORE, "t1"), _event("t1", 1, "x")).is_failure
        assert not t1.publish(wire.status_topic(STORE, "t1"), b'{"s": 1}').is_failure
        assert not t1.publish(wire.reply_topic(STORE, "t1") + "/s1", b"reply").is_failure
        assert monitor.wait(lambda: len(monitor.messages) >= 3)
        assert sorted(monitor.topics()) == sorted(
            [
                wire.events_topic(STORE, "t1"),
                wire.status_topic(STORE, "t1"),
                wire.reply_topic(STORE, "t1") + "/s1",
            ]
        )
        # Reading is a copy: the collector still stores the event.
        assert wait_until(lambda: collector.stats.inserted == 1)
        own = f"{wire.TOPIC_ROOT}/{STORE}/{brokercfg.MONITOR_CN}"
        for topic in (
            wire.command_topic(STORE, "t1"),
            wire.store_command_topic(STORE),
            wire.ack_topic(STORE, "t1"),
            wire.events_topic(STORE, "t1"),
            wire.status_topic(STORE, "t1"),
            wire.reply_topic(STORE, "t1") + "/s1",
            f"{own}/events",
            f"{own}/reply",
            f"{own}/status",
        ):
            rc = monitor.publish(topic, b'{"x": 1}')
            assert rc.is_failure and "authorized" in str(rc).lower(), (topic, str(rc))
    finally:
        collector.stop()


def test_a_message_over_the_size_limit_is_refused(env: StoreEnv, tmp_path: Path) -> None:
    collector = _store_collector(env, tmp_path)
    # MQTT 3.1.1: the broker completes the QoS 1 flow and drops the message. (An MQTT 5 client
    # is told "packet too large" in the PUBACK, a reason code paho cannot parse.)
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="t1", protocol=mqtt.MQTTv311)
    c.tls_set_context(env.tls("t1"))
    c.connect(env.broker.host, env.broker.port)
    c.loop_start()
    try:
        topic = wire.events_topic(STORE, "t1")
        limit = brokercfg.MESSAGE_SIZE_LIMIT
        for payload in (b"x" * (limit + 1), b"y" * limit, _event("t1", 1, "x")):
            c.publish(topic, payload, qos=1).wait_for_publish(20)
        assert wait_until(lambda: collector.stats.inserted == 1)
        # In order from one client: the message at the limit arrived (and was refused by the
        # collector as unreadable), the one over it never did.
        assert collector.stats.received == 2
        (rejected,) = collector.db.rejected()
        assert "unreadable" in rejected["reason"]
    finally:
        c.disconnect()
        c.loop_stop()
        collector.stop()


def test_two_posctl_runs_at_once_keep_their_own_sessions(env: StoreEnv) -> None:
    from provisioning.remote import Remote

    with Remote(env.home) as r1, Remote(env.home) as r2:
        assert {r1._slot and r1._slot.cn, r2._slot and r2._slot.cn} == {
            OWNER_CN,
            brokercfg.owner_cn(2),
        }
        r1.listen("t1")
        r2.listen("t1")
        r1.listen("t2")
        time.sleep(0.5)
    assert "already connected" not in env.broker.log_tail(200)
    # What the test watches for: two clients under one CN take each other's session.
    env.client(OWNER_CN)
    env.client(OWNER_CN)
    assert wait_until(lambda: "already connected" in env.broker.log_tail(200), timeout=5)
