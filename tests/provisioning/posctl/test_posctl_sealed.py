"""Sealed secrets and printed badges end to end: posctl against terminals built by the
composition root's own ``build_link`` from the bundle ``posctl terminal enroll`` wrote (its
``[link] seal_key`` included), over mosquitto running the configuration and ACL ``posctl
broker`` wrote, and the simulated receipt printer. An auditing identity that may read every
terminal's commands sees each one as the broker delivers it: no PIN or card code is ever in
those bytes."""

from __future__ import annotations

import json
import re
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from link.test_broker_generated import STORE, Peer, StoreEnv, make_store
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from provisioning.posctl import main as posctl
from terminal.core.clock import SystemClock
from terminal.core.pins import ScryptParams
from terminal.drivers.printer import build_printer
from terminal.drivers.printer.decode import decode
from terminal.ledger.db import open_ledger
from terminal.ledger.staff_store import open_staff
from terminal.link import protocol as wire
from terminal.link import sealing
from terminal.link.relay import LinkConfigError
from terminal.link.wiring import build_link

pytestmark = pytest.mark.link


class Till:
    """A terminal wired as ``terminal.app.wiring`` wires it: ``build_link`` over the bundle's
    ``[link]`` section, the staff service, and (optionally) a simulated receipt printer."""

    def __init__(self, env: StoreEnv, terminal_id: str, data: Path, *, printer: bool) -> None:
        bundle = Path(env.home.terminals()[terminal_id]["bundle"])
        conf = tomllib.loads((bundle / "pos-terminal.toml").read_text(encoding="utf-8"))
        clock = SystemClock()
        data.mkdir(parents=True, exist_ok=True)
        self.data = data
        self.ledger = open_ledger(data / "ledger.sqlite3", terminal_id, clock)
        self.staff = open_staff(self.ledger, clock, data / "card.key", scrypt=ScryptParams(n=2**8))
        self.printer = build_printer({}, data, clock, simulated=True) if printer else None
        # Only what differs between a Pi and this test: the bundle's files are here, not in
        # /etc/pos-terminal, and the test broker's port and retry times.
        here = {
            k: str(bundle / Path(v).name)
            for k, v in conf["link"].items()
            if k in ("ca", "cert", "key", "seal_key")
        }
        section = {
            **conf["link"],
            **here,
            "port": env.broker.port,
            "backoff_min": 0.05,
            "backoff_max": 0.5,
            "status_interval": 0.5,
        }
        self.relay = build_link(
            section,
            terminal_id=terminal_id,
            ledger=self.ledger,
            clock=clock,
            staff=self.staff.staff,
            printer=self.printer,
            version="test",
        )
        self.relay.start()
        assert self.relay.connected.wait(10), env.broker.log_tail()

    def printed(self) -> str:
        assert self.printer is not None and self.printer.wait_idle(10)
        return decode((self.data / "printer" / "out.bin").read_bytes())

    def close(self) -> None:
        self.relay.stop()
        if self.printer is not None:
            self.printer.stop()
        self.ledger.close()


AUDITOR = "svc.audit"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[StoreEnv]:
    e = make_store(tmp_path, terminals=("t1", "t2"))
    # What logs broker traffic: an identity the ACL lets read every terminal's commands (a
    # terminal's own identity cannot listen alongside it: the CN is the client id).
    e.home.issue_identity(AUDITOR)
    with e.files.acl.open("a", encoding="utf-8") as acl:
        acl.write(f"\nuser {AUDITOR}\ntopic read {wire.TOPIC_ROOT}/+/+/cmd\n")
    e.broker.restart()
    try:
        yield e
    finally:
        e.close()


@pytest.fixture
def tills(env: StoreEnv, tmp_path: Path) -> Iterator[dict[str, Till]]:
    live = {
        "t1": Till(env, "t1", tmp_path / "t1", printer=True),
        "t2": Till(env, "t2", tmp_path / "t2", printer=False),
    }
    try:
        yield live
    finally:
        for t in live.values():
            t.close()


def run(env: StoreEnv, *argv: str) -> int:
    return posctl(["--home", str(env.home.root), *argv])


def listen(env: StoreEnv) -> Peer:
    """Every command the broker carries, as raw bytes."""
    peer = env.client(AUDITOR)
    granted = peer.subscribe(f"{wire.TOPIC_ROOT}/{STORE}/+/cmd")
    assert not granted[0].is_failure
    return peer


def commands(peer: Peer, terminal: str) -> list[bytes]:
    with peer._cv:
        return [
            bytes(m.payload)
            for m in peer.messages
            if m.topic == wire.command_topic(STORE, terminal)
        ]


