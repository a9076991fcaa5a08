"""Enrolling and revoking terminals.

``enroll`` issues the terminal's client certificate (CN = terminal id) and writes the bundle to
copy onto the SD card's boot partition as the folder ``pos-terminal/``; on first boot
``pos-firstboot`` moves it to ``/etc/pos-terminal`` (see ``image-build/``):

    pos-terminal/pos-terminal.toml   [terminal] id, [store] name and currency, [link] broker,
                                     certificate paths and the trusted owner key, and the
                                     hardware profile (``provisioning.profile``)
    pos-terminal/ca.crt              the store CA (to check the broker)
    pos-terminal/client.crt          this terminal's certificate
    pos-terminal/client.key          its private key (0600 here; 0640 root:pos on the Pi)
    pos-terminal/seal.key            its X25519 key that opens the PINs and card codes posctl
                                     seals to it (0600 here; 0640 root:pos on the Pi); posctl
                                     keeps only the public half, in terminals.json

``revoke`` puts the certificate's serial on the CRL. The broker refuses the certificate once
mosquitto runs with the new ``crl.pem`` (copy it and restart mosquitto: ``posctl terminal
revoke`` prints the exact step); the ACL needs no change because it grants by pattern, and the
terminal id stays burnt: it cannot be enrolled again.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from provisioning import pki
from provisioning.broker import broker_address
from provisioning.home import Home, HomeError, check_terminal_id, utc_now
from terminal.link import protocol as wire
from terminal.link import sealing

INSTALL_DIR = "/etc/pos-terminal"
"""Where pos-firstboot puts the bundle on the Pi; the config names its files there."""
SEAL_KEY_FILE = "seal.key"


@dataclass(frozen=True, slots=True)
class Bundle:
    dir: Path
    config: Path
    serial: int


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def config_text(
    home: Home,
    terminal_id: str,
    *,
    host: str,
    port: int,
    install_dir: str = INSTALL_DIR,
) -> str:
    store = home.store()
    owner = wire.public_key_text(
        wire.Signer.from_pem(home.signing_key_file.read_bytes()).public_key
    )
    link = {
        "enabled": "true",
        "host": _toml_str(host),
        "port": str(port),
        "ca": _toml_str(f"{install_dir}/ca.crt"),
        "cert": _toml_str(f"{install_dir}/client.crt"),
        "key": _toml_str(f"{install_dir}/client.key"),
        "seal_key": _toml_str(f"{install_dir}/{SEAL_KEY_FILE}"),
        "owner_keys": f"[{_toml_str(owner)}]",
        "store": _toml_str(store["store_id"]),
    }
    lines = [
        f"# Written by `posctl terminal enroll {terminal_id}` on {utc_now()}.",
        "# Every other key keeps its default; see docs/configuration.md.",
        "",
        "[terminal]",
        f"id = {_toml_str(terminal_id)}",
        "",
        "[store]",
        f"name = {_toml_str(store['name'])}",
        f"currency = {_toml_str(store.get('currency', 'CNY'))}",
        "",
        "[link]",
    ]
    lines += [f"{k} = {v}" for k, v in link.items()]
    return "\n".join(lines) + "\n"


def enroll(
    home: Home,
    terminal_id: str,
    *,
    out: Path | None = None,
    host: str | None = None,
    port: int | None = None,
    install_dir: str = INSTALL_DIR,
    profile: str = "",
) -> Bundle:
    """``profile``: the hardware profile's TOML sections (``provisioning.profile``); empty,
    the terminal's defaults (simulated devices) apply."""
    check_terminal_id(terminal_id)
    home.require()
    terminals = home.terminals()
    rec = terminals.get(terminal_id)
    if rec is not None and rec.get("revoked_at"):
        raise HomeError(
            f"terminal {terminal_id!r} was revoked on {rec['revoked_at']}; a revoked id is never "
            "reused. Enrol the replacement under a new id (e.g. "
            f"{terminal_id}-2)"
        )
    default_host, default_port = broker_address(home)
    host = host or default_host
    port = port or default_port
    # Checked before a certificate is issued, so a wrong profile leaves nothing behind.
    text = config_text(home, terminal_id, host=host, port=port, install_dir=install_dir)
    text += profile
    _check_config(text)
    bundle = Path(out) if out is not None else home.terminal_dir(terminal_id) / "pos-terminal"
    retired: dict[str, str] = dict((rec or {}).get("retired", {}))
    if rec is not None:
        # Enrolling again rewrites the config (say, a new broker address) and keeps the
        # certificate, copied from where the last bundle was written.
        src = Path(rec["bundle"])
        if src.resolve() != bundle.resolve() and (src / "client.crt").exists():
            bundle.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / "client.crt", bundle / "client.crt")
            pki.write_private(bundle / "client.key", (src / "client.key").read_bytes())
            if (src / SEAL_KEY_FILE).exists():
                pki.write_private(bundle / SEAL_KEY_FILE, (src / SEAL_KEY_FILE).read_bytes())
    if not (bundle / "client.crt").exists():
        issued = home.ca().issue(terminal_id)
        pki.write_private(bundle / "client.key", issued.key_pem)
        pki.write_public(bundle / "client.crt", issued.cert_pem)
    serial = pki.cert_serial((bundle / "client.crt").read_bytes())
    seal_public = _seal_key(bundle)
    if rec is not None and int(rec["serial"]) != serial:
        # The old certificate was lost and replaced: it must stop working.
        retired[str(rec["serial"])] = utc_now()
    pki.write_public(bundle / "ca.crt", home.ca_cert.read_bytes())
    config = bundle / "pos-terminal.toml"
    config.write_text(text, encoding="utf-8")
    terminals[terminal_id] = {
        **(rec or {}),
        "serial": serial,
        "enrolled_at": (rec or {}).get("enrolled_at") or utc_now(),
        "bundle": str(bundle.resolve()),
        "host": host,
        "port": port,
        "retired": retired,
        "seal_key": seal_public,
    }
    home.save_terminals(terminals)
    if retired:
        home.write_crl()
    return Bundle(bundle, config, serial)


