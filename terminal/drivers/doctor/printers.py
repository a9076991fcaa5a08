"""Doctor's printer check: USB receipt printers and their device nodes, a network printer's
port, a serial or file printer's device."""

from __future__ import annotations

import stat

from terminal.drivers.doctor.checks import Checkup

ESCPOS_VENDORS: dict[int, str] = {
    0x04B8: "Epson",
    0x0519: "Star Micronics",
    0x1D90: "Citizen",
    0x1504: "Bixolon",
    0x154F: "SNBC",
    0x0DD4: "Custom",
    0x0416: "Winbond (Xprinter and other generic 58/80 mm printers)",
    0x0FE6: "ICS Advent (generic 80 mm printers)",
}
"""USB vendor ids seen on ESC/POS receipt printers. Any device with a USB printer-class
interface (class 7) is listed too, whatever its vendor."""


def _usb_lines(c: Checkup) -> list[str]:
    body = []
    for u in c.probe.usb_devices():
        maker = ESCPOS_VENDORS.get(u.vendor)
        if maker is None and not u.printer_class:
            continue
        what = maker or "USB printer class"
        body.append(
            f"USB      {u.vendor:04x}:{u.product:04x}  {u.manufacturer} {u.name}  ({what})".rstrip()
        )
    return body


def _check_configured(c: Checkup, body: list[str]) -> None:
    """The printer the configuration names, when it is on the network or a device path."""
    p = c.section("printer")
    kind = str(p.get("kind", "simulated"))
    if kind == "network" and p.get("host"):
        host, port = str(p["host"]), int(p.get("port", 9100))
        why = c.probe.tcp_reachable(host, port)
        body.append(f"network  {host}:{port}  {why or 'reachable'}")
        if why:
            c.report.fail(
                f"network printer {host}:{port} unreachable ({why})",
                f"check the printer's power and cable, then: nc -vz {host} {port}",
            )
        else:
            c.report.ok(f"network printer {host}:{port} answers")
    elif kind in ("serial", "file") and p.get("device"):
        n = c.probe.node(str(p["device"]))
        if n is None:
            c.report.fail(f"printer device {p['device']} is not present", "check the cable")
        else:
            c.node_check(n, 6, "printer")


def check_printers(c: Checkup) -> None:
    body = _usb_lines(c)
    lp_nodes = c.probe.nodes("usb/lp*")
    body += [f"device   {n.path}  {n.owner}:{n.group} {stat.filemode(n.mode)}" for n in lp_nodes]
    for n in lp_nodes:
        c.node_check(n, 6, "USB printer")
    _check_configured(c, body)
    c.report.sections.append(("Printers", body))