def test_enrolment_writes_a_private_sealing_key_and_keeps_its_public_half(env: StoreEnv) -> None:
    rec = env.home.terminals()["t1"]
    bundle = Path(rec["bundle"])
    key_file = bundle / "seal.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert rec["seal_key"] == sealing.public_key_text(sealing.load_private_key(key_file))
    conf = tomllib.loads((bundle / "pos-terminal.toml").read_text(encoding="utf-8"))
    assert conf["link"]["seal_key"] == "/etc/pos-terminal/seal.key"
    # The owner's directory holds no terminal's private sealing key outside its bundle.
    assert "PRIVATE KEY" not in (env.home.root / "terminals.json").read_text()
    # Enrolling again (a new broker address, say) keeps the key.
    assert run(env, "terminal", "enroll", "t1") == 0
    assert env.home.terminals()["t1"]["seal_key"] == rec["seal_key"]


def test_secrets_never_cross_the_broker_readable(
    env: StoreEnv, tills: dict[str, Till], capsys: Any, tmp_path: Path
) -> None:
    sniff = listen(env)
    assert run(env, "staff", "add", "s1", "--name", "王芳", "--role", "cashier") == 0
    pin = re.search(r"Initial PIN for .*: (\d+)", capsys.readouterr().out).group(1)
    assert run(env, "card", "issue", "s1", "--out", str(tmp_path / "b.png")) == 0
    code = re.search(r"Card code for .*: (\S+)", capsys.readouterr().out).group(1)
    assert run(env, "reset-pin", "s1", "-t", "t1") == 0
    new_pin = re.search(r"New initial PIN for .*: (\d+)", capsys.readouterr().out).group(1)

    assert tills["t1"].staff.auth.verify(new_pin, card=code)[0].name == "王芳"
    assert tills["t2"].staff.auth.verify(pin, card=code)[0].name == "王芳"
    assert sniff.wait(lambda: len(sniff.messages) == 5)
    for t in ("t1", "t2"):
        types = []
        for raw in commands(sniff, t):
            for secret in (pin, new_pin, code):
                assert secret.encode() not in raw, (t, secret)
            cmd = json.loads(raw)
            types.append(cmd["type"])
            assert cmd["body"]["sealed"], cmd["body"]
        assert types == ["staff.add", "card.assign", "pin.reset"][: 3 if t == "t1" else 2]


def test_a_command_altered_on_the_way_is_refused_and_changes_nothing(
    env: StoreEnv, tills: dict[str, Till], capsys: Any, tmp_path: Path
) -> None:
    sniff = listen(env)
    assert run(env, "staff", "add", "s1", "--name", "Li", "--role", "cashier", "-t", "t1") == 0
    pin = re.search(r"Initial PIN for .*: (\d+)", capsys.readouterr().out).group(1)
    assert run(env, "card", "issue", "s1", "-t", "t1", "--out", str(tmp_path / "b.png")) == 0
    code = re.search(r"Card code for .*: (\S+)", capsys.readouterr().out).group(1)
    assert sniff.wait(lambda: len(sniff.messages) == 2)
    till = tills["t1"]
    cards = till.staff.directory.cards_of("s1")

    # Someone between posctl and the terminal swaps the sealed code for one they know.
    original = json.loads(bytes(sniff.messages[1].payload))
    forged = dict(original)
    forged["id"] = "00000000-0000-4000-8000-000000000001"
    forged["body"] = {
        "staff_id": "s1",
        "sealed": {"code": original["body"]["sealed"]["code"][:-4] + "AAA="},
    }
    owner = env.client("svc.owner")
    owner.subscribe(wire.reply_topic(STORE, "t1") + "/probe")
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = wire.reply_topic(STORE, "t1") + "/probe"
    props.CorrelationData = b"probe"
    owner.publish(wire.command_topic(STORE, "t1"), wire.canonical_json(forged), properties=props)
    assert owner.wait(lambda: len(owner.messages) == 1)
    reply = wire.decode_reply(owner.messages[0].payload)
    assert reply.status == "error" and reply.error is not None
    assert reply.error.code == "bad_signature"
    assert till.staff.directory.cards_of("s1") == cards
    assert till.staff.auth.verify(pin, card=code)[0].staff_id == "s1"


