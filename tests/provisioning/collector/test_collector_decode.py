"""What the collector does with whatever arrives on an event topic: a valid event becomes one
row to store, anything else is counted and kept as rejected, one event at a time. Fuzzed bytes
and fuzzed JSON never raise."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioning.collector.db import CentralDB
from provisioning.collector.events import Event
from provisioning.collector.service import BrokerConfig, Collector
from terminal.link import protocol as wire

TOPIC = wire.events_topic("shop1", "t1")


def make_collector() -> Collector:
    # Never started: only its decoding is exercised; the database is never opened.
    return Collector(CentralDB("sqlite:///:memory:"), BrokerConfig("127.0.0.1", 1))


@pytest.fixture(scope="module")
def shared() -> Collector:
    return make_collector()


def good_entry(seq: int = 1) -> dict[str, Any]:
    return {
        "seq": seq,
        "uuid": "u",
        "ts": "2026-01-05T02:00:00+00:00",
        "terminal_id": "t1",
        "kind": "test.event",
        "staff_id": None,
        "payload": {"n": seq},
        "number": None,
        "series": None,
        "training": False,
        "prev_hash": "0" * 64,
        "hash": "1" * 64,
    }


def test_a_valid_event_decodes() -> None:
    c = make_collector()
    body = wire.canonical_json(good_entry(7))
    (event,), rejected, status = c._decode(TOPIC, wire.encode_event("t1", 7, "test.event", body))
    assert status is None and rejected == [] and isinstance(event, Event)
    assert (event.store_id, event.terminal_id, event.seq, event.payload) == (
        "shop1",
        "t1",
        7,
        {"n": 7},
    )
    assert c.stats.rejected == 0


def test_a_batch_decodes_to_its_events_and_one_bad_event_is_kept_aside() -> None:
    c = make_collector()
    parts = [
        wire.encode_event("t1", s, "test.event", wire.canonical_json(good_entry(s)))
        for s in (1, 2, 3)
    ]
    events, _, _ = c._decode(TOPIC, b"[" + b",".join(parts) + b"]")
    assert [e.seq for e in events] == [1, 2, 3]
    bad = wire.encode_event("t1", 4, "test.event", wire.canonical_json(good_entry(5)))
    events, rejected, _ = c._decode(TOPIC, b"[" + b",".join([*parts, bad]) + b"]")
    assert [e.seq for e in events] == [1, 2, 3]
    ((store, terminal, seq, reason),) = [
        (r.store_id, r.terminal_id, r.seq, r.reason) for r in rejected
    ]
    assert (store, terminal, seq) == ("shop1", "t1", 4) and "entry.seq" in reason
    assert c.stats.rejected == 1


def test_mismatches_are_rejected() -> None:
    c = make_collector()
    cases = [
        (TOPIC, wire.encode_event("t2", 1, "x", wire.canonical_json(good_entry()))),
        (TOPIC, wire.encode_event("t1", 2, "x", wire.canonical_json(good_entry(1)))),
        (
            TOPIC,
            wire.encode_event(
                "t1", 1, "x", wire.canonical_json({**good_entry(), "terminal_id": "t9"})
            ),
        ),
        (TOPIC, wire.encode_event("t1", 1, "x", b"[1, 2]")),
        (
            TOPIC,
            wire.encode_event("t1", 1, "x", wire.canonical_json({**good_entry(), "payload": [1]})),
        ),
        (wire.command_topic("shop1", "t1"), b"{}"),
        ("elsewhere/t1/events", b"{}"),
    ]
    for topic, payload in cases:
        events, rejected, status = c._decode(topic, payload)
        assert events == [] and status is None, payload
        # Kept as rejected when the topic says whose it is; dropped (and counted) otherwise.
        assert len(rejected) == (1 if topic == TOPIC else 0), payload
    assert c.stats.rejected == len(cases)


@settings(max_examples=3000, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_never_raise(shared: Collector, data: bytes) -> None:
    events, rejected, status = shared._decode(TOPIC, data)
    assert events == [] and status is None and len(rejected) == 1


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=1500, deadline=None)
@given(
    obj=st.fixed_dictionaries(
        {},
        optional={
            "v": st.sampled_from([1, 2, "1", None]),
            "terminal": st.sampled_from(["t1", "t2", "", 5]),
            "seq": st.one_of(st.integers(-2, 5), st.text(max_size=3)),
            "kind": st.one_of(st.text(max_size=5), st.integers()),
            "entry": st.one_of(
                _json,
                st.fixed_dictionaries({}, optional={k: _json for k in good_entry()}),
            ),
        },
    )
)
def test_fuzzed_event_shapes_never_raise(shared: Collector, obj: dict[str, Any]) -> None:
    events, rejected, status = shared._decode(TOPIC, json.dumps(obj).encode())
    assert status is None and len(events) + len(rejected) == 1
    for event in events:
        # Whatever got through is consistent with its topic and envelope.
        assert event.terminal_id == "t1" and event.seq == obj["seq"] >= 1
