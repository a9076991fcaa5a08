"""Receipt printers: ESC/POS through python-escpos over network, serial, device file or USB,
plus a simulated twin, all behind one spooling owner thread per printer.

``build_printer`` is what the composition root calls; see docs/hardware.md for the settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from terminal.core.ports import Clock
from terminal.drivers.printer.profile import ProfileError, get_profile
from terminal.drivers.printer.render import Renderer
from terminal.drivers.printer.service import PrinterStopped, RetryPolicy, SpoolingPrinter
from terminal.drivers.printer.simulated import SimulatedPrinter
from terminal.drivers.printer.spool import Spool
from terminal.drivers.printer.transports import (
    DeviceFileTransport,
    NetworkTransport,
    SerialTransport,
    Transport,
    TransportError,
    UsbTransport,
)

__all__ = [
    "PrinterConfigError",
    "PrinterStopped",
    "SimulatedPrinter",
    "SpoolingPrinter",
    "TransportError",
    "build_printer",
    "build_transport",
]

KINDS = ("simulated", "network", "serial", "file", "usb")


class PrinterConfigError(ValueError):
    """A [printer] setting is missing or invalid; the message names the key."""


def _get(section: Any, key: str, default: Any = None) -> Any:
    if section is None:
        return default
    if isinstance(section, Mapping):
        value = section.get(key, default)
    else:
        value = getattr(section, key, default)
    # The config schema's "not set" is an empty string (device, host, logo).
    return default if value is None or value == "" else value


def _usb_id(section: Any, key: str) -> int:
    raw = _get(section, key)
    if raw is None or raw == 0:
        raise PrinterConfigError(f'[printer] {key} is required for kind = "usb"')
    if isinstance(raw, int):
        return raw
    try:
        return int(str(raw), 16)
    except ValueError:
        raise PrinterConfigError(
            f'[printer] {key} must be a hex USB id like "04b8", got {raw!r}'
        ) from None


def _number(section: Any, key: str, default: float) -> float:
    raw = _get(section, key, default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise PrinterConfigError(f"[printer] {key} must be a number, got {raw!r}") from None
    if value < 0:
        raise PrinterConfigError(f"[printer] {key} must not be negative, got {raw!r}")
    return value


def build_transport(section: Any) -> Transport:
    """The device link for a real printer's [printer] section."""
    kind = str(_get(section, "kind", "simulated"))
    timeout_s = _number(section, "timeout_s", 5.0)
    if kind == "network":
        host = _get(section, "host")
        if not host:
            raise PrinterConfigError('[printer] host is required for kind = "network"')
        return NetworkTransport(str(host), int(_number(section, "port", 9100)), timeout_s)
    if kind == "serial":
        return SerialTransport(
            str(_get(section, "device", "/dev/ttyUSB0")),
            baudrate=int(_number(section, "baudrate", 9600)),
            timeout_s=timeout_s,
            rtscts=bool(_get(section, "rtscts", False)),
        )
    if kind == "file":
        return DeviceFileTransport(str(_get(section, "device", "/dev/usb/lp0")), timeout_s)
    if kind == "usb":
        return UsbTransport(
            _usb_id(section, "usb_vendor"), _usb_id(section, "usb_product"), timeout_s
        )
    raise PrinterConfigError(f"[printer] kind must be one of {', '.join(KINDS)}, got {kind!r}")


def build_printer(section: Any, data_dir: Path, clock: Clock, simulated: bool) -> SpoolingPrinter:
    """The started printer for a [printer] config section (a mapping or any object with the
    keys as attributes). ``simulated`` (or kind = "simulated") gives the simulated printer,
    writing to ``<data_dir>/printer/out.bin`` and ``preview.txt``. The spool lives in
    ``<data_dir>/printer/spool.sqlite3``. Call ``stop()`` at shutdown.
    """
    kind = str(_get(section, "kind", "simulated"))
    if kind not in KINDS:
        raise PrinterConfigError(f"[printer] kind must be one of {', '.join(KINDS)}, got {kind!r}")
    logo = _get(section, "logo")
    font_path = _get(section, "font_path")
    try:
        profile = get_profile(
            str(_get(section, "profile", "80mm")),
            text_mode=_get(section, "text_mode"),
            code_page=_get(section, "code_page"),
            chinese_font=_get(section, "chinese_font"),
            qr_native=_get(section, "qr_native"),
            cutter=_get(section, "cutter"),
            logo=Path(logo) if logo else None,
            font_path=Path(font_path) if font_path else None,
        )
    except ProfileError as e:
        raise PrinterConfigError(f"[printer] {e}") from e
    directory = Path(data_dir) / "printer"
    spool = Spool(directory / "spool.sqlite3")
    renderer = Renderer(profile)
    printer: SpoolingPrinter
    if simulated or kind == "simulated":
        printer = SimulatedPrinter(renderer=renderer, spool=spool, clock=clock, directory=directory)
    else:
        try:
            transport = build_transport(section)
        except PrinterConfigError:
            spool.close()
            raise
        printer = SpoolingPrinter(
            transport=transport,
            renderer=renderer,
            spool=spool,
            clock=clock,
            retry=RetryPolicy(settle_s=_number(section, "settle_s", 0.3)),
            status_query=bool(_get(section, "status_query", True)),
            name=transport.name,
        )
    printer.start()
    return printer
