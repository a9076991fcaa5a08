"""Doctor's scanner check: the input and serial devices seen, how each was classified, and
whether the service user may read them."""

from __future__ import annotations

from terminal.drivers.doctor.checks import Checkup
from terminal.drivers.doctor.probe import InputDeviceReport


def _device_lines(devices: list[InputDeviceReport]) -> list[str]:
    body = []
    for d in devices:
        label = d.links[0] if d.links else d.path
        if d.error:
            body.append(f"?        {label}: cannot open ({d.error})")
            continue
        tag = {"scanner": "SCANNER ", "keyboard": "keyboard", "other": "other   "}[d.kind]
        body.append(f'{tag} {label}  "{d.name}" {d.vendor:04x}:{d.product:04x}  {d.reason}')
    return body


def check_scanners(c: Checkup) -> None:
    devices = c.probe.input_devices()
    body = _device_lines(devices)
    scfg = c.section("scanner")
    body.append(
        f"config   layout {scfg.get('layout', 'us')}, char timeout "
        f"{scfg.get('char_timeout_ms', 50)} ms, auto-detect "
        f"{'on' if scfg.get('auto_detect', True) else 'off'}, devices "
        f"{', '.join(scfg.get('devices', [])) or '(any recognised scanner)'}"
    )
    body += [f"serial   {n.path}" for n in c.probe.nodes("serial/by-id/*")]
    c.report.sections.append(("Scanners and keyboards (/dev/input, /dev/serial)", body))
    for n in c.probe.nodes("input/event*"):
        c.node_check(n, 4, "input device")
    if devices and not any(d.kind == "scanner" for d in devices):
        c.report.warn(
            "no input device is recognised as a scanner",
            "plug the scanner in, or add its /dev/input/by-id/ path to [scanner] devices",
        )
    for port in c.section("scanner").get("serial_ports", []):
        serial = c.probe.node(str(port))
        if serial is None:
            c.report.fail(f"serial scanner {port} is not present", "check the cable and the path")
        else:
            c.node_check(serial, 6, "serial scanner")
