"""A PostgreSQL server of the tests' own: a throwaway cluster (initdb) on a free loopback port,
started once per test session and removed after it, so the collector's PostgreSQL tests need no
server set up on the machine. POS_TEST_PG_URL points them at an existing server instead."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path:
        return path
    raise PostgresUnavailable(
        f"no PostgreSQL server binaries ({name}): `make test` installs the Debian package "
        "postgresql; or set POS_TEST_PG_URL to a server"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres`
    system user that the Debian package creates."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pos-pg-"))
        self.port = _free_port()
        self._runas: list[str] = []
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable("running as root and there is no postgres user") from exc
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._runas = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str) -> None:
        done = subprocess.run(
            [*self._runas, *cmd], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise PostgresUnavailable(f"{cmd[0]} failed: {done.stderr.strip() or done.stdout}")

    def start(self) -> PrivatePostgres:
        data = self.dir / "data"
        self._run(_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        self._run(
            _bin("pg_ctl"), "-D", str(data), "-l", str(self.dir / "server.log"), "-w",
            "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise PostgresUnavailable(f"PostgreSQL did not listen on {self.port}")

    def stop(self) -> None:
        try:
            self._run(_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        except PostgresUnavailable:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
