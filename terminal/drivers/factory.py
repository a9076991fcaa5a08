"""Builds the devices from the configuration: scan source, cash drawer (with its sensor monitor),
receipt printer, QR payment provider and card terminal. The composition root calls
``build_devices`` once; the single ``build_*`` functions are there for ``doctor`` and tests.

``config`` is the loaded ``terminal.config.Config`` (sections as attributes) or a plain mapping of
section name to mapping, so tests and tools need not write a TOML file. Keys missing from a
section take the defaults documented in docs/configuration.md. ``[hardware] simulated = true``
puts scanner, drawer and printer on their simulated twins whatever their own sections say;
payments follow ``[payments]``, and a simulated payment back end is refused when the hardware
is not simulated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terminal.core.ports import CardTerminal, CashDrawer, Clock, PaymentProvider, ScanSource
from terminal.drivers.drawer import DrawerError
from terminal.drivers.drawer.gpio import GpioDrawer
from terminal.drivers.drawer.kick import PrinterKickDrawer
from terminal.drivers.drawer.monitor import DrawerMonitor
from terminal.drivers.drawer.simulated import SimulatedDrawer
from terminal.drivers.payment.card import SimulatedCardTerminal
from terminal.drivers.payment.qr import QrRules, SimulatedQrProvider
from terminal.drivers.scanner.decoder import DecoderSettings
from terminal.drivers.scanner.evdev_source import EvdevScannerSource, StatusCallback
from terminal.drivers.scanner.identify import ScannerMatch
from terminal.drivers.scanner.layouts import get_layout
from terminal.drivers.scanner.multi import MultiScanSource
from terminal.drivers.scanner.serial_source import SerialScannerSource
from terminal.drivers.scanner.simulated import SimulatedScanner

log = logging.getLogger(__name__)


class HardwareConfigError(ValueError):
    """A device section names something that cannot be built; the message names the key."""


def section(config: Any, name: str) -> dict[str, Any]:
    """One section as a plain dict, from a ``Config`` or a mapping; {} when absent."""
    if isinstance(config, Mapping):
        return dict(config.get(name) or {})
    try:
        values = getattr(config, name)
    except AttributeError:
        return {}
    as_dict = getattr(values, "as_dict", None)
    return dict(as_dict()) if callable(as_dict) else dict(vars(values))


def is_simulated(config: Any) -> bool:
    return bool(section(config, "hardware").get("simulated", True))


# -- scanners -------------------------------------------------------------------------------------


def decoder_settings(config: Any) -> DecoderSettings:
    s = section(config, "scanner")
    layout = str(s.get("layout", "us"))
    try:
        get_layout(layout)
    except ValueError as exc:
        raise HardwareConfigError(f"[scanner] layout: {exc}") from None
    timeout_ms = int(s.get("char_timeout_ms", 50))
    if timeout_ms <= 0:
        raise HardwareConfigError(f"[scanner] char_timeout_ms must be positive, not {timeout_ms}")
    return DecoderSettings(
        layout=layout, char_timeout=timeout_ms / 1000, min_length=int(s.get("min_length", 1))
    )


def scanner_match(config: Any) -> ScannerMatch:
    s = section(config, "scanner")
    try:
        return ScannerMatch.from_config(
            devices=list(s.get("devices", [])),
            exclude=list(s.get("exclude", [])),
            auto_detect=bool(s.get("auto_detect", True)),
        )
    except ValueError as exc:
        raise HardwareConfigError(f"[scanner] devices: {exc}") from None


def build_scan_source(
    config: Any, *, simulated: bool | None = None, on_status: StatusCallback | None = None
) -> ScanSource:
    """Not started: the caller starts it with its ``on_read``. Simulated: a ``SimulatedScanner``
    (``inject``, ``inject_keys``, ``inject_garbage``, ``unplug``, ``replug``)."""
    sim = is_simulated(config) if simulated is None else simulated
    settings = decoder_settings(config)
    if sim:
        return SimulatedScanner("sim", layout=settings.layout, on_status=on_status)
    s = section(config, "scanner")
    sources: list[ScanSource] = []
    if bool(s.get("evdev", True)):
        sources.append(
            EvdevScannerSource(
                scanner_match(config),
                settings,
                grab=bool(s.get("grab", True)),
                on_status=on_status,
            )
        )
    baud = int(s.get("serial_baudrate", 9600))
    for port in s.get("serial_ports", []):
        sources.append(
            SerialScannerSource(
                str(port),
                baudrate=baud,
                char_timeout=settings.char_timeout,
                min_length=settings.min_length,
                on_status=on_status,
            )
        )
    return sources[0] if len(sources) == 1 else MultiScanSource(sources)


# -- drawer ---------------------------------------------------------------------------------------


def build_drawer(config: Any, *, printer: Any = None, simulated: bool | None = None) -> CashDrawer:
    """A GPIO drawer is set up at once, so its output sits at the safe level from start-up; if
    the GPIO cannot be claimed the error is logged and raised again on the first ``open``."""
    sim = is_simulated(config) if simulated is None else simulated
    d = section(config, "drawer")
    kind = "simulated" if sim else str(d.get("kind", "simulated"))
    if kind == "simulated":
        return SimulatedDrawer(has_sensor=True)
    if kind == "printer":
        if printer is None:
            raise HardwareConfigError('[drawer] kind = "printer" needs a configured [printer]')
        try:
            return PrinterKickDrawer(printer, int(d.get("kick_pin", 2)))
        except (ValueError, DrawerError) as exc:
            raise HardwareConfigError(f"[drawer] kick_pin: {exc}") from None
    if kind == "gpio":
        sensor = int(d.get("sensor_pin", -1))
        level = str(d.get("sensor_open_level", "high"))
        if level not in ("high", "low"):
            raise HardwareConfigError(
                f'[drawer] sensor_open_level must be "high" or "low", not {level!r}'
            )
        try:
            drawer = GpioDrawer(
                int(d.get("gpio_pin", 17)),
                active_high=bool(d.get("active_high", True)),
                pulse_ms=int(d.get("pulse_ms", 100)),
                sensor_pin=sensor if sensor >= 0 else None,
                sensor_open_high=level == "high",
                debounce_ms=int(d.get("debounce_ms", 30)),
            )
        except ValueError as exc:
            raise HardwareConfigError(f"[drawer] {exc}") from None
        try:
            drawer.setup()
        except DrawerError as exc:
            log.error("cash drawer: %s (pos-terminal doctor shows how to fix it)", exc)
        return drawer
    raise HardwareConfigError(f"[drawer] kind must be simulated, gpio or printer, not {kind!r}")


# -- payments -------------------------------------------------------------------------------------


def build_payment_provider(config: Any) -> PaymentProvider:
    """Refuses the simulated provider on real hardware: a simulator there would "approve"
    payments that move no money."""
    p = section(config, "payments")
    kind = str(p.get("qr", "simulated"))
    # The live adapters (and their HTTP and crypto libraries) load only for a store using them.
    if kind == "none":
        from terminal.drivers.payment.live import NoQrProvider

        return NoQrProvider()
    if kind == "live":
        from terminal.drivers.payment.credentials import SecretsError
        from terminal.drivers.payment.setup import build_live_qr

        try:
            return build_live_qr(p)
        except (SecretsError, ValueError) as exc:
            raise HardwareConfigError(f'[payments] qr = "live": {exc}') from None
    if kind != "simulated":
        raise HardwareConfigError(
            f"[payments] qr: no provider {kind!r}; available: live, none, simulated"
        )
    if not is_simulated(config):
        raise HardwareConfigError(
            '[payments] qr = "simulated" with [hardware] simulated = false: payment codes '
            'would be approved and no money would move. Set qr = "live" (docs/payments.md), '
            'or qr = "none" if this store takes no WeChat Pay or Alipay'
        )
    max_amount = p.get("qr_max_amount")
    return SimulatedQrProvider(
        QrRules(
            decline_suffixes=tuple(p.get("qr_decline_suffixes", ("0000",))),
            timeout_suffixes=tuple(p.get("qr_timeout_suffixes", ("9999",))),
            max_amount=int(max_amount) if max_amount else None,
        )
    )


def build_card_terminal(config: Any) -> CardTerminal:
    p = section(config, "payments")
    kind = str(p.get("card", "simulated"))
    if kind == "none":
        from terminal.drivers.payment.live import NoCardTerminal

        return NoCardTerminal()
    if kind != "simulated":
        raise HardwareConfigError(
            f"[payments] card: no terminal {kind!r}; available: none, simulated"
        )
    if not is_simulated(config):
        raise HardwareConfigError(
            '[payments] card = "simulated" with [hardware] simulated = false: card payments '
            'would be approved and no money would move. Set card = "none" if this store '
            "takes no cards"
        )
    outcome = str(p.get("card_outcome", "approved"))
    try:
        return SimulatedCardTerminal(outcome)
    except ValueError:
        raise HardwareConfigError(
            f"[payments] card_outcome must be approved, declined or timeout, not {outcome!r}"
        ) from None


def live_payments(config: Any) -> list[str]:
    """What takes real money, for the screen and doctor: ["WeChat Pay", "Alipay"], [] when
    nothing does (simulated or none)."""
    p = section(config, "payments")
    if str(p.get("qr", "simulated")) != "live":
        return []
    from terminal.drivers.payment.live import WALLET_NAMES

    return [WALLET_NAMES[w] for w in p.get("qr_wallets", ["wechat", "alipay"]) if w in WALLET_NAMES]


# -- everything -----------------------------------------------------------------------------------


def build_printer(config: Any, data_dir: Path, clock: Clock, *, simulated: bool | None = None):
    """The printer engineer's ``build_printer`` for the [printer] section (started)."""
    from terminal.drivers.printer import build_printer as _build

    sim = is_simulated(config) if simulated is None else simulated
    return _build(section(config, "printer"), data_dir, clock, sim)


