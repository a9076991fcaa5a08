"""posctl commands that need no broker, on temporary owner directories: init, terminal enroll,
revoke and list, broker, watch and report, catalog files and badges, and --help everywhere."""

from __future__ import annotations

import argparse
import json
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from provisioning import pki
from provisioning.badge import CODE_ALPHABET, new_card_code, render_badge
from provisioning.catalog_csv import CatalogFileError, read_catalog
from provisioning.collector.db import CentralDB
from provisioning.collector.events import Event
from provisioning.home import OWNER_CN, Home, HomeError
from provisioning.posctl import build_parser, main
from terminal.config import load_config
from terminal.link import protocol as wire


def run(home: Path, *argv: str) -> int:
    return main(["--home", str(home), *argv])


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "owner"
    assert run(h, "init", "--store", "Corner Shop", "--store-id", "shop1") == 0
    return h


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _verify_chain(cert_pem: bytes, ca_pem: bytes) -> x509.Certificate:
    cert = x509.load_pem_x509_certificate(cert_pem)
    ca = x509.load_pem_x509_certificate(ca_pem)
    cert.verify_directly_issued_by(ca)
    return cert


def test_init_creates_keys_ca_and_store(home: Path) -> None:
    h = Home(home)
    store = h.store()
    assert store["store_id"] == "shop1" and store["name"] == "Corner Shop"
    for secret in (h.signing_key_file, h.ca_key, h.identity_dir(OWNER_CN) / "client.key"):
        assert _mode(secret) == 0o600, secret
    assert _mode(home) == 0o700
    signer = wire.Signer.from_pem(h.signing_key_file.read_bytes())
    assert wire.public_key_text(signer.public_key) == "ed25519:" + store["owner_key"]
    ca = x509.load_pem_x509_certificate(h.ca_cert.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    _verify_chain((h.identity_dir(OWNER_CN) / "client.crt").read_bytes(), h.ca_cert.read_bytes())


def test_second_init_is_refused_and_keeps_the_key(home: Path, capsys: Any) -> None:
    before = (home / "owner" / "signing.key").read_bytes()
    assert run(home, "init", "--store", "Again") == 1
    assert "lock out every enrolled terminal" in capsys.readouterr().err
    assert (home / "owner" / "signing.key").read_bytes() == before


def test_commands_before_init_say_to_run_init(tmp_path: Path, capsys: Any) -> None:
    assert run(tmp_path / "none", "terminal", "enroll", "t1") == 1
    assert "posctl init" in capsys.readouterr().err


def test_enroll_writes_a_bundle_the_terminal_can_load(home: Path) -> None:
    assert run(home, "broker", "--host", "broker.shop.lan") == 0
    assert run(home, "terminal", "enroll", "till-1") == 0
    h = Home(home)
    bundle = Path(h.terminals()["till-1"]["bundle"])
    assert sorted(p.name for p in bundle.iterdir()) == [
        "ca.crt",
        "client.crt",
        "client.key",
        "pos-terminal.toml",
        "seal.key",
    ]
    assert _mode(bundle / "client.key") == 0o600
    assert _mode(bundle / "seal.key") == 0o600
    cert = _verify_chain((bundle / "client.crt").read_bytes(), h.ca_cert.read_bytes())
    assert pki.cert_common_name((bundle / "client.crt").read_bytes()) == "till-1"
    key = pki.serialization.load_pem_private_key((bundle / "client.key").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    conf = tomllib.loads((bundle / "pos-terminal.toml").read_text())
    assert conf["link"]["host"] == "broker.shop.lan" and conf["link"]["port"] == 8883
    config = load_config(bundle / "pos-terminal.toml")
    assert config.terminal.id == "till-1"
    assert config.store.name == "Corner Shop"
    assert config.link.store == "shop1" and config.link.enabled
    owner = wire.TrustedKeys(config.link.owner_keys)
    assert owner.ids() == [wire.Signer.from_pem(h.signing_key_file.read_bytes()).key_id]


def test_enroll_again_keeps_the_certificate_and_updates_the_broker(home: Path) -> None:
    assert run(home, "terminal", "enroll", "till-1") == 0
    h = Home(home)
    serial = h.terminals()["till-1"]["serial"]
    assert run(home, "terminal", "enroll", "till-1", "--broker", "10.0.0.5:8884") == 0
    rec = h.terminals()["till-1"]
    assert rec["serial"] == serial and (rec["host"], rec["port"]) == ("10.0.0.5", 8884)


@pytest.mark.parametrize("bad", ["a/b", "t+1", "#", "svc.owner", "collector", "", "x" * 40])
def test_enroll_refuses_ids_that_break_topics_or_identities(
    home: Path, bad: str, capsys: Any
) -> None:
    assert run(home, "terminal", "enroll", bad) == 1
    assert "not allowed" in capsys.readouterr().err


def test_revoke_puts_the_serial_on_the_crl(home: Path, capsys: Any) -> None:
    assert run(home, "broker", "--host", "127.0.0.1") == 0
    assert run(home, "terminal", "enroll", "t1") == 0
    assert run(home, "terminal", "enroll", "t2") == 0
    h = Home(home)
    capsys.readouterr()
    assert run(home, "terminal", "revoke", "t1") == 0
    out = capsys.readouterr().out
    assert "restart mosquitto" in out
    crl = x509.load_pem_x509_crl((h.broker_dir / "crl.pem").read_bytes())
    ca = x509.load_pem_x509_certificate(h.ca_cert.read_bytes())
    assert crl.is_signature_valid(ca.public_key())
    revoked = {r.serial_number for r in crl}
    assert revoked == {int(h.terminals()["t1"]["serial"])}
    assert run(home, "terminal", "list") == 0
    listing = capsys.readouterr().out
    assert "revoked" in listing and "t2" in listing and "active" in listing


def test_broker_writes_config_certificate_and_acl(home: Path) -> None:
    assert (
        run(
            home,
            "broker",
            "--host",
            "broker.shop.lan",
            "--name",
            "192.168.1.10",
            "--collectors",
            "3",
            "--install-dir",
            "/etc/mosquitto/pos",
        )
        == 0
    )
    h = Home(home)
    conf = (h.broker_dir / "mosquitto.conf").read_text()
    assert "acl_file /etc/mosquitto/pos/acl" in conf
    assert "listener 8883" in conf and "require_certificate true" in conf
    server = _verify_chain((h.broker_dir / "server.crt").read_bytes(), h.ca_cert.read_bytes())
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "broker.shop.lan" in san.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["192.168.1.10"]
    assert _mode(h.broker_dir / "server.key") == 0o600
    acl = (h.broker_dir / "acl").read_text()
    assert f"pattern write {wire.TOPIC_ROOT}/shop1/%u/events" in acl
    assert f"pattern read {wire.TOPIC_ROOT}/shop1/%u/cmd" in acl
    for n in (1, 2, 3):
        assert (h.identity_dir(f"svc.collector.{n}") / "client.key").exists()
    # Running it again keeps the server certificate (a running broker keeps working).
    before = (h.broker_dir / "server.crt").read_bytes()
    assert run(home, "broker", "--host", "broker.shop.lan", "--name", "192.168.1.10") == 0
    assert (h.broker_dir / "server.crt").read_bytes() == before


def _subcommands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple]:
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _subcommands(sub, (*prefix, name))
    return found


def test_every_command_has_help(capsys: Any) -> None:
    commands = _subcommands(build_parser())
    assert ("card", "issue") in commands and ("catalog", "import") in commands
    for cmd in commands:
        with pytest.raises(SystemExit) as exc:
            main([*cmd, "--help"])
        assert exc.value.code == 0
        assert "usage: posctl" in capsys.readouterr().out


def test_report_and_watch_read_the_collector_database(
    home: Path, tmp_path: Path, capsys: Any
) -> None:
    url = str(tmp_path / "central.sqlite3")
    db = CentralDB(url).create()
    sale = {
        "sale_id": "s1",
        "staff_id": "c1",
        "currency": "CNY",
        "completed_at": "2026-01-05T03:00:00+00:00",
        "receipt_no": 7,
        "lines": [
            {
                "line_no": 1,
                "sku": "A",
                "name": "Tea",
                "qty_milli": 1000,
                "unit_price": 1250,
                "gross": 1250,
                "discount": 0,
                "net": 1250,
                "tax": 144,
            }
        ],
        "tenders": [{"kind": "cash", "amount": 1250, "tendered": 2000, "change": 750}],
        "subtotal": 1250,
        "discount_total": 0,
        "tax_total": 144,
        "total": 1250,
    }
    db.store(
        [
            Event(
                "shop1", "t1", 1, "u1", "2026-01-05T03:00:00+00:00", "sale.completed", "c1", sale
            ),
            Event(
                "shop1",
                "t1",
                2,
                "u2",
                "2026-01-05T03:01:00+00:00",
                "sale.voided",
                "c1",
                {"sale_id": "s2", "reason": "customer left"},
            ),
        ]
    )
    db.close()
    assert run(home, "report", "--db", url, "--by", "clerk") == 0
    out = capsys.readouterr().out
    assert "c1" in out and "12.50" in out
    assert run(home, "report", "--db", url, "--by", "day", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {
            "day": "2026-01-05",
            "sales_count": 1,
            "refunds_count": 0,
            "net_sales": 1250,
            "refunds_total": 0,
            "tax": 144,
            "discounts": 0,
            "by_tender": {"cash": 1250},
        }
    ]
    assert run(home, "watch", "--db", url, "--once") == 0
    out = capsys.readouterr().out
    assert "shop1/t1" in out and "sale.voided" in out and "12.50" in out


def test_report_without_a_database_says_where_to_point(home: Path, capsys: Any) -> None:
    assert run(home, "report") == 1
    assert "--db" in capsys.readouterr().err


# --- catalog files ------------------------------------------------------------------------------


def test_catalog_csv_reads_prices_units_stock_and_barcodes(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text(
        "\ufeffsku,name,name_zh,price,barcodes,unit,stock,open_price,active\n"
        "A1,Tea,茶,¥3.50,6901234567892|6901234567885,each,12,no,yes\n"
        "K1,Apples,苹果,12.8,,kg,3.250,,\n"
        "\n"
        "O1,Misc,杂项,0,,each,,yes,no\n",
        encoding="utf-8",
    )
    items = {i.sku: i for i in read_catalog(f).items}
    assert items["A1"].price == 350 and items["A1"].barcodes == ("6901234567892", "6901234567885")
    assert items["A1"].stock_milli == 12_000
    assert (items["K1"].price, items["K1"].unit, items["K1"].stock_milli) == (1280, "kg", 3250)
    assert items["O1"].open_price and not items["O1"].active and items["O1"].stock_milli is None


def test_catalog_csv_lists_every_bad_line(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text(
        "sku,name,price,unit,colour\n"
        "A1,Tea,3.505,each,red\n"
        "A2,Cake,abc,each,\n"
        "A3,Salt,1,litre,\n"
        "A3,Salt,1,each,\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogFileError) as exc:
        read_catalog(f)
    text = str(exc.value)
    assert "unknown column(s) colour" in text
    assert "line 2: price:" in text and "too many decimals" in text
    assert "line 3: price:" in text
    assert "line 4: unit: 'litre'" in text
    assert len(exc.value.problems) == 4  # the duplicate of a refused row is not reported again


def test_catalog_csv_missing_columns_and_encoding(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text("sku,title\nA,B\n", encoding="utf-8")
    with pytest.raises(CatalogFileError, match="missing column"):
        read_catalog(f)
    f.write_bytes("sku,name,price\nA,茶,1\n".encode("gb18030"))
    with pytest.raises(CatalogFileError, match="CSV UTF-8"):
        read_catalog(f)


# --- badges ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["qr", "code128"])
def test_badge_png(tmp_path: Path, kind: str) -> None:
    code = "STF" + new_card_code()
    assert all(c in CODE_ALPHABET for c in code[3:]) and len(code) == 15
    out = render_badge(
        tmp_path / f"{kind}.png",
        code=code,
        staff_name="王芳",
        staff_id="13800000001",
        store_name="Corner Shop",
        kind=kind,
    )
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == (1011, 638)
        grey = img.convert("L")
        # The code area is real black-on-white modules, not a blank card.
        dark = sum(grey.histogram()[:64])
        assert dark > 5_000


def test_card_codes_do_not_repeat() -> None:
    assert len({new_card_code() for _ in range(2000)}) == 2000


def test_each_posctl_run_holds_its_own_broker_identity(tmp_path: Path) -> None:
    from provisioning import broker as brokercfg
    from provisioning import owner_slot

    home = Home(tmp_path / "owner")
    home.init("Shop", store_id="shop1")
    brokercfg.generate(home, host="127.0.0.1")
    held = [owner_slot.claim(home) for _ in range(brokercfg.OWNER_SLOTS)]
    assert [s.cn for s in held] == ["svc.owner", "svc.owner.2", "svc.owner.3", "svc.owner.4"]
    acl = (home.broker_dir / "acl").read_text()
    assert all(f"user {s.cn}" in acl for s in held)
    with pytest.raises(HomeError, match="4 posctl runs are already connected"):
        owner_slot.claim(home)
    held[1].release()  # a run ends: its identity is free for the next
    again = owner_slot.claim(home)
    assert again.cn == "svc.owner.2"
    for s in (*held, again):
        s.release()


def test_collectors_started_from_the_home_use_the_stores_secret_group(tmp_path: Path) -> None:
    from provisioning import broker as brokercfg
    from provisioning.collector.__main__ import build_parser, group_name

    home = Home(tmp_path / "owner")
    home.init("Shop", store_id="shop1")
    brokercfg.generate(home, host="127.0.0.1")
    group = brokercfg.collector_group(home)
    assert group.startswith("collectors-") and len(group) == len("collectors-") + 32
    for ident in ("svc.collector.1", "svc.collector.2"):
        args = build_parser().parse_args(["--home", str(home.root), "--identity", ident])
        assert group_name(args) == group
    # Regenerating the broker files keeps the group the running collectors use.
    brokercfg.generate(home, host="127.0.0.1", collectors=3)
    args = build_parser().parse_args(["--home", str(home.root), "--identity", "svc.collector.3"])
    assert group_name(args) == group
    # The name is not written where terminals or the broker's files could show it.
    files = [p for p in home.broker_dir.rglob("*") if p.is_file()]
    assert "acl" in {p.name for p in files}
    assert not any(group in p.read_text(errors="ignore") for p in files)
    assert group_name(build_parser().parse_args(["--group", "g1"])) == "g1"
