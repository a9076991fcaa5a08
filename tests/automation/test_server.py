"""The control channel's framing and permissions, with a plain handler (no Kivy)."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from terminal.automation.client import AutomationClient, AutomationError
from terminal.automation.server import CommandError, ControlServer, default_socket_path


def _handler(calls: list[dict[str, Any]]):
    def handle(request: dict[str, Any]) -> dict[str, Any]:
        calls.append(request)
        if request["cmd"] == "boom":
            raise RuntimeError("handler bug")
        if request["cmd"] == "refuse":
            raise CommandError("not on this screen")
        return {"echo": request}

    return handle


@pytest.fixture
def server(tmp_path: Path):
    calls: list[dict[str, Any]] = []
    srv = ControlServer(tmp_path / "a.sock", _handler(calls))
    srv.start()
    yield srv, calls
    srv.stop()


def test_socket_is_private_to_its_owner(server) -> None:
    srv, _ = server
    mode = os.stat(srv.path).st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600


def test_round_trip_and_id_echo(server) -> None:
    srv, calls = server
    with AutomationClient(srv.path) as c:
        reply = c.raw({"cmd": "scan", "code": "6901234567892", "id": 7})
        assert reply == {"ok": True, "echo": {"cmd": "scan", "code": "6901234567892", "id": 7},
                         "id": 7}
        assert c.call("state")["echo"] == {"cmd": "state"}
    assert [r["cmd"] for r in calls] == ["scan", "state"]


def test_errors_come_back_and_the_channel_survives(server) -> None:
    srv, _ = server
    with AutomationClient(srv.path) as c:
        assert c.raw({"cmd": "refuse"}) == {"ok": False, "error": "not on this screen"}
        bad = c.raw({"cmd": "boom"})
        assert bad["ok"] is False and "RuntimeError: handler bug" in bad["error"]
        with pytest.raises(AutomationError, match="not on this screen"):
            c.call("refuse")
        assert c.call("ping")["ok"] is True


def test_malformed_lines_are_answered_not_fatal(server) -> None:
    srv, _ = server
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(srv.path))
    f = s.makefile("rwb")
    for line in (b"not json\n", b"[1,2]\n", b'{"code": "x"}\n'):
        f.write(line)
        f.flush()
        reply = json.loads(f.readline())
        assert reply["ok"] is False
    f.write(b'{"cmd": "ok"}\n')
    f.flush()
    assert json.loads(f.readline())["ok"] is True
    s.close()


def test_concurrent_clients(server) -> None:
    srv, calls = server
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            with AutomationClient(srv.path) as c:
                for i in range(20):
                    assert c.call("n", n=n, i=i)["echo"]["i"] == i
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(calls) == 80


def test_stale_socket_is_replaced_but_a_regular_file_is_not(tmp_path: Path) -> None:
    stale = tmp_path / "s.sock"
    old = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old.bind(str(stale))
    old.close()
    srv = ControlServer(stale, lambda r: {})
    srv.start()
    srv.stop()
    assert not stale.exists()
    regular = tmp_path / "file.sock"
    regular.write_text("precious")
    with pytest.raises(CommandError, match="not a socket"):
        ControlServer(regular, lambda r: {}).start()
    assert regular.read_text() == "precious"


def test_a_live_socket_is_not_taken_over(server) -> None:
    srv, _ = server
    with pytest.raises(CommandError, match="already listening"):
        ControlServer(srv.path, lambda r: {}).start()
    with AutomationClient(srv.path) as c:
        assert c.call("still_here")["ok"]


def test_default_path_falls_back_to_runtime_dir(tmp_path: Path, monkeypatch) -> None:
    assert default_socket_path(tmp_path) == tmp_path / "automation.sock"
    deep = tmp_path / ("d" * 120)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert default_socket_path(deep, "T9") == tmp_path / "pos-terminal-T9.sock"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    with pytest.raises(CommandError):
        default_socket_path(deep)


def test_command_line_sends_one_command(server, capsys) -> None:
    from terminal.automation.__main__ import main

    srv, calls = server
    assert main(["--socket", str(srv.path), "scan", "6901285000010"]) == 0
    assert calls[-1] == {"cmd": "scan", "code": "6901285000010"}
    assert main(["--socket", str(srv.path), "refuse"]) == 1
    assert "not on this screen" in capsys.readouterr().out
    assert main(["--socket", str(srv.path) + ".missing", "state"]) == 2


def test_every_malformed_line_gets_a_reply_on_the_same_connection(server) -> None:
    """Non-UTF-8 bytes, non-JSON, the wrong shape, a lone surrogate, a line over the size
    limit: each is answered with an error, and the next command on the same connection works."""
    srv, calls = server
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(srv.path))
    s.settimeout(10)
    f = s.makefile("rwb")
    bad_lines = [
        b'{"cmd": "scan", "code": "\xff\xfe\xc3"}\n',  # not UTF-8
        b"\x80\x81\x82\n",
        b'{"cmd": "state"\n',  # truncated JSON
        b"[[[[[[[[[[" * 100_000 + b"\n",  # nested too deeply
        b"x" * (3 << 20) + b"\n",  # too large
        b'"just a string"\n',
        b'{"cmd": 5}\n',
        b"null\n",
    ]
    for line in bad_lines:
        f.write(line)
        f.flush()
        reply = json.loads(f.readline())
        assert reply["ok"] is False and reply["error"], line[:20]
    assert "UTF-8" in json.loads(_ask(f, b"\xff\n"))["error"]
    echoed = json.loads(_ask(f, b'{"cmd": "x\\ud800"}\n'))
    assert echoed["ok"] is True and echoed["echo"]["cmd"] == "x\ud800"
    assert json.loads(_ask(f, b'{"cmd": "state", "id": 3}\n')) == {
        "ok": True, "echo": {"cmd": "state", "id": 3}, "id": 3}
    assert [c["cmd"] for c in calls] == ["x\ud800", "state"]
    s.close()


def _ask(f: Any, line: bytes) -> bytes:
    f.write(line)
    f.flush()
    return f.readline()