@dataclass
class Devices:
    printer: Any
    drawer: CashDrawer
    scanner: ScanSource
    payments: PaymentProvider
    card: CardTerminal
    drawer_monitor: DrawerMonitor | None
    closers: list[Callable[[], None]] = field(default_factory=list)
    """Call in reverse order at shutdown (``close``)."""

    def close(self) -> None:
        while self.closers:
            fn = self.closers.pop()
            try:
                fn()
            except Exception:
                log.exception("closing a device failed")


def build_devices(
    config: Any,
    data_dir: Path,
    clock: Clock,
    *,
    on_scanner_status: StatusCallback | None = None,
    on_drawer_change: Callable[[bool], None] | None = None,
    on_drawer_left_open: Callable[[float], None] | None = None,
) -> Devices:
    """Everything, built and started except the scan source (start it with the UI's
    ``on_read``). The drawer monitor runs when both drawer callbacks are given and the drawer
    has a sensor; its callbacks come on the monitor's thread."""
    closers: list[Callable[[], None]] = []
    try:
        printer = build_printer(config, data_dir, clock)
        closers.append(printer.stop)
        drawer = build_drawer(config, printer=printer)
        if isinstance(drawer, GpioDrawer):
            closers.append(drawer.close)
        monitor = None
        try:
            has_sensor = drawer.is_open() is not None
        except DrawerError:
            has_sensor = True  # a configured sensor whose GPIO is not ready yet
        if has_sensor and on_drawer_change is not None and on_drawer_left_open is not None:
            d = section(config, "drawer")
            monitor = DrawerMonitor(
                drawer,
                clock,
                left_open_after=float(d.get("open_alert_s", 120)),
                on_change=on_drawer_change,
                on_left_open=on_drawer_left_open,
            )
            monitor.start()
            closers.append(monitor.stop)
        scanner = build_scan_source(config, on_status=on_scanner_status)
        return Devices(
            printer=printer,
            drawer=drawer,
            scanner=scanner,
            payments=build_payment_provider(config),
            card=build_card_terminal(config),
            drawer_monitor=monitor,
            closers=closers,
        )
    except BaseException:
        for fn in reversed(closers):
            fn()
        raise
