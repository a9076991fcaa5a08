"""The live QR provider from configuration: the secrets file (0600, never echoed), no
simulated back end on real hardware, doctor's payments section and clock check, and a live
provider built from config paying through the emulators."""

from __future__ import annotations

import argparse
import io
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from terminal.core.ports import PaymentOutcome
from terminal.drivers.doctor import doctor_command
from terminal.drivers.doctor.payments import try_payments
from terminal.drivers.factory import (
    HardwareConfigError,
    build_card_terminal,
    build_payment_provider,
    live_payments,
)
from terminal.drivers.payment.credentials import SecretsError, load_secrets
from terminal.drivers.payment.live import LiveQrProvider, NoCardTerminal, NoQrProvider
from tests.drivers.payment import emulator_wechat
from tests.drivers.payment.conftest import write_private
from tests.drivers.payment.emulator_alipay import AlipayEmulator
from tests.drivers.payment.emulator_wechat import WeChatEmulator
from tests.drivers.payment.tls import EmulatorCA
from tests.drivers.test_doctor import CONFIG, Machine

WECHAT_CODE, ALIPAY_CODE = "134567890123456781", "28765432109876543"


def test_secrets_load_and_never_show_the_keys(secrets_file: Path) -> None:
    s = load_secrets(secrets_file)
    assert s.wechat is not None and s.alipay is not None
    assert s.wechat.mch_id == emulator_wechat.MCH_ID
    assert emulator_wechat.API_KEY not in repr(s) and "PRIVATE" not in repr(s)


def test_secrets_readable_by_others_are_refused(secrets_file: Path) -> None:
    secrets_file.chmod(0o640)
    with pytest.raises(SecretsError, match=r"mode 0640.*chmod 600"):
        load_secrets(secrets_file)


def test_a_key_file_readable_by_others_is_refused(secrets_file: Path, tmp_path: Path) -> None:
    (tmp_path / "app.key").chmod(0o644)
    with pytest.raises(SecretsError, match=r"app\.key: mode 0644"):
        load_secrets(secrets_file, ("alipay",))
    assert load_secrets(secrets_file, ("wechat",)).alipay is None


def test_missing_fields_are_named(tmp_path: Path) -> None:
    f = write_private(tmp_path / "p.toml", '[wechat]\nappid = "wx1"\nmch_id = "1"\n')
    with pytest.raises(SecretsError, match=r"\[wechat\] api_key is missing"):
        load_secrets(f, ("wechat",))
    with pytest.raises(SecretsError, match=r"no \[alipay\] table"):
        load_secrets(f, ("alipay",))


def _live_config(secrets_file: Path, ca: EmulatorCA, wechat: str, alipay: str) -> dict[str, Any]:
    return {
        "hardware": {"simulated": False},
        "payments": {
            "qr": "live",
            "card": "none",
            "secrets_file": str(secrets_file),
            "ca_file": str(ca.ca),
            "wechat_url": wechat,
            "alipay_url": alipay + "/gateway.do",
            "qr_deadline_s": 0.5,
            "qr_poll_s": 0.05,
            "qr_reverse_after_s": 0.1,
            "read_timeout_s": 0.5,
        },
    }


