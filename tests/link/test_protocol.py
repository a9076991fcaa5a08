"""The wire format: topics, strict JSON, schemas with field-naming errors, signatures, and the
round trip of every message kind."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from terminal.config import parse_config
from terminal.link import protocol as p
from terminal.link.relay import DEFAULT_EVENTS_PER_MESSAGE, LinkConfig

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def test_topic_tree() -> None:
    assert p.events_topic("S1", "T1") == "pos/v1/S1/T1/events"
    assert p.status_topic("S1", "T1") == "pos/v1/S1/T1/status"
    assert p.command_topic("S1", "T1") == "pos/v1/S1/T1/cmd"
    assert p.store_command_topic("S1") == "pos/v1/S1/store/cmd"
    assert p.reply_topic("S1", "T1") == "pos/v1/S1/T1/reply"
    assert p.ack_topic("S1", "T1") == "pos/v1/S1/collector/acks/T1"
    assert p.shared(p.EVENTS_FILTER) == "$share/collectors/pos/v1/+/+/events"
    assert p.parse_topic("pos/v1/S1/T1/events") == p.TopicInfo("S1", "T1", "events")
    assert p.parse_topic("pos/v1/S1/store/cmd") == p.TopicInfo("S1", None, "store_cmd")
    assert p.parse_topic("pos/v1/S1/collector/acks/T1") == p.TopicInfo("S1", "T1", "ack")
    assert p.parse_topic("pos/v1/S1/T1/reply/x/y") == p.TopicInfo("S1", "T1", "reply")
    for bad in ("pos/v2/S1/T1/events", "pos/v1/S1/T1/other", "pos/v1/S+/T1/events", "x"):
        with pytest.raises(p.ValidationError):
            p.parse_topic(bad)


@pytest.mark.parametrize("bad", ["", "a/b", "a+b", "#", "x" * 65, "collector", "store", 5, None])
def test_ids_refuse_topic_breakers(bad: object) -> None:
    with pytest.raises(p.ValidationError):
        p.check_id(bad)
    with pytest.raises(p.ValidationError):
        p.events_topic("S1", bad)  # type: ignore[arg-type]


def test_canonical_json() -> None:
    assert (
        p.canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()
    )
    with pytest.raises(p.ValidationError) as err:
        p.canonical_json({"a": [1, 2.5]})
    assert err.value.field == "$.a[1]"
    with pytest.raises(p.ValidationError):
        p.canonical_json({1: "x"})


def test_strict_loads() -> None:
    assert p.loads(b'{"a":1}', max_bytes=100) == {"a": 1}
    for bad in (b'{"a":1,"a":2}', b'{"a":NaN}', b'{"a":Infinity}', b'{"a":1.5}', b"\xc3", b"{"):
        with pytest.raises(p.ValidationError):
            p.loads(bad, max_bytes=100)
    with pytest.raises(p.ValidationError, match="limit"):
        p.loads(b"[" + b"1," * 100 + b"1]", max_bytes=100)
    assert p.loads(b'{"a":1.5}', max_bytes=100, allow_floats=True) == {"a": 1.5}


def test_schema_errors_name_the_field() -> None:
    good = {"version": 1, "chunk": 0, "chunks": 1, "items": [{"sku": "A", "name": "a", "price": 1}]}
    assert p.from_json(p.CatalogSnapshot, good, "body").items[0].sku == "A"
    cases = [
        ({**good, "items": [{"sku": "A", "name": "a", "price": True}]}, "body.items[0].price"),
        ({**good, "items": [{"sku": "A", "name": "a", "price": -1}]}, "body.items[0].price"),
        ({**good, "items": [{"sku": "A", "name": "a"}]}, "body.items[0].price"),
        ({**good, "items": [{"sku": "A", "name": "a", "price": 1, "x": 1}]}, "body.items[0].x"),
        (
            {**good, "items": [{"sku": "A", "name": "a", "price": 1, "unit": "g"}]},
            "body.items[0].unit",
        ),
        ({**good, "chunk": 1}, "body.chunk"),
        ({**good, "items": {}}, "body.items"),
        ({**good, "version": None}, "body.version"),
        (
            {**good, "items": [{"sku": "A", "name": "a", "price": 1}] * 2},
            "body.items[1].sku",
        ),
    ]
    for value, field in cases:
        with pytest.raises(p.ValidationError) as err:
            p.from_json(p.CatalogSnapshot, value, "body")
        assert err.value.field == field, (value, err.value)


def test_every_command_type_has_a_body_schema() -> None:
    assert set(p.BODY_TYPES) == {
        "staff.add",
        "staff.update",
        "staff.suspend",
        "staff.snapshot",
        "card.assign",
        "card.revoke",
        "pin.reset",
        "role.set",
        "catalog.snapshot",
        "catalog.delta",
        "settings.set",
        "alerts.set",
        "resend.from",
        "report.request",
        "badge.print",
    }


def test_sign_parse_verify_round_trip() -> None:
    owner = p.Signer.generate()
    trusted = p.TrustedKeys([p.public_key_text(owner.public_key)])
    raw = p.sign_command(
        owner,
        type="alerts.set",
        body=p.AlertsSet([p.AlertRule("r1", "sale.total_over", 100_000)]),
        target=p.Target("S1", "T1"),
        seq=3,
        issued_at=T0,
        ttl=timedelta(hours=2),
    )
    cmd = p.parse_command(raw)
    cmd.verify(trusted)
    assert cmd.body.rules[0].threshold == 100_000
    assert (cmd.seq, cmd.target.scope, cmd.expires_at) == (
        3,
        "terminal:S1/T1",
        T0 + timedelta(hours=2),
    )
    # Key order and whitespace on the wire do not matter; values do.
    respelled = json.dumps(json.loads(raw), indent=2, sort_keys=False).encode()
    p.parse_command(respelled).verify(trusted)
    with pytest.raises(p.CommandRejected) as err:
        p.parse_command(raw).verify(p.TrustedKeys([p.Signer.generate().public_key]))
    assert err.value.code is p.RejectCode.UNKNOWN_SIGNER
    # The body is checked at signing time too.
    with pytest.raises(p.ValidationError):
        p.sign_command(
            owner, type="resend.from", body={"seq": 0}, target=p.Target("S1"), seq=1, issued_at=T0
        )


def test_keys_load_in_every_documented_form() -> None:
    owner = p.Signer.generate()
    pub = owner.public_key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for text in (p.public_key_text(pub), base64.b64encode(raw).decode(), pem.decode()):
        assert p.key_id(p.load_public_key(text)) == owner.key_id
    assert p.Signer.from_pem(owner.private_pem()).key_id == owner.key_id
    assert p.Signer.from_pem(owner.private_pem(b"pw"), b"pw").key_id == owner.key_id
    for bad in ("ed25519:AAAA", "not base64!", ""):
        with pytest.raises(ValueError):
            p.load_public_key(bad)


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


def test_snapshot_chunks_cover_the_catalog() -> None:
    items = [p.ItemBody(f"S{n}", f"n{n}", n) for n in range(4500)]
    chunks = p.catalog_snapshot_chunks(items, 2, quick_keys=["S1"], chunk_items=2000)
    assert [len(c.items) for c in chunks] == [2000, 2000, 500]
    assert {c.chunks for c in chunks} == {3} and chunks[0].quick_keys == ["S1"]
    assert chunks[1].quick_keys is None
    assert len(p.catalog_snapshot_chunks([], 1)) == 1


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
