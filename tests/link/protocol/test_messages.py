"""Events (single and batched), acks, status and replies: the round trip of every message
kind, and what an event message refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from terminal.config import parse_config
from terminal.link import protocol as p
from terminal.link.relay import DEFAULT_EVENTS_PER_MESSAGE, LinkConfig

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def test_event_single_and_batch() -> None:
    one = p.encode_event("T1", 7, "sale.completed", b'{"seq":7,"x":[1,2]}')
    assert p.decode_event(one) == p.Event("T1", 7, "sale.completed", {"seq": 7, "x": [1, 2]})
    batch = p.encode_event_batch([p.encode_event("T1", s, "k", b"{}") for s in (8, 9, 10)])
    assert [e.seq for e in p.decode_events(batch)] == [8, 9, 10]
    assert [e.seq for e in p.decode_events(one)] == [7]
    mixed = p.encode_event_batch(
        [p.encode_event("T1", 1, "k", b"{}"), p.encode_event("T2", 2, "k", b"{}")]
    )
    with pytest.raises(p.ValidationError):
        p.decode_events(mixed)
    for bad in (b"[]", b'{"v":1,"terminal":"T1","seq":0,"kind":"k","entry":{}}', b'[{"v":1}]'):
        with pytest.raises(p.ValidationError):
            p.decode_events(bad)


def test_ack_status_reply_round_trip() -> None:
    ack = p.Ack("T1", upto=5, seqs=[7], resend_from=3)
    assert p.decode_ack(p.encode_ack(ack)) == ack
    status = p.Status(
        terminal="T1",
        store="S1",
        state="online",
        version="1",
        ts="2026-11-28T08:00:00Z",
        last_seq=9,
        acked_seq=5,
        outbox_depth=4,
        health={"printer": "ok"},
    )
    assert p.decode_status(p.encode_status(status)) == status
    reply = p.Reply.failed("id", "T1", p.RejectCode.EXPIRED, "too late", "expires_at")
    assert p.decode_reply(p.encode_reply(reply)) == reply
    with pytest.raises(p.ValidationError):
        p.decode_ack(b'{"terminal":"T1","upto":-1}')
    with pytest.raises(p.ValidationError):
        p.decode_status(b'{"terminal":"T1","store":"S1","state":"asleep","version":"","ts":""}')
    with pytest.raises(p.ValidationError):
        p.decode_reply(b'{"id":null,"terminal":"T1","status":"error"}')


@pytest.mark.parametrize(
    "entry",
    [
        b'{"seq":1,"payload":{"total":1.5}}',
        b'{"seq":1,"payload":{"lines":[{"qty":1e3}]}}',
        b'{"seq":1,"payload":{"x":NaN}}',
        b'{"seq":1,"payload":{"x":Infinity}}',
        b'{"seq":1,"payload":{"x":1,"x":2}}',
    ],
)
def test_events_refuse_floats_constants_and_repeated_keys_anywhere(entry: bytes) -> None:
    # The entry is not walked again after parsing, so the parser itself must refuse these.
    one = p.encode_event("T1", 1, "k", entry)
    for message in (one, p.encode_event_batch([p.encode_event("T1", 2, "k", b"{}"), one])):
        with pytest.raises(p.ValidationError):
            p.decode_events(message)
    with pytest.raises(p.ValidationError):
        p.decode_event(one)


def test_terminals_batch_by_default_and_the_config_agrees() -> None:
    section = parse_config('[link]\nstore = "S1"\n', None).link.as_dict()
    cfg = LinkConfig.from_section(section, terminal_id="T1")
    assert cfg.events_per_message == DEFAULT_EVENTS_PER_MESSAGE > 1
    assert LinkConfig("h", 1, "S1", "T1").events_per_message == DEFAULT_EVENTS_PER_MESSAGE
