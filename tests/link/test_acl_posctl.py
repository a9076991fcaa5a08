"""The ACL ``posctl broker`` generates, loaded into a real TLS mosquitto: a terminal publishes
and reads only its own topics, whatever it tries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

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
