"""The owner directory (``~/.config/posctl`` or ``--home``): where posctl keeps the owner's
signing key, the CA, the service identities, the enrolled terminals and the owner's view of staff.

Layout::

    store.json                 store id, name, currency, owner public key
    owner/signing.key          Ed25519 private key (0600)        owner/signing.pub  base64 raw
    ca/ca.crt  ca/ca.key       the CA (key 0600)                 ca/crl.pem         revocations
    identities/<cn>/           client.crt, client.key for the collectors and posctl itself
    terminals.json             enrolled terminals: certificate serial, enrolment and revocation
    terminals/<id>/            the SD-card bundle of each terminal
    staff.json                 staff as posctl last sent them (never PINs or card codes)
    commands.json              last command number per terminal (replay protection)

Records are small JSON files written atomically; posctl is one owner at one desk, so there is no
locking beyond the atomic replace.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provisioning import pki
from terminal.link import protocol as wire

TERMINAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
"""Terminal ids become an MQTT topic level and a certificate CN, so no '/', '+', '#' or '.'."""

OWNER_CN = "svc.owner"
"""posctl's own broker identity. Service identities contain a '.', which a terminal id never
does, so no terminal can be enrolled under a service's name and inherit its rights."""
COLLECTOR_PREFIX = "svc.collector."


class HomeError(Exception):
    """Something in the owner directory is missing or inconsistent; the message says what to
    run next."""


def default_home() -> Path:
    env = os.environ.get("POSCTL_HOME")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "posctl"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_terminal_id(terminal_id: str) -> str:
    if not TERMINAL_ID.match(terminal_id) or terminal_id in wire.RESERVED_IDS:
        raise HomeError(
            f"terminal id {terminal_id!r} is not allowed: use 1-32 letters, digits, '-' or '_', "
            "starting with a letter or digit (e.g. till-1), and not one of "
            + ", ".join(sorted(wire.RESERVED_IDS))
        )
    return terminal_id


def check_store_id(store_id: str) -> str:
    try:
        return wire.check_id(store_id, "store")
    except wire.ValidationError as e:
        raise HomeError(f"store id {store_id!r}: {e.message}") from e


def collector_cn(n: int) -> str:
    return f"{COLLECTOR_PREFIX}{n}"


class Home:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # --- paths ---------------------------------------------------------------------------------
    @property
    def store_file(self) -> Path:
        return self.root / "store.json"

    @property
    def signing_key_file(self) -> Path:
        return self.root / "owner" / "signing.key"

    @property
    def signing_pub_file(self) -> Path:
        return self.root / "owner" / "signing.pub"

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca" / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca" / "ca.key"

    @property
    def crl_file(self) -> Path:
        return self.root / "ca" / "crl.pem"

    @property
    def broker_dir(self) -> Path:
        return self.root / "broker"

    def identity_dir(self, cn: str) -> Path:
        return self.root / "identities" / cn

    def terminal_dir(self, terminal_id: str) -> Path:
        return self.root / "terminals" / check_terminal_id(terminal_id)

    # --- state -----------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.store_file.exists()

    def require(self) -> None:
        if not self.exists():
            raise HomeError(
                f"no owner directory at {self.root}: run `posctl init --store NAME` first "
                "(or pass --home to point at an existing one)"
            )

    def _read(self, name: str, default: Any) -> Any:
        path = self.root / name
        if not path.exists():
            return default
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise HomeError(f"{path} is damaged ({e}); restore it from your backup") from e

    def _write(self, name: str, data: Any) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        os.replace(tmp, path)

    def store(self) -> dict[str, Any]:
        self.require()
        return self._read("store.json", {})

    def terminals(self) -> dict[str, dict[str, Any]]:
        return self._read("terminals.json", {})

    def save_terminals(self, data: dict[str, dict[str, Any]]) -> None:
        self._write("terminals.json", data)

    def terminal(self, terminal_id: str) -> dict[str, Any]:
        rec = self.terminals().get(check_terminal_id(terminal_id))
        if rec is None:
            raise HomeError(
                f"terminal {terminal_id!r} is not enrolled: run `posctl terminal enroll "
                f"{terminal_id}` first (`posctl terminal list` shows the enrolled ones)"
            )
        if rec.get("revoked_at"):
            raise HomeError(
                f"terminal {terminal_id!r} was revoked on {rec['revoked_at']}; enrol it again "
                "under a new id to use it"
            )
        return rec

    def staff(self) -> dict[str, dict[str, Any]]:
        return self._read("staff.json", {})

    def save_staff(self, data: dict[str, dict[str, Any]]) -> None:
        self._write("staff.json", data)

    def settings(self) -> dict[str, Any]:
        return self._read("settings.json", {})

    def save_settings(self, data: dict[str, Any]) -> None:
        self._write("settings.json", data)

    @contextmanager
    def command_counter(self, terminal_id: str) -> Iterator[int]:
        """The next command number for a terminal, saved before the command leaves so a crash
        can never reuse a number a terminal has already seen."""
        counters = self._read("commands.json", {})
        n = int(counters.get(terminal_id, 0)) + 1
        counters[terminal_id] = n
        self._write("commands.json", counters)
        yield n

    def revoked_serials(self) -> dict[int, str]:
        out: dict[int, str] = {}
        for rec in self.terminals().values():
            if rec.get("revoked_at"):
                out[int(rec["serial"])] = rec["revoked_at"]
            for serial, when in (rec.get("retired") or {}).items():
                out[int(serial)] = when
        return out

    # --- keys ------------------------------------------------------------------------------------
    def signing_key(self) -> Any:
        self.require()
        return pki.load_signing_key(self.signing_key_file)

    def ca(self) -> pki.CertificateAuthority:
        self.require()
        return pki.CertificateAuthority(self.ca_cert, self.ca_key)

    def init(
        self,
        store_name: str,
        *,
        currency: str = "CNY",
        store_id: str | None = None,
        broker_host: str = "pos-broker.local",
        broker_port: int = 8883,
    ) -> dict:
        if self.exists():
            raise HomeError(
                f"{self.root} already holds a store ({self.store().get('name')!r}); a second "
                "init would replace the owner key and lock out every enrolled terminal. Use "
                "another --home for another store."
            )
        store_id = check_store_id(store_id or "s" + uuid.uuid4().hex[:11])
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        key = pki.new_signing_key()
        pki.write_private(self.signing_key_file, pki.signing_key_pem(key))
        pub = pki.public_key_b64(key)
        pki.write_public(self.signing_pub_file, (pub + "\n").encode())
        ca = pki.new_ca(f"{store_name} POS CA")
        pki.write_private(self.ca_key, ca.key_pem)
        pki.write_public(self.ca_cert, ca.cert_pem)
        record = {
            "store_id": store_id,
            "name": store_name,
            "currency": currency,
            "owner_key": pub,
            "created_at": utc_now(),
            "broker_host": broker_host,
            "broker_port": broker_port,
        }
        self._write("store.json", record)
        self.issue_identity(OWNER_CN)
        self.write_crl()
        return record

    def issue_identity(self, cn: str) -> Path:
        """A client certificate for a service (collector, posctl); reused if already issued."""
        d = self.identity_dir(cn)
        if (d / "client.crt").exists():
            return d
        issued = self.ca().issue(cn)
        pki.write_private(d / "client.key", issued.key_pem)
        pki.write_public(d / "client.crt", issued.cert_pem)
        return d

    def write_crl(self) -> Path:
        pki.write_public(self.crl_file, self.ca().crl(self.revoked_serials()))
        return self.crl_file