def test_live_provider_from_configuration_pays_both_wallets(
    secrets_file: Path,
    ca: EmulatorCA,
    wechat_emu: WeChatEmulator,
    alipay_emu: AlipayEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    cfg = _live_config(secrets_file, ca, wechat_emu.url, alipay_emu.url)
    qr = build_payment_provider(cfg)
    assert isinstance(qr, LiveQrProvider) and qr.live() == ["WeChat Pay", "Alipay"]
    assert isinstance(build_card_terminal(cfg), NoCardTerminal)
    assert live_payments(cfg) == ["WeChat Pay", "Alipay"]
    w = qr.charge(WECHAT_CODE, 1000, "CNY", "sale-1", 1)
    a = qr.charge(ALIPAY_CODE, 1000, "CNY", "sale-1", 2)
    assert (w.outcome, a.outcome) == (PaymentOutcome.APPROVED, PaymentOutcome.APPROVED)
    assert (w.provider, a.provider) == ("wechat", "alipay")
    assert qr.refund("refund-1", w.reference, 400).outcome is PaymentOutcome.APPROVED
    assert qr.refund("refund-1", a.reference, 400).outcome is PaymentOutcome.APPROVED
    assert wechat_emu.orders[w.reference].refunded == 400
    assert sum(alipay_emu.trades[a.reference].refunds.values()) == 400
    assert qr.charge("4006381333931", 100, "CNY", "s", 1).outcome is not PaymentOutcome.APPROVED
    assert emulator_wechat.API_KEY not in caplog.text


def test_only_the_configured_wallets_are_taken(
    secrets_file: Path, ca: EmulatorCA, wechat_emu: WeChatEmulator
) -> None:
    cfg = _live_config(secrets_file, ca, wechat_emu.url, "https://127.0.0.1:9")
    cfg["payments"]["qr_wallets"] = ["wechat"]
    qr = build_payment_provider(cfg)
    r = qr.charge(ALIPAY_CODE, 100, "CNY", "sale-1")
    assert r.outcome is PaymentOutcome.DECLINED and r.message == "this store does not take Alipay"


@pytest.mark.parametrize("key", ["qr", "card"])
def test_simulated_payments_on_real_hardware_refuse_to_start(key: str) -> None:
    cfg = {
        "hardware": {"simulated": False},
        "payments": {"qr": "none", "card": "none", key: "simulated"},
    }
    build = build_payment_provider if key == "qr" else build_card_terminal
    with pytest.raises(HardwareConfigError, match=f'{key} = "simulated".*no money would move'):
        build(cfg)
    cfg["hardware"]["simulated"] = True
    build(cfg)  # the demo and the simulator keep their simulated money


def test_a_store_without_qr_or_cards_says_so() -> None:
    cfg = {"hardware": {"simulated": False}, "payments": {"qr": "none", "card": "none"}}
    qr = build_payment_provider(cfg)
    assert isinstance(qr, NoQrProvider) and live_payments(cfg) == []
    assert qr.charge(WECHAT_CODE, 100, "CNY", "s").message == "this store takes no QR payments"


def test_live_with_an_unreadable_secrets_file_is_a_configuration_error(
    secrets_file: Path, ca: EmulatorCA
) -> None:
    secrets_file.chmod(0o644)
    cfg = _live_config(secrets_file, ca, "https://127.0.0.1:9", "https://127.0.0.1:9")
    with pytest.raises(HardwareConfigError, match=r'qr = "live".*mode 0644'):
        build_payment_provider(cfg)


class Clocked(Machine):
    def __init__(self, now: datetime, synced: bool | None) -> None:
        super().__init__()
        self._now, self._synced = now, synced

    def clock_now(self) -> datetime:
        return self._now

    def clock_synchronized(self) -> bool | None:
        return self._synced

    def uid_of(self, user: str) -> int | None:
        import os

        return os.getuid()


def _doctor(probe: Machine, config: dict[str, Any]) -> str:
    out = io.StringIO()
    doctor_command(argparse.Namespace(test=[]), probe=probe, config=config, out=out)
    return out.getvalue()


def test_doctor_shows_live_providers_and_checks_credentials_and_clock(
    secrets_file: Path, ca: EmulatorCA
) -> None:
    payments = _live_config(secrets_file, ca, "x", "y")["payments"]
    cfg = {**CONFIG, "payments": payments}
    text = _doctor(Clocked(datetime(2026, 12, 4, tzinfo=UTC), True), cfg)
    assert "QR       live: WeChat Pay, Alipay" in text and "card     none" in text
    assert f"OK    payment credentials load from {secrets_file}" in text
    assert "NTP synchronised" in text and emulator_wechat.API_KEY not in text
    text = _doctor(Clocked(datetime(2020, 1, 1, tzinfo=UTC), None), cfg)
    assert "WARN  the clock says 2020-01-01" in text
    text = _doctor(Clocked(datetime(2026, 12, 4, tzinfo=UTC), False), cfg)
    assert "WARN  the clock is not synchronised" in text
    secrets_file.chmod(0o604)
    text = _doctor(Clocked(datetime(2026, 12, 4, tzinfo=UTC), True), cfg)
    assert "FAIL  payment credentials:" in text and "chmod 600" in text


def test_doctor_fails_simulated_payments_on_real_hardware() -> None:
    cfg = {**CONFIG, "payments": {}}
    text = _doctor(Clocked(datetime(2026, 12, 4, tzinfo=UTC), True), cfg)
    assert 'FAIL  [payments] qr = "simulated" on real hardware' in text
    assert 'FAIL  [payments] card = "simulated" on real hardware' in text
    assert "(no money moves)" in text


def test_doctor_test_payments_asks_each_provider_without_moving_money(
    secrets_file: Path, ca: EmulatorCA, wechat_emu: WeChatEmulator, alipay_emu: AlipayEmulator
) -> None:
    cfg = _live_config(secrets_file, ca, wechat_emu.url, alipay_emu.url)
    out = io.StringIO()
    assert try_payments(cfg, out) is True
    assert out.getvalue().splitlines() == [
        "WeChat Pay: OK (signed answer, credentials accepted)",
        "Alipay: OK (signed answer, credentials accepted)",
    ]
    assert wechat_emu.orders == {} and alipay_emu.trades == {}
    out = io.StringIO()
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert try_payments(cfg, out, now=lambda: later) is False
    assert re.search(r"WeChat Pay: WARNING: the local clock is \+30[01] s off", out.getvalue())


def test_doctor_test_payments_fails_on_an_unreachable_provider(
    secrets_file: Path, ca: EmulatorCA, wechat_emu: WeChatEmulator
) -> None:
    cfg = _live_config(secrets_file, ca, wechat_emu.url, "https://127.0.0.1:9")
    out = io.StringIO()
    assert try_payments(cfg, out) is False
    assert "WeChat Pay: OK" in out.getvalue() and "Alipay: FAILED: " in out.getvalue()


def test_run_refuses_to_start_on_simulated_payments_with_real_hardware(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from terminal import cli
    from terminal.app import run

    started: list[object] = []
    monkeypatch.setattr(run, "start_app", started.append)
    config = tmp_path / "pos-terminal.toml"
    config.write_text(
        f'[terminal]\nid = "T01"\ndata_dir = "{tmp_path / "data"}"\n'
        "[hardware]\nsimulated = false\n",
        encoding="utf-8",
    )
    assert cli.main(["run", "--config", str(config)]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert f'configuration error: {config}: [payments] qr = "simulated" with [hardware]' in err
    assert "no money would move" in err
    assert started == [] and not (tmp_path / "data").exists()


def test_the_cli_offers_the_payments_test() -> None:
    from terminal import cli

    args = cli.build_parser().parse_args(["doctor", "--test", "payments"])
    assert args.test == ["payments"]
