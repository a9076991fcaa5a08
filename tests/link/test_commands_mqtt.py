"""Owner commands through a real broker: the relay hands them to the intake and replies on the
MQTT 5 response topic with the correlation data; forged ones get error replies there too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from terminal.core.clock import ManualClock
from terminal.link import protocol as p

from .acking import AckingCollector
from .broker import Broker
from .helpers import wait_until
from .mqtt_client import Requester
from .terminal_side import CLERK_ROLE, TAXES, Owner, TerminalSide, item, relay_for

pytestmark = pytest.mark.link


def test_commands_and_replies_over_mqtt(broker: Broker, tmp_path: Path) -> None:
    owner = Owner(p.Signer.generate(), ManualClock())
    term = TerminalSide(tmp_path, owner.signer, owner.clock, owner)
    relay = relay_for(term, broker.host, broker.port)
    collector = AckingCollector(broker).start()
    relay.start()
    owner_side = Requester(broker)
    try:
        assert relay.connected.wait(10)
        cmd_topic = p.command_topic("S1", "T1")
        reply = owner_side.send(cmd_topic, owner.command("role.set", CLERK_ROLE))
        assert reply.status == "done" and reply.terminal == "T1"
        reply = owner_side.send(
            cmd_topic,
            owner.command("staff.add", {"staff_id": "13800000001", "name": "Li", "role": "clerk"}),
        )
        assert reply.status == "done"
        snapshot = owner.command(
            "catalog.snapshot", p.CatalogSnapshot(1, 0, 1, [item(1)], tax_classes=TAXES)
        )
        # A store-wide command arrives on the store topic.
        reply = owner_side.send(
            p.store_command_topic("S1"),
            owner.command("settings.set", p.SettingsSet({"store_name": "Shop"}), terminal=None),
        )
        assert reply.status == "done"
        assert owner_side.send(cmd_topic, snapshot).status == "done"
        assert term.catalog.by_sku("SKU000001") is not None

        forged = json.loads(owner.command("staff.suspend", p.StaffSuspend("13800000001")))
        forged["body"]["staff_id"] = "13800000001 "
        reply = owner_side.send(cmd_topic, json.dumps(forged).encode())
        assert reply.status == "error" and reply.error.code == "bad_signature"
        reply = owner_side.send(cmd_topic, b"not json")
        assert reply.status == "error" and reply.error.code == "malformed"
        # The same message again: "done", applied once.
        assert owner_side.send(cmd_topic, snapshot).status == "done"
        assert term.staff.directory.member("13800000001").active

        # resend.from: the collector gets the journal again from seq 1 (and acks it again).
        last = term.ledger.last_entry().seq
        wait_until(lambda: collector.store.upto("T1") >= last, 20, "first delivery")
        copies = collector.store.copies
        reply = owner_side.send(cmd_topic, owner.command("resend.from", p.ResendFrom(1)))
        assert reply.status == "done" and reply.result["requeued"] >= last
        wait_until(lambda: collector.store.copies >= copies + last, 20, "resent")
        wait_until(lambda: term.ledger.outbox().depth() == 0, 20, "acked again")
    finally:
        owner_side.close()
        relay.stop()
        collector.stop()
