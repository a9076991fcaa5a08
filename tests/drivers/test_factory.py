"""Building the devices from configuration: a plain mapping and the real loaded Config."""

from __future__ import annotations

import importlib.util
import logging

import pytest

from terminal.core.clock import ManualClock
from terminal.core.ports import PaymentOutcome, ScanRead
from terminal.drivers.drawer import DrawerError
from terminal.drivers.drawer.gpio import GpioDrawer
from terminal.drivers.drawer.kick import PrinterKickDrawer
from terminal.drivers.drawer.simulated import SimulatedDrawer
from terminal.drivers.factory import (
    HardwareConfigError,
    build_card_terminal,
    build_devices,
    build_drawer,
    build_payment_provider,
    build_scan_source,
    section,
)
from terminal.drivers.payment.card import SimulatedCardTerminal
from terminal.drivers.payment.qr import SimulatedQrProvider
from terminal.drivers.scanner.evdev_source import EvdevScannerSource
from terminal.drivers.scanner.multi import MultiScanSource
from terminal.drivers.scanner.serial_source import SerialScannerSource
from terminal.drivers.scanner.simulated import SimulatedScanner

REAL = {
    "hardware": {"simulated": False},
    "scanner": {
        "devices": ["/dev/input/by-id/usb-Honeywell_1900-event-kbd", "05e0:1200"],
        "layout": "de",
        "char_timeout_ms": 40,
        "serial_ports": ["/dev/serial/by-id/usb-Datalogic-if00"],
    },
    "drawer": {"kind": "gpio", "gpio_pin": 18, "active_high": False, "pulse_ms": 80},
}


def test_simulated_everything_from_a_mapping(tmp_path):
    reads: list[ScanRead] = []
    changes: list[bool] = []
    dev = build_devices(
        {"hardware": {"simulated": True}, "drawer": {"kind": "gpio", "open_alert_s": 60}},
        tmp_path,
        ManualClock(),
        on_drawer_change=changes.append,
        on_drawer_left_open=lambda s: None,
    )
    try:
        assert isinstance(dev.scanner, SimulatedScanner)
        assert isinstance(dev.drawer, SimulatedDrawer)  # [hardware] simulated wins over kind
        assert isinstance(dev.payments, SimulatedQrProvider)
        assert isinstance(dev.card, SimulatedCardTerminal)
        assert dev.drawer_monitor is not None and dev.drawer_monitor.left_open_after == 60
        dev.scanner.start(reads.append)
        dev.scanner.inject_keys("4006381333931")
        assert reads == [ScanRead("4006381333931", "sim")]
        assert callable(getattr(dev.printer, "submit", None))
    finally:
        dev.close()
    assert dev.closers == []


def test_real_scanners_evdev_and_serial():
    src = build_scan_source(REAL)
    assert isinstance(src, MultiScanSource)
    evdev_src, serial_src = src.sources
    assert isinstance(evdev_src, EvdevScannerSource)
    assert evdev_src.decoder_settings.layout == "de"
    assert evdev_src.decoder_settings.char_timeout == pytest.approx(0.04)
    assert [str(s) for s in evdev_src.match.devices] == [
        "/dev/input/by-id/usb-Honeywell_1900-event-kbd",
        "05e0:1200",
    ]
    assert isinstance(serial_src, SerialScannerSource)
    assert serial_src.source == "serial:/dev/serial/by-id/usb-Datalogic-if00"


def test_real_gpio_drawer_without_gpio_library_logs_and_fails_on_open(caplog, monkeypatch):
    if importlib.util.find_spec("RPi") is not None:
        pytest.skip("RPi.GPIO is installed here")
    monkeypatch.setenv("RPI_LGPIO_CHIP", "0")  # keep the process environment as it was
    with caplog.at_level(logging.ERROR):
        drawer = build_drawer(REAL)
    assert isinstance(drawer, GpioDrawer)
    assert (drawer.pin, drawer.active_high, drawer.pulse) == (18, False, 0.08)
    assert "RPi.GPIO is not available" in caplog.text and "doctor" in caplog.text
    with pytest.raises(DrawerError, match="python3-rpi-lgpio"):
        drawer.open()


def test_printer_kick_drawer_needs_a_printer():
    class Printer:
        def kick_drawer(self, pin: int) -> None:
            self.pin = pin

    cfg = {"hardware": {"simulated": False}, "drawer": {"kind": "printer", "kick_pin": 5}}
    d = build_drawer(cfg, printer=Printer())
    assert isinstance(d, PrinterKickDrawer) and d.pin == 5
    with pytest.raises(HardwareConfigError, match=r"\[printer\]"):
        build_drawer(cfg)


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"scanner": {"layout": "dvorak"}}, r"\[scanner\] layout"),
        ({"scanner": {"devices": ["/dev/input/event3"]}}, r"\[scanner\] devices.*by-id"),
        ({"drawer": {"kind": "relay"}}, r"\[drawer\] kind"),
        ({"drawer": {"kind": "gpio", "pulse_ms": 5000}}, r"\[drawer\].*pulse_ms"),
        ({"drawer": {"kind": "gpio", "sensor_open_level": "up"}}, r"sensor_open_level"),
        ({"payments": {"qr": "alipay-live"}}, r"\[payments\] qr"),
        ({"hardware": {"simulated": True}, "payments": {"card_outcome": "maybe"}}, "card_outcome"),
    ],
)
def test_bad_configuration_names_the_key(cfg, message):
    cfg = {"hardware": {"simulated": False}, **cfg}
    with pytest.raises(HardwareConfigError, match=message):
        build_scan_source(cfg)
        build_drawer(cfg)
        build_payment_provider(cfg)
        build_card_terminal(cfg)


def test_payment_rules_from_configuration():
    p = build_payment_provider({"payments": {"qr_decline_suffixes": ["13"], "qr_max_amount": 100}})
    assert p.charge("134567890123456713", 10, "CNY", "s").outcome is PaymentOutcome.DECLINED
    assert p.charge("134567890123456780", 101, "CNY", "t").outcome is PaymentOutcome.DECLINED
    assert p.charge("134567890123456780", 100, "CNY", "u").outcome is PaymentOutcome.APPROVED
    card = build_card_terminal({"payments": {"card_outcome": "declined"}})
    assert card.charge(5, "CNY", "v").outcome is PaymentOutcome.DECLINED


def test_loaded_configuration_file(tmp_path):
    from terminal.config import load_config

    path = tmp_path / "pos-terminal.toml"
    path.write_text(
        "[hardware]\nsimulated = false\n\n"
        '[scanner]\nlayout = "fr"\nserial_ports = []\n\n'
        '[drawer]\nkind = "simulated"\n'
    )
    config = load_config(path)
    assert section(config, "scanner")["layout"] == "fr"
    src = build_scan_source(config)
    assert isinstance(src, EvdevScannerSource) and src.decoder_settings.layout == "fr"
    assert isinstance(build_drawer(config), SimulatedDrawer)
