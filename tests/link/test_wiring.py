"""``build_link`` as the composition root uses it: config section in, a relay that takes signed
commands and reports every committed entry without being told."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.core.clock import SystemClock
from terminal.core.pins import ScryptParams
from terminal.ledger.db import open_ledger
from terminal.ledger.staff_store import open_staff
from terminal.link import protocol as p
from terminal.link.wiring import build_link

from .acking import AckingCollector
from .broker import Broker
from .helpers import wait_until
from .mqtt_client import Requester
from .terminal_side import CLERK_ROLE, Owner

pytestmark = pytest.mark.link


def test_build_link_end_to_end(broker: Broker, tmp_path: Path) -> None:
    clock = SystemClock()
    owner = Owner(p.Signer.generate(), clock)  # type: ignore[arg-type]
    ledger = open_ledger(tmp_path / "ledger.sqlite3", "T1", clock)
    staff = open_staff(ledger, clock, tmp_path / "card.key", scrypt=ScryptParams(n=2**8))
    section = {
        "enabled": True,
        "host": broker.host,
        "port": broker.port,
        "ca": "",
        "cert": "",
        "key": "",
        "store": "S1",
        "owner_keys": [p.public_key_text(owner.signer.public_key)],
        "ack_timeout": 2.0,
        "events_per_message": 10,
    }
    relay = build_link(
        section,
        terminal_id="T1",
        ledger=ledger,
        clock=clock,
        staff=staff.staff,
        health=lambda: {"printer": "ok"},
        version="9.9",
    )
    collector = AckingCollector(broker).start()
    relay.start()
    requester = Requester(broker)
    try:
        assert relay.connected.wait(10)
        topic = p.command_topic("S1", "T1")
        assert requester.send(topic, owner.command("role.set", CLERK_ROLE)).status == "done"
        reply = requester.send(
            topic,
            owner.command("staff.add", {"staff_id": "13800000001", "name": "Li", "role": "clerk"}),
        )
        assert reply.status == "done"
        # Entries posted by anyone (here the test thread) reach the collector via wake().
        ledger.post("drawer.opened", {"reason": "no_sale"}, staff_id="13800000001")
        last = ledger.last_entry().seq
        assert collector.wait_for("T1", last, timeout=20)
        wait_until(lambda: ledger.outbox().depth() == 0, 10, "outbox empty")
        kinds = [collector.store.events[("T1", s)]["kind"] for s in range(1, last + 1)]
        assert "command.applied" in kinds and "staff.saved" in kinds
        assert kinds[-1] == "drawer.opened"
    finally:
        requester.close()
        relay.stop()
        collector.stop()
        ledger.close()
