"""Doctor's cash drawer check: how the drawer is wired, the GPIO chips seen, and for a GPIO
drawer the header chip, its permissions and the GPIO library."""

from __future__ import annotations

from terminal.drivers.doctor.checks import Checkup
from terminal.drivers.drawer.gpiochip import header_chip


def _wiring_lines(c: Checkup) -> list[str]:
    drawer_cfg = c.section("drawer")
    dkind = c.drawer_kind
    body = [f"kind     {dkind}"]
    if dkind == "gpio":
        sensor = int(drawer_cfg.get("sensor_pin", -1))
        level = "high" if drawer_cfg.get("active_high", True) else "low"
        body.append(
            f"pin      BCM {drawer_cfg.get('gpio_pin', 17)}, active {level}, "
            f"pulse {drawer_cfg.get('pulse_ms', 100)} ms, "
            f"sensor {'BCM ' + str(sensor) if sensor >= 0 else 'none'}"
        )
    elif dkind == "printer":
        body.append(f"kick     printer connector pin {drawer_cfg.get('kick_pin', 2)}")
    return body


def check_drawer(c: Checkup) -> None:
    body = _wiring_lines(c)
    chips = c.probe.gpio_chips()
    head = header_chip(chips)
    for chip in chips:
        mark = "  <- 40-pin header" if chip is head else ""
        body.append(
            f"chip     {chip.path}  {chip.label or '?'} ({chip.lines} lines){mark}"
            if not chip.error
            else f"chip     {chip.path}  cannot query: {chip.error}"
        )
    c.report.sections.append(("Cash drawer", body))
    if c.drawer_kind != "gpio":
        return
    for n in c.probe.nodes("gpiochip*"):
        c.node_check(n, 6, "GPIO chip")
    if head is None:
        c.report.fail(
            "no GPIO chip labelled pinctrl-* (the 40-pin header) was found",
            "on a Raspberry Pi: check 'gpiodetect'; elsewhere use [drawer] kind = \"printer\"",
        )
    else:
        c.report.ok(f"header GPIO chip: {head.path} ({head.label})")
    lib = c.probe.gpio_library()
    if lib is None:
        c.report.fail(
            'RPi.GPIO is not installed (needed for [drawer] kind = "gpio")',
            "sudo apt install python3-rpi-lgpio   (or: pip install 'pos-terminal[pi]')",
        )
    else:
        c.report.ok(f"GPIO library: {lib}")
