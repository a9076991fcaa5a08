"""The control channel's server side: a Unix socket readable by its owner alone, one JSON object
per line in, one JSON object per line out.

The server only frames and routes. Each request is passed to ``handle(request) -> dict`` on the
connection's own thread; the app's handler is responsible for running UI work on the UI thread.
A reply is ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``; a request's ``"id"`` is
echoed so a client may pipeline.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], dict[str, Any]]

MAX_LINE = 1 << 20
"""A request larger than this is refused rather than buffered without bound."""


class CommandError(Exception):
    """A request that cannot be carried out; its message goes back to the client."""


def default_socket_path(data_dir: Path, terminal_id: str = "sim") -> Path:
    """The socket lives in the data dir; when that path is too long for ``sun_path`` (108 bytes),
    in ``$XDG_RUNTIME_DIR``, which is private to the user."""
    candidate = Path(data_dir) / "automation.sock"
    if len(os.fsencode(str(candidate))) < 100:
        return candidate
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / f"pos-terminal-{terminal_id}.sock"
    raise CommandError(f"socket path too long and XDG_RUNTIME_DIR unset: {candidate}")


class ControlServer:
    def __init__(self, path: Path, handle: Handler) -> None:
        self.path = Path(path)
        self._handle = handle
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            if not stat.S_ISSOCK(self.path.lstat().st_mode):
                raise CommandError(f"{self.path} exists and is not a socket")
            if _answers(self.path):
                raise CommandError(f"another terminal is already listening on {self.path}")
            self.path.unlink()  # left behind by a terminal that was killed
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # The umask makes the socket 0600 from its first moment, so no other user can race to
        # connect between bind() and chmod().
        old = os.umask(0o177)
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        sock.listen(4)
        self._sock = sock
        self._thread = threading.Thread(target=self._accept_loop, name="automation", daemon=True)
        self._thread.start()
        log.info("automation listening on %s", self.path)

    def stop(self) -> None:
        self._stopping.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
        with self._lock:
            for c in list(self._conns):
                with contextlib.suppress(OSError):
                    c.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=2)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                conn, _addr = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
            threading.Thread(
                target=self._serve, args=(conn,), name="automation-conn", daemon=True
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn, conn.makefile("rwb") as f:
                while not self._stopping.is_set():
                    line = f.readline(MAX_LINE + 1)
                    if not line:
                        return
                    if len(line) > MAX_LINE:
                        # Drop the rest of the line, answer it, and read the next one.
                        while line and not line.endswith(b"\n"):
                            line = f.readline(MAX_LINE + 1)
                        f.write(_encode({"ok": False, "error": "request too large"}))
                        f.flush()
                        continue
                    if not line.strip():
                        continue
                    f.write(_encode(self.answer(line)))
                    f.flush()
        except (OSError, ValueError):
            # The client went away mid-reply (a closed file raises ValueError); nothing to
            # answer to. A bad request never gets here: ``answer`` replies to it.
            return
        finally:
            with self._lock:
                self._conns.discard(conn)

    def answer(self, line: bytes) -> dict[str, Any]:
        """One request line to one reply; never raises."""
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as e:
            return {"ok": False, "error": f"not UTF-8 text (byte {e.start}): send JSON in UTF-8"}
        try:
            request = json.loads(text)
        except json.JSONDecodeError as e:
            return {"ok": False, "error": f"not JSON: {e.msg} (column {e.colno})"}
        except RecursionError:
            return {"ok": False, "error": "not JSON: nested too deeply"}
        if not isinstance(request, dict) or not isinstance(request.get("cmd"), str):
            return {"ok": False, "error": 'a request is an object with a "cmd" string'}
        reply: dict[str, Any]
        try:
            reply = {"ok": True, **self._handle(request)}
        except CommandError as e:
            reply = {"ok": False, "error": str(e)}
        except Exception as e:  # a bug in a handler must reach the client, not kill the channel
            log.exception("automation command %r failed", request.get("cmd"))
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        if "id" in request:
            reply["id"] = request["id"]
        return reply


def _answers(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def _encode(obj: dict[str, Any]) -> bytes:
    try:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    except UnicodeEncodeError:
        # A lone surrogate (a "\\ud800" escape in the request, echoed back) has no UTF-8 form;
        # escaped, it is still valid JSON and the client still gets its reply.
        return json.dumps(obj, separators=(",", ":")).encode() + b"\n"
