"""A real mosquitto for tests: its own generated configuration and data directory under the
test's ``tmp_path``, on a free port on 127.0.0.1, plain TCP or TLS, optionally with an ACL file
and a password file.

    broker = Broker(tmp_path).start()
    ... connect to broker.host, broker.port ...
    broker.kill()       # SIGKILL, like a power cut
    broker.restart()    # same port, same config, same persistence file
    broker.stop()       # SIGTERM, then SIGKILL if it does not go

It never touches the system broker on 1883. ``MOSQUITTO`` in the environment overrides the
binary (default: ``mosquitto`` on PATH, else /usr/sbin/mosquitto).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

DEFAULT_BINARY = "/usr/sbin/mosquitto"


class BrokerError(RuntimeError):
    """mosquitto could not be started; the message carries the tail of its log."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """PEM files for the broker's TLS listener.

    ``require_certificate`` makes clients present a certificate signed by ``ca``;
    ``use_identity_as_username`` then makes the certificate's CN the MQTT username, which is what
    ACL patterns (``%u``) and ``user`` blocks match against.
    """

    ca: Path
    cert: Path
    key: Path
    require_certificate: bool = True
    use_identity_as_username: bool = True


def mosquitto_binary() -> str:
    env = os.environ.get("MOSQUITTO")
    if env:
        return env
    return shutil.which("mosquitto") or DEFAULT_BINARY


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class Broker:
    def __init__(
        self,
        tmp_path: Path,
        tls: TlsFiles | None = None,
        acl_file: Path | None = None,
        password_file: Path | None = None,
        *,
        allow_anonymous: bool | None = None,
        persistence: bool = True,
        extra_config: tuple[str, ...] = (),
        name: str = "mosquitto",
        port: int | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.tls = tls
        self.acl_file = acl_file
        self.password_file = password_file
        # Anonymous clients are fine on a plain test listener; with client certificates or a
        # password file the identity comes from those, so anonymous access is refused unless
        # the test asks for it.
        if allow_anonymous is None:
            allow_anonymous = password_file is None and (tls is None or not tls.require_certificate)
        self.allow_anonymous = allow_anonymous
        self.persistence = persistence
        self.extra_config = extra_config
        self.dir = Path(tmp_path) / f"{name}-{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.dir / "mosquitto.conf"
        self.log_path = self.dir / "mosquitto.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = None
        self.write_config()

    # --- configuration ---------------------------------------------------------------------

    def config_text(self) -> str:
        lines = [
            "# generated for one test run",
            f"user {getpass.getuser()}",
            "per_listener_settings false",
            f"allow_anonymous {'true' if self.allow_anonymous else 'false'}",
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {self.dir}/",
            "persistence_file mosquitto.db",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "max_queued_messages 0",
            "max_inflight_messages 0",
        ]
        if self.acl_file is not None:
            lines.append(f"acl_file {self.acl_file}")
        if self.password_file is not None:
            lines.append(f"password_file {self.password_file}")
        lines.append(f"listener {self.port} {self.host}")
        lines.append("protocol mqtt")
        if self.tls is not None:
            lines += [
                f"cafile {self.tls.ca}",
                f"certfile {self.tls.cert}",
                f"keyfile {self.tls.key}",
                "tls_version tlsv1.2",
                f"require_certificate {'true' if self.tls.require_certificate else 'false'}",
                "use_identity_as_username "
                f"{'true' if self.tls.use_identity_as_username else 'false'}",
            ]
        lines += list(self.extra_config)
        return "\n".join(lines) + "\n"

    def write_config(self) -> None:
        self.config_path.write_text(self.config_text(), encoding="utf-8")

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 10.0) -> Broker:
        if self.is_running():
            return self
        self.write_config()
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self._proc = subprocess.Popen(
            [mosquitto_binary(), "-c", str(self.config_path)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self._wait_listening(timeout)
        return self

    def _wait_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise BrokerError(f"mosquitto exited at start:\n{self.log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise BrokerError(f"mosquitto did not listen on {self.port}:\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful stop (SIGTERM): mosquitto saves its persistence file."""
        self._end(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Abrupt stop (SIGKILL): nothing is saved, connections drop without a goodbye."""
        self._end(signal.SIGKILL, 10.0)

    def _end(self, sig: signal.Signals, timeout: float) -> None:
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(sig)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout)
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        self._wait_port_free()

    def _wait_port_free(self, timeout: float = 5.0) -> None:
        # The same port must be bindable again before restart() can reuse it.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((self.host, self.port))
                    return
                except OSError:
                    time.sleep(0.05)

    def restart(self, *, hard: bool = False, down_for: float = 0.0) -> Broker:
        """Stop (or kill, when ``hard``) and start again on the same port."""
        if hard:
            self.kill()
        else:
            self.stop()
        if down_for:
            time.sleep(down_for)
        return self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # --- client helpers --------------------------------------------------------------------

    def client_tls_context(
        self, cert: Path | None = None, key: Path | None = None
    ) -> ssl.SSLContext | None:
        """A client-side context trusting this broker's CA, with an optional client cert."""
        if self.tls is None:
            return None
        ctx = ssl.create_default_context(cafile=str(self.tls.ca))
        if cert is not None:
            ctx.load_cert_chain(str(cert), str(key) if key is not None else None)
        return ctx

    def __enter__(self) -> Broker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(Exception):
            self.stop()
