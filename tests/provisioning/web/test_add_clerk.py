"""The add-clerk form end to end over mosquitto running posctl's own configuration and ACL: the
owner posts the form, the back office signs ``staff.add`` with the owner key from the posctl
home and seals the generated PIN to each terminal, a peer holding terminal t1's certificate
receives it on t1's command topic and answers like a terminal; the command verifies with
``terminal.link.protocol`` and the PIN opens with t1's sealing key and equals the one shown."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from link.test_broker_generated import STORE, StoreEnv, make_store
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from provisioning.collector.db import CentralDB
from provisioning.web import central
from provisioning.web.demo import make_home
from provisioning.web.models import AuditEntry
from terminal.link import protocol as wire
from terminal.link import sealing

from .conftest import client_for

FORM = {"name": "王芳 <b>Fang</b>", "staff_id": "13800138000", "role": "cashier",
        "gender": "female", "contact": "wechat: wf"}


@pytest.fixture
def env(tmp_path: Path) -> Any:
    e = make_store(tmp_path, terminals=("t1", "t2"))
    try:
        yield e
    finally:
        e.close()


def _answer_as_terminal(env: StoreEnv, peer: Any) -> threading.Thread:
    """Reply "done" to the first command t1 receives, on the response topic it names."""

    def run() -> None:
        assert peer.wait(lambda: peer.messages, 10)
        msg = peer.messages[0]
        cmd = wire.parse_command(msg.payload)
        props = Properties(PacketTypes.PUBLISH)
        props.CorrelationData = msg.properties.CorrelationData
        reply = wire.Reply(id=cmd.id, terminal="t1", status="done")
        peer.publish(msg.properties.ResponseTopic, wire.encode_reply(reply), properties=props)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.link
def test_add_clerk_sends_a_signed_staff_add_with_the_pin_sealed_to_each_terminal(
    env: StoreEnv, owner: Any, central_db: CentralDB
) -> None:
    central.get().homes[STORE] = env.home
    peer = env.client("t1")
    peer.subscribe(wire.command_topic(STORE, "t1"))
    answering = _answer_as_terminal(env, peer)
    r = client_for(owner, HTTP_ACCEPT_LANGUAGE="en").post(f"/stores/{STORE}/staff/add/", FORM)
    answering.join(10)
    page = r.content.decode()
    assert r.status_code == 200, page
    assert r["Cache-Control"] == "no-store"
    pin_match = re.search(r'<p class="pin" id="pin">(\d{6})</p>', page)
    assert pin_match, page
    pin = pin_match.group(1)
    assert "王芳 &lt;b&gt;Fang&lt;/b&gt;" in page and "<b>Fang</b>" not in page
    assert re.search(r"<td>t1</td><td>done</td>", page)
    assert re.search(r"<td>t2</td><td>waiting", page)

    msg = peer.messages[0]
    assert pin.encode() not in msg.payload
    cmd = wire.parse_command(msg.payload)
    cmd.verify(wire.TrustedKeys([env.home.store()["owner_key"]]))
    assert cmd.type == "staff.add" and cmd.target == wire.Target(STORE, "t1")
    body = cmd.body
    assert isinstance(body, wire.StaffAdd)
    assert (body.staff_id, body.name, body.role, body.gender, body.contact) == (
        "13800138000", "王芳 <b>Fang</b>", "cashier", "female", "wechat: wf"
    )
    assert body.must_change_pin and body.pin is None and cmd.raw_body.get("pin") is None
    seal_key = sealing.load_private_key(Path(env.home.terminals()["t1"]["bundle"]) / "seal.key")
    ad = sealing.associated_data(
        command_id=cmd.id, store=STORE, terminal="t1", type="staff.add", field="pin"
    )
    assert sealing.open_sealed(seal_key, body.sealed["pin"], ad) == pin

    # The signature covers the body: the same bytes with the role raised do not verify.
    forged = json.loads(msg.payload)
    forged["body"]["role"] = "manager"
    with pytest.raises(wire.CommandRejected):
        wire.parse_command(json.dumps(forged)).verify(
            wire.TrustedKeys([env.home.store()["owner_key"]])
        )

    entry = AuditEntry.objects.get(action="staff.add")
    assert entry.username == "boss" and entry.store_id == STORE
    assert entry.detail["outcomes"] == {"t1": "done", "t2": "waiting"}
    assert pin not in json.dumps(entry.detail)
    assert env.home.staff()["13800138000"]["role"] == "cashier"  # `posctl staff list` shows it
    assert pin not in (env.home.root / "staff.json").read_text()
    staff_page = client_for(owner).get(f"/stores/{STORE}/staff/").content.decode()
    assert "13800138000" in staff_page  # sent, not yet reported by a terminal


def test_nothing_is_sent_or_recorded_when_the_broker_cannot_be_reached(
    tmp_path: Path, owner: Any, central_db: CentralDB
) -> None:
    home = make_home(tmp_path / "owner")
    (home.root / "broker.json").write_text('{"host": "127.0.0.1", "port": 9}\n')
    central.get().homes[home.store()["store_id"]] = home
    r = client_for(owner, HTTP_ACCEPT_LANGUAGE="en").post(
        f"/stores/{home.store()['store_id']}/staff/add/", FORM
    )
    assert r.status_code == 502
    assert "Nothing was sent" in r.content.decode()
    assert not re.search(rb'class="pin"', r.content)
    assert home.staff() == {}
    assert AuditEntry.objects.filter(action="staff.add.failed").count() == 1
    assert not AuditEntry.objects.filter(action="staff.add").exists()


def test_a_store_without_an_owner_key_here_cannot_be_commanded(
    owner: Any, central_db: CentralDB
) -> None:
    r = client_for(owner).post("/stores/elsewhere/staff/add/", FORM)
    assert r.status_code == 409