def _check_config(text: str) -> None:
    """The bundle's config is checked by the terminal's own schema here, not found wrong at the
    shop on first boot."""
    from terminal.config import ConfigError, parse_config

    try:
        parse_config(text)
    except ConfigError as exc:
        raise HomeError(f"the terminal would refuse this configuration: {exc}") from None


def _seal_key(bundle: Path) -> str:
    """The bundle's sealing key, made on first enrolment (and for a terminal enrolled before
    sealing existed); its public half, which posctl seals secrets to."""
    path = bundle / SEAL_KEY_FILE
    if path.exists():
        try:
            key = sealing.load_private_key(path)
        except sealing.SealError as exc:
            raise HomeError(f"{exc}; delete it and enrol again to make a new one") from None
    else:
        key = sealing.generate_key()
        pki.write_private(path, sealing.private_pem(key))
    return sealing.public_key_text(key)


def seal_key_of(home: Home, terminal_id: str) -> str | None:
    """The terminal's sealing public key, or None when it was enrolled before sealing."""
    key = home.terminals().get(terminal_id, {}).get("seal_key")
    return key if isinstance(key, str) and key else None


def revoke(home: Home, terminal_id: str) -> Path:
    """Revoke the terminal's certificate; returns the new CRL. Idempotent."""
    check_terminal_id(terminal_id)
    terminals = home.terminals()
    rec = terminals.get(terminal_id)
    if rec is None:
        raise HomeError(
            f"terminal {terminal_id!r} is not enrolled here (`posctl terminal list` shows them)"
        )
    if not rec.get("revoked_at"):
        rec["revoked_at"] = utc_now()
        home.save_terminals(terminals)
    crl = home.write_crl()
    broker_crl = home.broker_dir / "crl.pem"
    if broker_crl.parent.exists():
        pki.write_public(broker_crl, crl.read_bytes())
        return broker_crl
    return crl


def active_terminals(home: Home) -> list[str]:
    return sorted(t for t, rec in home.terminals().items() if not rec.get("revoked_at"))
