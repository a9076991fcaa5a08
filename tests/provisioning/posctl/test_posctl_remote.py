"""posctl against a live terminal: the terminal is built from its real parts (SQLite ledger,
catalog, staff store and services, command intake, outbox relay) from the bundle ``posctl
terminal enroll`` wrote, connected over TLS to mosquitto running the configuration and ACL
``posctl broker`` wrote. posctl commands run as the owner types them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from link.live_terminal import LiveTerminal
from link.test_broker_generated import StoreEnv, make_store, wait_until

from provisioning.posctl import main as posctl
from terminal.config import load_config
from terminal.core.rights import Right, Verdict
from terminal.link import protocol as wire

pytestmark = pytest.mark.link


@pytest.fixture
def env(tmp_path: Path) -> Iterator[StoreEnv]:
    e = make_store(tmp_path, terminals=("t1", "t2"))
    try:
        yield e
    finally:
        e.close()


@pytest.fixture
def tills(env: StoreEnv, tmp_path: Path) -> Iterator[dict[str, LiveTerminal]]:
    live = {t: LiveTerminal(env, t, tmp_path / f"data-{t}") for t in ("t1", "t2")}
    try:
        yield live
    finally:
        for t in live.values():
            t.close()


def run(env: StoreEnv, *argv: str) -> int:
    return posctl(["--home", str(env.home.root), *argv])


def test_bundle_is_a_valid_terminal_configuration(env: StoreEnv) -> None:
    bundle = Path(env.home.terminals()["t1"]["bundle"])
    config = load_config(bundle / "pos-terminal.toml")
    assert config.terminal.id == "t1"
    assert config.link.enabled is True
    assert config.link.cert == "/etc/pos-terminal/client.crt"
    owner = wire.public_key_text(env.home.signing_key().public_key())
    assert config.link.owner_keys == [owner]


def test_staff_add_card_issue_and_pin_reset_let_the_clerk_log_in(
    env: StoreEnv, tills: dict[str, LiveTerminal], capsys: Any, tmp_path: Path
) -> None:
    assert run(env, "staff", "add", "13800000001", "--name", "王芳", "--role", "cashier") == 0
    out = capsys.readouterr().out
    assert "t1: add 13800000001: done" in out and "t2: add 13800000001: done" in out
    pin = re.search(r"Initial PIN for .*: (\d+)", out).group(1)

    badge = tmp_path / "badge.png"
    assert run(env, "card", "issue", "13800000001", "--out", str(badge)) == 0
    out = capsys.readouterr().out
    code = re.search(r"Card code for .*: (\S+)", out).group(1)
    assert badge.stat().st_size > 1000 and badge.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    for t in tills.values():
        member, cred = t.staff.auth.verify(pin, card=code)
        assert member.staff_id == "13800000001" and member.name == "王芳"
        assert cred.must_change  # an initial PIN

    assert run(env, "reset-pin", "13800000001", "-t", "t1") == 0
    out = capsys.readouterr().out
    new_pin = re.search(r"New initial PIN for .*: (\d+)", out).group(1)
    assert tills["t1"].staff.auth.verify(new_pin, card=code)[0].staff_id == "13800000001"
    # Only t1 was asked: t2 still has the first PIN.
    assert tills["t2"].staff.auth.verify(pin, card=code)[0].staff_id == "13800000001"

    assert run(env, "staff", "list") == 0
    listing = capsys.readouterr().out
    assert "13800000001" in listing and "王芳" in listing and "cashier" in listing


def test_staff_edit_role_and_suspend(
    env: StoreEnv, tills: dict[str, LiveTerminal], capsys: Any
) -> None:
    assert run(env, "staff", "add", "s1", "--name", "Li", "--role", "cashier") == 0
    assert run(env, "staff", "edit", "s1", "--name", "Li Lei", "--contact", "139") == 0
    assert run(env, "role", "set", "s1", "supervisor") == 0
    assert run(env, "staff", "suspend", "s1", "--reason", "audit") == 0
    for t in tills.values():
        m = t.staff.directory.member("s1")
        assert (m.name, m.contact, m.role, m.status.value) == (
            "Li Lei",
            "139",
            "supervisor",
            "suspended",
        )
    assert run(env, "staff", "suspend", "s1", "--lift") == 0
    assert tills["t1"].staff.directory.member("s1").status.value == "active"


def test_refused_command_prints_the_terminals_reason(
    env: StoreEnv, tills: dict[str, LiveTerminal], capsys: Any
) -> None:
    assert run(env, "staff", "add", "s2", "--name", "Wu", "--role", "no_such_role", "-t", "t1") == 1
    captured = capsys.readouterr()
    assert "t1: add s2: refused" in captured.out
    assert "no_such_role" in captured.err and "[invalid]" in captured.err
    assert tills["t1"].staff.directory.member("s2") is None


def test_unknown_terminal_and_missing_staff_say_what_to_do(env: StoreEnv, capsys: Any) -> None:
    assert run(env, "reset-pin", "nobody") == 1
    assert "posctl staff add nobody" in capsys.readouterr().err
    assert run(env, "staff", "add", "x1", "--name", "X", "--role", "cashier", "-t", "t9") == 1
    assert "posctl terminal enroll t9" in capsys.readouterr().err


def test_a_command_for_an_offline_terminal_is_applied_when_it_returns(
    env: StoreEnv, tmp_path: Path, capsys: Any
) -> None:
    till = LiveTerminal(env, "t1", tmp_path / "t1")
    till.close()  # it has been online once, so the broker keeps its session
    # posctl waits, says what happened and what happens next, and shows the PIN all the same.
    assert (
        run(
            env,
            "staff",
            "add",
            "s3",
            "--name",
            "Zhao",
            "--role",
            "cashier",
            "-t",
            "t1",
            "--timeout",
            "1",
        )
        == 1
    )
    captured = capsys.readouterr()
    assert "no reply within 1 s" in captured.err and "posctl commands retry" in captured.err
    pin = re.search(r"Initial PIN for .*: (\d+)", captured.out).group(1)
    assert run(env, "staff", "list") == 0
    assert "s3" in capsys.readouterr().out
    till = LiveTerminal(env, "t1", tmp_path / "t1")
    try:
        assert wait_until(lambda: till.staff.directory.member("s3") is not None)
        assert run(env, "card", "issue", "s3", "-t", "t1", "--out", str(tmp_path / "b.png")) == 0
        code = re.search(r"Card code for .*: (\S+)", capsys.readouterr().out).group(1)
        assert till.staff.auth.verify(pin, card=code)[0].name == "Zhao"
    finally:
        till.close()


def test_catalog_import_reaches_every_terminal(
    env: StoreEnv, tills: dict[str, LiveTerminal], tmp_path: Path, capsys: Any
) -> None:
    csv = tmp_path / "catalog.csv"
    rows = ["sku,name,name_zh,price,barcodes,unit,stock"]
    rows += [f"A{n:04d},Item {n},商品{n},{n}.50,690{n:010d},each,5" for n in range(1, 251)]
    rows.append("K1,Apples,苹果,12.80,,kg,3.250")
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert run(env, "catalog", "import", str(csv), "--chunk", "100", "--tax", "standard=1300") == 0
    captured = capsys.readouterr()
    assert "251 items in 3 chunks" in captured.out
    assert "3/3" in captured.err  # the progress bar reached the end
    for t in tills.values():
        assert t.catalog.count() == 251
        apples = t.catalog.by_sku("K1")
        assert (apples.price, apples.unit, apples.stock_milli) == (1280, "kg", 3250)
        assert t.catalog.by_barcode(f"690{7:010d}").sku == "A0007"


def test_catalog_import_rejects_a_bad_file_before_sending(
    env: StoreEnv, tmp_path: Path, capsys: Any
) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("sku,name,price\nA1,Tea,3.5\nA1,Tea again,4\nA2,,x\n", encoding="utf-8")
    assert run(env, "catalog", "import", str(csv)) == 1
    err = capsys.readouterr().err
    assert "line 3: sku 'A1' already on line 2" in err
    assert "line 4: name: empty" in err


def test_first_catalog_import_on_a_fresh_till_names_the_missing_tax_rate(
    env: StoreEnv, tmp_path: Path, capsys: Any
) -> None:
    csv = tmp_path / "catalog.csv"
    csv.write_text("sku,name,price\nTEA,Tea,3.50\n", encoding="utf-8")
    till = LiveTerminal(env, "t1", tmp_path / "data-t1")
    try:
        # Refused before anything is sent: no version used, nothing half-applied.
        assert run(env, "catalog", "import", str(csv), "-t", "t1") == 1
        err = capsys.readouterr().err
        assert "tax class 'standard' with no rate yet" in err and "--tax standard=" in err
        assert "run again" not in err.lower()
        assert "catalog_version" not in env.home.settings()
        assert till.catalog.count() == 0

        # t2 never runs: the import fails for it and keeps its version for the next run.
        timeout = ["--timeout", "1"]
        tax = ["--tax", "standard=1300"]
        assert run(env, "catalog", "import", str(csv), *tax, *timeout) == 1
        captured = capsys.readouterr()
        assert "catalog version 1" in captured.out and "t1: catalog version 1: done" in captured.out
        assert "keeps version 1" in captured.err
        assert till.catalog.by_sku("TEA").price == 350
        assert env.home.settings().get("catalog_version", 0) == 0

        # Remembered tax rate; the same version again; it counts once every terminal has it.
        assert run(env, "catalog", "import", str(csv), "-t", "t1") == 0
        assert "catalog version 1" in capsys.readouterr().out
        assert env.home.settings()["catalog_version"] == 1
    finally:
        till.close()


def test_settings_are_applied(env: StoreEnv, tills: dict[str, LiveTerminal]) -> None:
    assert run(env, "settings", "cash_rounding_step=10", "store_name=Corner Shop", "-t", "t2") == 0
    assert tills["t2"].settings_seen[-1]["cash_rounding_step"] == 10
    assert tills["t2"].settings_seen[-1]["store_name"] == "Corner Shop"
    assert tills["t1"].settings_seen == []


def test_settings_that_would_stop_the_till_are_refused(
    env: StoreEnv, tills: dict[str, LiveTerminal], capsys: Any
) -> None:
    for bad in ("timezone=Mars/Olympus", "language=xx", "cash_rounding_step=ten"):
        assert run(env, "settings", bad, "-t", "t2") == 1, bad
        captured = capsys.readouterr()
        assert "t2: settings: refused" in captured.out, bad
    assert tills["t2"].settings_seen == []
    assert run(env, "settings", "timezone=Europe/Berlin", "language=en", "-t", "t2") == 0
    assert tills["t2"].settings_seen[-1] == {"timezone": "Europe/Berlin", "language": "en"}


def test_card_revoke_and_role_define(
    env: StoreEnv, tills: dict[str, LiveTerminal], capsys: Any, tmp_path: Path
) -> None:
    from terminal.core.auth import LoginFailed

    assert run(env, "staff", "add", "s4", "--name", "Sun", "--role", "cashier", "-t", "t1") == 0
    pin = re.search(r"Initial PIN for .*: (\d+)", capsys.readouterr().out).group(1)
    assert (
        run(
            env,
            "card",
            "issue",
            "s4",
            "--kind",
            "code128",
            "-t",
            "t1",
            "--out",
            str(tmp_path / "b.png"),
        )
        == 0
    )
    code = re.search(r"Card code for .*: (\S+)", capsys.readouterr().out).group(1)
    auth = tills["t1"].staff.auth
    assert auth.verify(pin, card=code)[0].staff_id == "s4"
    assert run(env, "card", "revoke", "s4", "-t", "t1") == 0
    with pytest.raises(LoginFailed):
        auth.verify(pin, card=code)

    assert (
        run(
            env,
            "role",
            "define",
            "night_cashier",
            "--base",
            "cashier",
            "--grant",
            "drawer.no_sale=allow",
            "-t",
            "t1",
        )
        == 0
    )
    assert run(env, "role", "set", "s4", "night_cashier", "-t", "t1") == 0
    directory = tills["t1"].staff.directory
    assert directory.member("s4").role == "night_cashier"
    role = directory.stored_role("night_cashier")
    assert role is not None and role.grants[Right.NO_SALE].verdict is Verdict.ALLOW
    assert run(env, "role", "define", "x", "--grant", "no.such=allow", "-t", "t1") == 1
    assert "RIGHT=allow|approval|deny" in capsys.readouterr().err
