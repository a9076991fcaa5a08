"""The hardware profile an enrolment bundle carries, so a card comes up as the terminal it is
meant to be: real devices, full screen, the store's printer, drawer and scanners.

A profile is TOML with only the device sections (``[hardware] [ui] [printer] [drawer]
[scanner] [payments]``), read from ``posctl terminal enroll --profile FILE`` and/or built from
its flags (flags win). Without ``--simulated`` the profile is real: ``[hardware] simulated =
false`` and ``[ui] fullscreen = true``, and QR and card payments are ``none`` unless the profile
says otherwise (a real terminal refuses simulated payments at start). The whole bundle config is
checked against the terminal's own schema before anything is written.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioning.home import HomeError

SECTIONS = ("hardware", "ui", "printer", "drawer", "scanner", "payments")
"""What a profile may set; identity, store and link come from the owner's home."""


@dataclass(slots=True)
class ProfileFlags:
    simulated: bool = False
    profile: Path | None = None
    printer: str | None = None
    paper: str | None = None
    drawer: str | None = None
    scanners: list[str] = field(default_factory=list)
    scanner_serial: list[str] = field(default_factory=list)


def _int(text: str, what: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise HomeError(f"{what}: {text!r} is not a number") from None


def printer_section(spec: str) -> dict[str, Any]:
    """``usb:VID:PID`` (hex), ``network:HOST[:PORT]``, ``serial:DEVICE[@BAUD]`` or
    ``file:PATH``."""
    kind, _, rest = spec.partition(":")
    if kind == "usb":
        vid, _, pid = rest.partition(":")
        if not vid or not pid:
            raise HomeError(f"--printer {spec!r}: write usb:VENDOR:PRODUCT, e.g. usb:04b8:0202")
        return {"kind": "usb", "usb_vendor": _int("0x" + vid.removeprefix("0x"), "--printer"),
                "usb_product": _int("0x" + pid.removeprefix("0x"), "--printer")}
    if kind == "network" and rest:
        host, _, port = rest.rpartition(":") if rest.count(":") == 1 else (rest, "", "")
        out: dict[str, Any] = {"kind": "network", "host": host}
        if port:
            out["port"] = _int(port, "--printer port")
        return out
    if kind == "serial" and rest:
        device, _, baud = rest.partition("@")
        out = {"kind": "serial", "device": device}
        if baud:
            out["baudrate"] = _int(baud, "--printer baud rate")
        return out
    if kind == "file" and rest:
        return {"kind": "file", "device": rest}
    raise HomeError(
        f"--printer {spec!r}: write usb:VENDOR:PRODUCT, network:HOST[:PORT], "
        "serial:DEVICE[@BAUD] or file:PATH"
    )


def drawer_section(spec: str) -> dict[str, Any]:
    """``printer[:2|5]`` (the printer's kick connector) or ``gpio[:BCM_PIN]``."""
    kind, _, pin = spec.partition(":")
    if kind == "printer":
        return {"kind": "printer", **({"kick_pin": _int(pin, "--drawer")} if pin else {})}
    if kind == "gpio":
        return {"kind": "gpio", **({"gpio_pin": _int(pin, "--drawer")} if pin else {})}
    raise HomeError(f"--drawer {spec!r}: write printer[:2|5] or gpio[:BCM_PIN]")


def _read_profile(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise HomeError(f"--profile {path}: {exc}") from None
    extra = sorted(set(data) - set(SECTIONS))
    if extra:
        raise HomeError(
            f"--profile {path}: only {', '.join(SECTIONS)} belong in a hardware profile, "
            f"not {', '.join(extra)}"
        )
    if not all(isinstance(v, dict) for v in data.values()):
        raise HomeError(f"--profile {path}: every entry must be in a section")
    return data


def build_profile(flags: ProfileFlags) -> dict[str, dict[str, Any]]:
    """The profile's sections, from the file then the flags."""
    prof = _read_profile(flags.profile) if flags.profile else {}
    sections: dict[str, dict[str, Any]] = {name: dict(prof.get(name, {})) for name in SECTIONS}
    if flags.simulated:
        sections["hardware"]["simulated"] = True
    else:
        sections["hardware"].setdefault("simulated", False)
        sections["ui"].setdefault("fullscreen", True)
    if not sections["hardware"]["simulated"]:
        sections["payments"].setdefault("qr", "none")
        sections["payments"].setdefault("card", "none")
    if flags.printer:
        sections["printer"].update(printer_section(flags.printer))
    if flags.paper:
        sections["printer"]["profile"] = flags.paper
    if flags.drawer:
        sections["drawer"].update(drawer_section(flags.drawer))
    if flags.scanners:
        sections["scanner"]["devices"] = list(flags.scanners)
    if flags.scanner_serial:
        sections["scanner"]["serial_ports"] = list(flags.scanner_serial)
    return {k: v for k, v in sections.items() if v}


def _value(value: Any, key: str = "") -> str:
    if key.startswith("usb_") and isinstance(value, int):
        return f"0x{value:04x}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def profile_text(sections: dict[str, dict[str, Any]]) -> str:
    """The profile as TOML sections, to append to the bundle's config."""
    lines: list[str] = []
    for name, values in sections.items():
        lines += ["", f"[{name}]"]
        lines += [f"{k} = {_value(v, k)}" for k, v in values.items()]
    return "\n".join(lines) + "\n" if lines else ""


def describe(sections: dict[str, dict[str, Any]]) -> list[str]:
    """One line per device, for the enrol output."""
    hw = sections.get("hardware", {})
    if hw.get("simulated", True):
        return ["Hardware: simulated devices in a window (a bench or test terminal)."]
    printer = sections.get("printer", {})
    drawer = sections.get("drawer", {})
    scanner = sections.get("scanner", {})
    full = sections.get("ui", {}).get("fullscreen", False)
    lines = [f"Hardware: real devices, {'full screen' if full else 'in a window'}."]
    lines.append("  printer: " + (", ".join(f"{k}={_value(v, k)}" for k, v in printer.items())
                                  if printer.get("kind", "simulated") != "simulated"
                                  else "simulated (receipts go to a file in the data "
                                       "directory: give --printer)"))
    lines.append("  drawer: " + (", ".join(f"{k}={_value(v)}" for k, v in drawer.items())
                                 if drawer else "simulated (give --drawer)"))
    lines.append("  scanners: " + (", ".join(scanner.get("devices", [])
                                             + scanner.get("serial_ports", []))
                                   or "detected at start (USB keyboard-mode scanners)"))
    pay = sections.get("payments", {})
    qr, card = pay.get("qr", "simulated"), pay.get("card", "simulated")
    lines.append(f"  payments: qr={qr}, card={card}")
    return lines
