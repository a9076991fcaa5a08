"""The control channel's client: what the end-to-end tests, screenshot runs and demos use."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any


class AutomationError(Exception):
    """The terminal answered a command with an error."""


class AutomationClient:
    def __init__(self, path: Path | str, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        self._sock.connect(str(self.path))
        self._file = self._sock.makefile("rwb")

    @classmethod
    def connect(cls, path: Path | str, wait: float = 20.0) -> AutomationClient:
        """Connect, retrying while the terminal is still starting up."""
        deadline = time.monotonic() + wait
        while True:
            try:
                return cls(path)
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def __enter__(self) -> AutomationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def raw(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request and return the reply as is, error or not."""
        self._file.write(json.dumps(request, ensure_ascii=False).encode() + b"\n")
        self._file.flush()
        line = self._file.readline()
        if not line:
            raise ConnectionError("terminal closed the control channel")
        return json.loads(line)

    def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        reply = self.raw({"cmd": cmd, **args})
        if not reply.get("ok"):
            raise AutomationError(f"{cmd}: {reply.get('error')}")
        return reply

    def scan(self, code: str) -> dict[str, Any]:
        return self.call("scan", code=code)

    def tap(self, aid: str) -> dict[str, Any]:
        return self.call("tap", id=aid)

    def type(self, text: str) -> dict[str, Any]:
        return self.call("type", text=text)

    def key(self, key: str) -> dict[str, Any]:
        return self.call("key", key=key)

    def state(self) -> dict[str, Any]:
        return self.call("state")["state"]

    def screenshot(self, path: Path | str) -> dict[str, Any]:
        return self.call("screenshot", path=str(path))

    def printer(self, action: str) -> dict[str, Any]:
        return self.call("printer", action=action)

    def wait_idle(self, timeout: float = 20.0) -> dict[str, Any]:
        return self.call("wait_idle", timeout=timeout)

    def tap_keys(self, digits: str, prefix: str = "keypad") -> None:
        """Tap a run of keypad keys, e.g. "1234" or "12.50"."""
        names = {".": "dot", "-": "minus"}
        for ch in digits:
            self.tap(f"{prefix}.{names.get(ch, ch)}")

    def wait_screen(self, name: str, timeout: float = 20.0) -> dict[str, Any]:
        """Wait until the app shows screen ``name`` and is idle; returns the state."""
        deadline = time.monotonic() + timeout
        while True:
            self.wait_idle(timeout=max(0.1, deadline - time.monotonic()))
            st = self.state()
            if st.get("screen") == name:
                return st
            if time.monotonic() > deadline:
                raise AutomationError(f"expected screen {name!r}, still on {st.get('screen')!r}")
            time.sleep(0.05)
