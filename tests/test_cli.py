"""``pos-terminal``: dispatch, ledger verify, reports, and errors that say what is wrong."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
from ledger.builders import post_sale, sale

from terminal import cli
from terminal.core.clock import ManualClock
from terminal.ledger.db import ledger_path, open_ledger


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "pos-terminal.toml"
    path.write_text(
        '[terminal]\nid = "T01"\ndata_dir = "data"\nlanguage = "en"\n'
        '[store]\nname = "Corner Shop"\n',
        encoding="utf-8",
    )
    return path


def _day(data_dir: Path) -> None:
    led = open_ledger(ledger_path(data_dir), "T01", ManualClock())
    led.post("shift.opened", {"shift_id": "s1", "opening_float": 5000}, staff_id="u1")
    post_sale(led, sale(2, shift_id="s1"))  # 300
    totals = led.totals(since_last_z=True)
    led.post(
        "report.z",
        {"from_seq": 1, "to_seq": 2, "totals": totals.to_payload()},
        staff_id="m1",
        series="z",
    )
    post_sale(led, sale(1, shift_id="s1", tenders=[("qr", 100)]))  # 100, after the Z
    led.close()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["version"]) == 0
    assert capsys.readouterr().out.startswith("pos-terminal ")


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main([])
    assert caught.value.code == 2


def test_ledger_verify_uses_the_configured_data_dir(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _day(config.parent / "data")
    assert cli.main(["--config", str(config), "ledger", "verify"]) == 0
    assert "ledger OK" in capsys.readouterr().out
    assert cli.main(["ledger", "verify", "--config", str(config)]) == 0
    assert "ledger OK" in capsys.readouterr().out
    other = config.parent / "elsewhere"
    assert cli.main(["--config", str(config), "ledger", "verify", "--data-dir", str(other)]) == 1
    assert "no ledger file here" in capsys.readouterr().err


def test_report_x_json_is_the_open_shift_or_the_day(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _day(config.parent / "data")
    assert cli.main(["--config", str(config), "report", "x", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["report"], data["scope"], data["shift_id"]) == ("x", "shift", "s1")
    assert data["terminal_id"] == "T01"
    assert data["totals"]["net_sales"] == 400
    assert data["totals"]["expected_cash"] == 5000 + 300
    assert cli.main(["--config", str(config), "report", "x", "--day", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["scope"], data["shift_id"]) == ("day", None)
    assert data["totals"]["net_sales"] == 100
    assert data["totals"]["by_tender"] == {"qr": 100}


def test_report_z_reads_the_last_or_a_numbered_z(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _day(config.parent / "data")
    assert cli.main(["--config", str(config), "report", "z", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["number"], data["from_seq"], data["to_seq"]) == (1, 1, 2)
    assert data["totals"]["net_sales"] == 300
    assert data["totals"]["opening_float"] == 5000
    assert cli.main(["--config", str(config), "report", "z", "--number", "1"]) == 0
    text = capsys.readouterr().out
    assert "DUPLICATE" in text.upper() or "副本" in text
    assert "Corner Shop" in text and "#1" in text and "3.00" in text
    assert cli.main(["--config", str(config), "report", "z", "--number", "2"]) == 1
    assert "no Z report #2" in capsys.readouterr().err


def test_report_x_text(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _day(config.parent / "data")
    assert cli.main(["--config", str(config), "report", "x"]) == 0
    text = capsys.readouterr().out
    assert "X" in text and "4.00" in text


def test_report_without_a_ledger(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--config", str(config), "report", "x"]) == 1
    assert "no ledger at" in capsys.readouterr().err
    assert not ledger_path(config.parent / "data").exists()


def test_broken_config_names_key_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[printer]\nport = "9100"\n', encoding="utf-8")
    assert cli.main(["--config", str(path), "report", "x"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2: printer.port: expected a whole number" in err


def test_run_demo_and_doctor_delegate(monkeypatch: pytest.MonkeyPatch, config: Path) -> None:
    calls = []
    app = types.ModuleType("terminal.app.run")
    app.run_command = lambda args: calls.append(("run", args.data_dir)) or 0
    app.demo_command = lambda args: calls.append(("demo", args.config)) or 3
    doctor = types.ModuleType("terminal.drivers.doctor")
    doctor.doctor_command = lambda args: calls.append(("doctor", None))
    monkeypatch.setitem(sys.modules, "terminal.app.run", app)
    monkeypatch.setitem(sys.modules, "terminal.drivers.doctor", doctor)
    assert cli.main(["run", "--data-dir", "/x"]) == 0
    assert cli.main(["--config", str(config), "demo"]) == 3
    assert cli.main(["doctor"]) == 0
    assert calls == [("run", "/x"), ("demo", str(config)), ("doctor", None)]


def test_missing_subsystem_gets_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    handler = cli._delegate("terminal.not_built_yet", "go", "frobnicate")
    assert handler(cli.build_parser().parse_args(["version"])) == 2
    assert "frobnicate is not available" in capsys.readouterr().err


def test_run_with_overlapping_prefixes_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from terminal.app import run

    monkeypatch.setattr(run, "start_app", lambda terminal: pytest.fail("the app started"))
    path = tmp_path / "pos-terminal.toml"
    path.write_text('[store]\nprice_prefixes = ["20","22"]\n', encoding="utf-8")
    assert cli.main(["--config", str(path), "run"]) == 2
    err = capsys.readouterr().err
    assert f"configuration error: {path}:2: store.price_prefixes: prefix 20 is in both" in err
    assert "Traceback" not in err
