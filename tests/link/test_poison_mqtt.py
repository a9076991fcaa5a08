"""The four messages that used to take a till offline, through a real mosquitto on the
terminal's command topic: each gets an error reply, the link stays connected, and a valid
command sent after them is applied. And the relay's watchdog: an error inside its loop, or a
command whose reply cannot be sent, never leaves the link down."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from terminal.core.clock import ManualClock
from terminal.link import protocol as p
from terminal.link.relay import Relay

from .acking import AckingCollector
from .broker import Broker
from .helpers import wait_until
from .mqtt_client import Requester
from .terminal_side import Owner, TerminalSide, relay_for

pytestmark = pytest.mark.link


@dataclass
class Link:
    owner: Owner
    term: TerminalSide
    relay: Relay
    requester: Requester

    def send(self, payload: bytes) -> p.Reply:
        return self.requester.send(p.command_topic("S1", "T1"), payload)


@pytest.fixture
def link(broker: Broker, tmp_path: Path) -> Iterator[Link]:
    owner = Owner(p.Signer.generate(), ManualClock())
    term = TerminalSide(tmp_path, owner.signer, owner.clock, owner)
    relay = relay_for(term, broker.host, broker.port, backoff_max=0.3, tick=0.01)
    collector = AckingCollector(broker).start()
    relay.start()
    requester = Requester(broker)
    try:
        assert relay.connected.wait(10)
        yield Link(owner, term, relay, requester)
    finally:
        requester.close()
        relay.stop()
        collector.stop()


def _sign_raw(owner: Owner, obj: dict[str, Any]) -> bytes:
    """Signed as the owner's key signs anything, with no check of the body (a bug in an owner
    tool, or a stolen key)."""
    unsigned = {k: v for k, v in obj.items() if k != "sig"}
    sig = owner.signer.sign(p.dumps_canonical(unsigned))
    return p.dumps_canonical({**unsigned, "sig": base64.b64encode(sig).decode()})


def _poison(owner: Owner) -> list[tuple[str, bytes]]:
    valid = owner.command("settings.set", p.SettingsSet({"store_name": "Poisoned"}))
    text = valid.decode()
    base = json.loads(valid)
    seq = f'"seq":{base["seq"]}'
    assert seq in text
    report = json.loads(owner.command("report.request", p.ReportRequest("x")))
    report["body"] = {
        "report": "range",
        "since": "0001-01-01T00:00:00+05:00",
        "until": "2026-01-01T00:00:00Z",
    }
    return [
        (
            "year 1 issued_at",
            json.dumps({**base, "issued_at": "0001-01-01T00:00:00+05:00"}).encode(),
        ),
        ("5,000-digit seq", text.replace(seq, '"seq":' + "7" * 5000).encode()),
        ("lone surrogate", text.replace('"Poisoned"', '"\\ud800"').encode()),
        ("signed report since year 1", _sign_raw(owner, report)),
    ]


def test_poison_messages_get_replies_and_the_link_stays_up(link: Link) -> None:
    connects = link.relay.stats.connects
    for what, payload in _poison(link.owner):
        reply = link.send(payload)
        assert reply.status == "error", what
        assert reply.error is not None and reply.error.code == "malformed", (what, reply)
        assert link.relay.connected.is_set(), what
    assert link.relay.stats.connects == connects  # never even dropped the connection
    assert link.relay.stats.restarts == 0 and link.term.intake.stats["crashes"] == 0
    assert len(link.term.rejections()) == 4
    reply = link.send(link.owner.command("settings.set", p.SettingsSet({"store_name": "Shop"})))
    assert reply.status == "done"
    applied = link.term.ledger.entries_of_kind("settings.applied")
    assert [e.payload["values"] for e in applied] == [{"store_name": "Shop"}]


def test_the_watchdog_reconnects_after_an_error_in_the_loop(
    link: Link, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = link.relay._outbox
    real = outbox.pending
    failures = []

    def pending_once(*args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append(1)
            raise RuntimeError("the disk went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(outbox, "pending", pending_once)
    connects = link.relay.stats.connects
    link.relay.wake()
    wait_until(lambda: link.relay.stats.restarts == 1, 10, "loop error")
    wait_until(lambda: link.relay.stats.connects > connects, 10, "reconnected")
    assert link.relay.connected.wait(10)
    reply = link.send(link.owner.command("settings.set", p.SettingsSet({"store_name": "Back"})))
    assert reply.status == "done"
    # The events written meanwhile still reach the collector.
    wait_until(lambda: link.term.ledger.outbox().depth() == 0, 20, "outbox drained")


def test_a_command_whose_reply_cannot_be_sent_is_counted_and_the_link_stays_up(
    link: Link, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = p.encode_reply
    calls = []

    def encode_once(reply: p.Reply) -> bytes:
        if not calls:
            calls.append(1)
            raise ValueError("cannot encode")
        return real(reply)

    monkeypatch.setattr(p, "encode_reply", encode_once)
    link.requester.client.publish(p.command_topic("S1", "T1"), b"{}", qos=1)
    wait_until(lambda: link.relay.stats.dropped_commands == 1, 10, "dropped")
    assert link.relay.connected.is_set() and link.relay.stats.restarts == 0
    reply = link.send(link.owner.command("settings.set", p.SettingsSet({"store_name": "Ok"})))
    assert reply.status == "done"


def test_fuzzed_commands_over_mqtt_are_all_answered_and_the_link_stays_up(link: Link) -> None:
    import random

    from .test_intake_fuzz import _bases, _mutate_bytes, _mutate_json, _sign_raw

    bases = _bases(link.owner)
    for raw in bases:
        assert link.send(raw).status == "done"
    rng = random.Random(20261205)
    connects = link.relay.stats.connects
    for i in range(60):
        seed = rng.choice(bases)
        if i % 2:
            payload = _mutate_bytes(rng, seed)
        else:
            obj = _mutate_json(rng, json.loads(seed))
            if isinstance(obj, dict):
                link.owner.seq += 1
                obj = {**obj, "id": f"00000000-0000-4000-8000-{i:012d}", "seq": link.owner.seq}
                payload = _sign_raw(link.owner, obj)
            else:
                payload = json.dumps(obj).encode()
        link.send(payload)  # every one answered (send asserts a reply)
    assert link.relay.connected.is_set() and link.relay.stats.connects == connects
    assert link.relay.stats.restarts == 0 and link.relay.stats.dropped_commands == 0
    assert link.term.intake.stats["crashes"] == 0
