"""posctl's command outbox against the generated mosquitto and a live terminal: commands signed
while the broker is down, queued in a broker that is then SIGKILLed, or meant for a terminal
that has never connected are all applied exactly once after ``posctl commands retry``."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from link.live_terminal import LiveTerminal
from link.test_broker_generated import StoreEnv, make_store, wait_until

from provisioning.outbox import FILE_NAME, open_outbox
from provisioning.posctl import main as posctl
from provisioning.remote import Remote, Sent

pytestmark = pytest.mark.link
SQLITE3 = shutil.which("sqlite3")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[StoreEnv]:
    e = make_store(tmp_path, terminals=("t1",))
    try:
        yield e
    finally:
        e.close()


def run(env: StoreEnv, *argv: str) -> int:
    return posctl(["--home", str(env.home.root), *argv])


def add(env: StoreEnv, staff_id: str, timeout: str = "2") -> int:
    return run(
        env, "staff", "add", staff_id, "--name", "N", "--role", "cashier", "--timeout", timeout
    )


def outbox_states(env: StoreEnv) -> dict[str, str]:
    box = open_outbox(env.home.root)
    try:
        return {e.id: e.state for e in box.entries()}
    finally:
        box.close()


def applied_ids(till: LiveTerminal) -> list[str]:
    """Every command.applied entry in the terminal's journal, by command id."""
    return [str(p["id"]) for p in till.intake._applied_payloads()]


def retry_in_background(env: StoreEnv, wait: float) -> tuple[threading.Thread, list[int]]:
    rc: list[int] = []
    th = threading.Thread(
        target=lambda: rc.append(run(env, "commands", "retry", "--wait", str(wait))), daemon=True
    )
    th.start()
    return th, rc


@pytest.mark.skipif(SQLITE3 is None, reason="the sqlite3 shell is not installed")
def test_broker_down_and_terminal_never_started_then_one_retry_applies_it_once(
    env: StoreEnv, tmp_path: Path, capsys: Any
) -> None:
    env.broker.kill()
    assert add(env, "s1") == 1
    captured = capsys.readouterr()
    assert "t1: add s1: kept, not yet sent" in captured.out
    assert "posctl commands retry" in captured.err
    pin = re.search(r"Initial PIN for .*: (\d+)", captured.out).group(1)
    assert list(outbox_states(env).values()) == ["unsent"]
    # The outbox holds the sealed PIN only: the sqlite3 shell's dump of the file lacks it.
    dump = subprocess.run(
        [SQLITE3, str(env.home.root / FILE_NAME), ".dump"], capture_output=True, text=True
    ).stdout
    assert '"type":"staff.add"' in dump and '"sealed":{"pin":' in dump
    assert f'"{pin}"' not in dump and f":{pin}" not in dump

    assert run(env, "commands", "list") == 0
    assert "staff.add" in capsys.readouterr().out

    env.broker.start()
    # t1 was enrolled but has never connected: the broker has no session to queue for it, so
    # only the outbox can wait; the retry publishes again when t1's status turns online.
    th, rc = retry_in_background(env, 30)
    time.sleep(1.5)
    till = LiveTerminal(env, "t1", tmp_path / "t1")
    try:
        th.join(35)
        assert rc == [0], capsys.readouterr()
        assert till.staff.directory.member("s1") is not None
        assert applied_ids(till) == list(outbox_states(env))
        assert set(outbox_states(env).values()) == {"done"}
    finally:
        till.close()
    assert run(env, "commands", "list") == 0
    assert "No command is waiting" in capsys.readouterr().out


def test_commands_queued_in_a_killed_broker_are_applied_once_after_retry(
    env: StoreEnv, tmp_path: Path, capsys: Any
) -> None:
    LiveTerminal(env, "t1", tmp_path / "t1").close()  # t1 has a persistent session now
    for n in range(3):
        assert add(env, f"q{n}", timeout="0.3") == 1
    assert set(outbox_states(env).values()) == {"sent"}
    # The broker holds them (and t1's session) only in memory until autosave: SIGKILL loses
    # them.
    env.broker.kill()
    env.broker.start()
    till = LiveTerminal(env, "t1", tmp_path / "t1")
    try:
        # A newer command, with a newer sequence number, overtakes the lost ones: retrying them
        # as they were signed would be refused as replays, so posctl signs the same command id
        # again with a new number.
        assert add(env, "q3") == 0
        assert till.staff.directory.member("q0") is None
        assert run(env, "commands", "retry", "--timeout", "10") == 0
        for n in range(4):
            assert till.staff.directory.member(f"q{n}") is not None
        ids = applied_ids(till)
        assert sorted(ids) == sorted(outbox_states(env)) and len(set(ids)) == len(ids) == 4
        # A second retry has nothing left to do, and an answered command is not sent again.
        assert run(env, "commands", "retry", "--timeout", "1") == 0
        assert len(applied_ids(till)) == 4
    finally:
        till.close()


def _kill_loop(
    env: StoreEnv, till: LiveTerminal, kills: int, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Owner commands, each alternate one followed by a SIGKILL of the broker the moment the
    broker has confirmed it (before the terminal's reply can come back, and maybe before the
    terminal has it at all); then one retry with --wait: every command applied, none twice."""
    publish = Remote.publish
    handle = till.intake.handle
    kill = threading.Event()

    def publish_then_kill(self: Remote, sent: Sent) -> Any:
        q = publish(self, sent)
        if kill.is_set():
            env.broker.kill()
        return q

    def slow_handle(payload: bytes, **kw: Any) -> Any:
        # The terminal takes a moment over a command, so its reply comes after the kill.
        if kill.is_set():
            time.sleep(0.3)
        return handle(payload, **kw)

    monkeypatch.setattr(Remote, "publish", publish_then_kill)
    monkeypatch.setattr(till.intake, "handle", slow_handle)
    for n in range(kills):
        kill.set()
        assert add(env, f"k{n}", timeout="0.5") == 1
        kill.clear()
        connects = till.relay.stats.connects
        env.broker.start()
        assert wait_until(lambda c=connects: till.relay.stats.connects > c)
        add(env, f"ok{n}", timeout="5")  # lost too when the broker forgot t1's session
    monkeypatch.undo()
    capsys.readouterr()
    states = outbox_states(env)
    assert len(states) == 2 * kills
    assert list(states.values()).count("done") <= kills  # no killed one has a reply
    assert run(env, "commands", "retry", "--wait", "60") == 0, capsys.readouterr()
    states = outbox_states(env)
    assert set(states.values()) == {"done"}
    ids = applied_ids(till)
    assert sorted(ids) == sorted(states) and len(set(ids)) == len(ids) == 2 * kills
    for n in range(kills):
        assert till.staff.directory.member(f"k{n}") is not None
        assert till.staff.directory.member(f"ok{n}") is not None


def test_broker_killed_between_publish_and_reply_loses_nothing(
    env: StoreEnv, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    till = LiveTerminal(env, "t1", tmp_path / "t1")
    try:
        _kill_loop(env, till, 3, capsys, monkeypatch)
    finally:
        till.close()


@pytest.mark.slow
def test_twenty_broker_kills_lose_no_command(
    env: StoreEnv, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    till = LiveTerminal(env, "t1", tmp_path / "t1")
    try:
        _kill_loop(env, till, 20, capsys, monkeypatch)
    finally:
        till.close()