def test_card_issue_prints_the_badge_on_a_terminal(
    env: StoreEnv, tills: dict[str, Till], capsys: Any
) -> None:
    sniff = listen(env)
    assert run(env, "staff", "add", "s1", "--name", "Wang Fang", "--role", "cashier") == 0
    pin = re.search(r"Initial PIN for .*: (\d+)", capsys.readouterr().out).group(1)
    assert run(env, "card", "issue", "s1", "--print-on", "t1", "--name-zh", "王芳") == 0
    out = capsys.readouterr().out
    code = re.search(r"Card code for .*: (\S+)", out).group(1)
    assert "t1: assign card: done" in out and "t2: assign card: done" in out
    assert "t1: print badge: done" in out and "Badge:" not in out  # no PNG asked for
    assert not (env.home.root / "badges").exists()
    text = tills["t1"].printed()
    assert f"[QR:{code}]" in text
    assert "Wang Fang" in text and "王芳" in text and "Cashier" in text and "Test Shop" in text
    for t in tills.values():
        assert t.staff.auth.verify(pin, card=code)[0].staff_id == "s1"
    assert sniff.wait(lambda: len(commands(sniff, "t1")) == 3)
    assert [json.loads(c)["type"] for c in commands(sniff, "t1")][-1] == "badge.print"
    assert not any(code.encode() in bytes(m.payload) for m in sniff.messages)

    # Code 128, and a terminal without a printer says so.
    assert run(env, "card", "issue", "s1", "--kind", "code128", "--print-on", "t1") == 0
    code2 = re.search(r"Card code for .*: (\S+)", capsys.readouterr().out).group(1)
    assert f"[BARCODE CODE128:{code2}]" in tills["t1"].printed()
    assert run(env, "card", "issue", "s1", "-t", "t2", "--print-on", "t2") == 1
    captured = capsys.readouterr()
    assert "t2: print badge: refused" in captured.out
    assert "no receipt printer" in captured.err


def test_a_terminal_enrolled_before_sealing_gets_no_secret_at_all(
    env: StoreEnv, tmp_path: Path, capsys: Any
) -> None:
    # What an old enrolment looks like: no seal.key, no [link] seal_key, no public key here.
    terminals = env.home.terminals()
    del terminals["t2"]["seal_key"]
    env.home.save_terminals(terminals)
    bundle = Path(terminals["t2"]["bundle"])
    (bundle / "seal.key").unlink()
    conf = (bundle / "pos-terminal.toml").read_text(encoding="utf-8")
    (bundle / "pos-terminal.toml").write_text(
        "\n".join(line for line in conf.splitlines() if not line.startswith("seal_key")) + "\n",
        encoding="utf-8",
    )
    old = Till(env, "t2", tmp_path / "t2", printer=False)
    try:
        sniff = listen(env)
        assert run(env, "staff", "add", "s1", "--name", "Li", "--role", "cashier") == 1
        err = capsys.readouterr().err
        assert "t2 was enrolled before" in err and "posctl terminal enroll t2" in err
        # Refused before anything was sent, to any terminal; --allow-plaintext no longer opens
        # a way around it (the terminal would refuse a clear PIN anyway).
        args = ("staff", "add", "s1", "--name", "Li", "--role", "cashier", "-t", "t2")
        assert run(env, *args, "--allow-plaintext") == 1
        assert "accept them only sealed" in capsys.readouterr().err
        assert old.staff.directory.member("s1") is None and sniff.messages == []
        # Commands without secrets need no sealing key.
        assert run(env, "settings", "store_name=Old Shop", "-t", "t2") == 0
    finally:
        old.close()
    # Re-enrolling gives it a key; the new bundle's terminal opens sealed secrets.
    assert run(env, "terminal", "enroll", "t2") == 0
    assert (bundle / "seal.key").exists() and env.home.terminals()["t2"]["seal_key"]
    new = Till(env, "t2", tmp_path / "t2", printer=False)
    try:
        assert (
            run(env, "staff", "add", "s1", "--name", "Li Lei", "--role", "cashier", "-t", "t2") == 0
        )
        assert run(env, "reset-pin", "s1", "-t", "t2") == 0
        pin = re.search(r"New initial PIN for .*: (\d+)", capsys.readouterr().out).group(1)
        assert run(env, "card", "issue", "s1", "-t", "t2", "--out", str(tmp_path / "b.png")) == 0
        code = re.search(r"Card code for .*: (\S+)", capsys.readouterr().out).group(1)
        assert new.staff.auth.verify(pin, card=code)[0].name == "Li Lei"
    finally:
        new.close()


def test_an_unreadable_sealing_key_keeps_the_link_from_starting(
    env: StoreEnv, tmp_path: Path
) -> None:
    ledger = open_ledger(tmp_path / "l.sqlite3", "t1", SystemClock())
    try:
        with pytest.raises(LinkConfigError, match="seal_key: cannot read"):
            build_link(
                {"store": STORE, "seal_key": str(tmp_path / "nowhere.key")},
                terminal_id="t1",
                ledger=ledger,
                clock=SystemClock(),
            )
    finally:
        ledger.close()
