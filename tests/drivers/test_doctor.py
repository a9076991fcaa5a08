"""``pos-terminal doctor`` on described machines: a healthy one, then one missing each
permission, each time with the exact fix."""

from __future__ import annotations

import argparse
import io
import stat
import subprocess
from dataclasses import dataclass, field

import pytest

from terminal.drivers.doctor import add_arguments, doctor_command
from terminal.drivers.doctor.checks import shipped_rules_path
from terminal.drivers.doctor.probe import InputDeviceReport, Node, Probe, UsbDevice
from terminal.drivers.drawer.gpiochip import GpioChip

SCANNER = "/dev/input/by-id/usb-Honeywell_Imaging___Mobility_1900-event-kbd"
KEYBOARD = "/dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd"
CHR = stat.S_IFCHR


@dataclass
class Machine(Probe):
    """A probe answering from a description instead of the live system."""

    name: str = "pos"
    member_of: set[str] = field(default_factory=lambda: {"pos", "input", "lp", "dialout", "gpio"})
    groups: set[str] = field(default_factory=lambda: {"pos", "input", "lp", "dialout", "gpio"})
    rules: str | None = "shipped"
    """The installed rules file's text; "shipped" copies the repository's; None: not installed."""
    inputs: list[InputDeviceReport] = field(
        default_factory=lambda: [
            InputDeviceReport(SCANNER, (SCANNER,), "Honeywell 1900", 0x0C2E, 0x0B61, "scanner",
                              "USB vendor Honeywell (Metrologic)"),
            InputDeviceReport(KEYBOARD, (KEYBOARD,), "Logitech USB Keyboard", 0x046D, 0xC31C,
                              "keyboard", "no configured path, scanner vendor or scanner name"),
        ]
    )  # fmt: skip
    usb: list[UsbDevice] = field(
        default_factory=lambda: [
            UsbDevice("/sys/bus/usb/devices/1-1.3", 0x04B8, 0x0E28, "EPSON", "TM-T20III", True),
            UsbDevice("/sys/bus/usb/devices/1-1.4", 0x046D, 0xC31C, "Logitech", "Keyboard"),
        ]
    )
    dev_nodes: dict[str, list[Node]] = field(
        default_factory=lambda: {
            "input/event*": [
                Node("/dev/input/event3", "root", "input", CHR | 0o660),
                Node("/dev/input/event4", "root", "input", CHR | 0o660),
            ],
            "usb/lp*": [Node("/dev/usb/lp0", "root", "lp", CHR | 0o660)],
            "gpiochip*": [Node("/dev/gpiochip0", "root", "gpio", CHR | 0o660)],
            "serial/by-id/*": [
                Node("/dev/serial/by-id/usb-Datalogic-if00", "root", "dialout", CHR | 0o660)
            ],
        }
    )
    chips: list[GpioChip] = field(
        default_factory=lambda: [
            GpioChip("/dev/gpiochip0", 0, "pinctrl-rp1", 54),
            GpioChip("/dev/gpiochip10", 10, "gpio-brcmstb@107d508500", 32),
        ]
    )
    library: str | None = "rpi-lgpio"
    unreachable: str = ""
    paths: dict[str, Node] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rules == "shipped":
            shipped = shipped_rules_path()
            assert shipped is not None
            self.rules = shipped.read_text()

    def user(self) -> str:
        return self.name

    def groups_of(self, user: str) -> set[str]:
        return set(self.member_of)

    def group_exists(self, name: str) -> bool:
        return name in self.groups

    def input_devices(self) -> list[InputDeviceReport]:
        return list(self.inputs)

    def usb_devices(self) -> list[UsbDevice]:
        return list(self.usb)

    def nodes(self, pattern: str) -> list[Node]:
        return list(self.dev_nodes.get(pattern, []))

    def node(self, path: str) -> Node | None:
        return self.paths.get(path)

    def gpio_chips(self) -> list[GpioChip]:
        return list(self.chips)

    def installed_rules(self) -> str | None:
        return self.rules

    def gpio_library(self) -> str | None:
        return self.library

    def tcp_reachable(self, host: str, port: int, timeout: float = 2.0) -> str:
        return self.unreachable


CONFIG = {
    "hardware": {"simulated": False},
    "scanner": {"serial_ports": ["/dev/serial/by-id/usb-Datalogic-if00"]},
    "printer": {"kind": "network", "host": "192.168.1.50", "port": 9100},
    "drawer": {"kind": "gpio", "gpio_pin": 17, "sensor_pin": 27},
    "payments": {"qr": "none", "card": "none"},
}
SERIAL = Node("/dev/serial/by-id/usb-Datalogic-if00", "root", "dialout", CHR | 0o660)


def run(machine: Machine, config=CONFIG) -> tuple[int, str]:
    out = io.StringIO()
    if SERIAL.path not in machine.paths:
        machine.paths[SERIAL.path] = SERIAL
    rc = doctor_command(argparse.Namespace(test=[]), probe=machine, config=config, out=out)
    return rc, out.getvalue()


def test_healthy_setup_lists_devices_and_passes():
    rc, text = run(Machine())
    assert rc == 0, text
    assert "All checks passed." in text
    assert f'SCANNER  {SCANNER}  "Honeywell 1900" 0c2e:0b61' in text
    assert f"keyboard {KEYBOARD}" in text
    assert "config   layout us, char timeout 50 ms, auto-detect on, devices (any" in text
    assert "serial   /dev/serial/by-id/usb-Datalogic-if00" in text
    assert "04b8:0e28  EPSON TM-T20III  (Epson)" in text
    assert "Logitech" not in text.split("Printers")[1].split("Cash drawer")[0]
    assert "/dev/usb/lp0" in text
    assert "network  192.168.1.50:9100  reachable" in text
    assert "/dev/gpiochip0  pinctrl-rp1 (54 lines)  <- 40-pin header" in text
    assert "pin      BCM 17, active high, pulse 100 ms, sensor BCM 27" in text
    assert "FAIL" not in text and "WARN" not in text


@pytest.mark.parametrize("group", ["input", "lp", "dialout", "gpio"])
def test_each_missing_group_gives_the_usermod_command(group):
    m = Machine(member_of={"pos", "input", "lp", "dialout", "gpio"} - {group})
    rc, text = run(m)
    assert rc == 1
    assert f"FAIL  pos is not in group(s) {group} ({group}: " in text
    assert f"fix: sudo usermod -aG {group} pos" in text
    assert "fix: sudo systemctl restart pos-terminal" in text
    # The nodes that group owns are unreadable too, and say which group fixes them.
    if group == "input":
        assert (
            "cannot read /dev/input/event3 (input device; owner root:input, mode crw-rw----)"
            in text
        )
    if group == "lp":
        assert "cannot read and write /dev/usb/lp0 (USB printer" in text
    if group == "dialout":
        assert f"cannot read and write {SERIAL.path} (serial scanner" in text
    if group == "gpio":
        assert "cannot read and write /dev/gpiochip0 (GPIO chip" in text


def test_all_groups_missing_is_one_command():
    rc, text = run(Machine(member_of={"pos"}))
    assert rc == 1
    assert "fix: sudo usermod -aG input,lp,dialout,gpio pos" in text


def test_missing_gpio_group_on_a_gpio_drawer():
    rc, text = run(
        Machine(
            groups={"pos", "input", "lp", "dialout"}, member_of={"pos", "input", "lp", "dialout"}
        )
    )
    assert rc == 1
    assert "FAIL  group 'gpio' does not exist" in text
    assert "fix: sudo groupadd --system gpio && sudo usermod -aG gpio pos" in text


def test_gpio_group_not_needed_without_a_gpio_drawer():
    cfg = {**CONFIG, "drawer": {"kind": "printer", "kick_pin": 2}}
    m = Machine(
        groups={"pos", "input", "lp", "dialout"}, member_of={"pos", "input", "lp", "dialout"}
    )
    rc, text = run(m, cfg)
    assert rc == 0, text
    assert "kick     printer connector pin 2" in text


def test_udev_rules_missing_gives_the_install_command():
    rc, text = run(Machine(rules=None))
    assert rc == 1
    shipped = shipped_rules_path()
    assert "FAIL  udev rules not installed (/etc/udev/rules.d/99-pos-terminal.rules)" in text
    assert f"fix: sudo {shipped.parent / 'install.sh'} pos" in text


def test_outdated_udev_rules_warn():
    rc, text = run(Machine(rules="# an old version\n"))
    assert rc == 0  # a warning, not a failure
    assert "WARN  /etc/udev/rules.d/99-pos-terminal.rules differs from the shipped rules" in text


def test_node_owned_by_the_wrong_group_points_at_the_udev_rules():
    m = Machine()
    m.dev_nodes["input/event*"] = [Node("/dev/input/event3", "root", "root", CHR | 0o600)]
    rc, text = run(m)
    assert rc == 1
    assert "cannot read /dev/input/event3 (input device; owner root:root, mode crw-------)" in text
    assert "install.sh pos" in text.split("/dev/input/event3")[1].split("\n")[1]


def test_missing_gpio_library_and_header_chip():
    m = Machine(library=None, chips=[GpioChip("/dev/gpiochip0", 0, "", 0, "Permission denied")])
    rc, text = run(m)
    assert rc == 1
    assert "fix: sudo apt install python3-rpi-lgpio" in text
    assert "no GPIO chip labelled pinctrl-*" in text
    assert "/dev/gpiochip0  cannot query: Permission denied" in text


def test_unreachable_network_printer_and_absent_serial_scanner():
    m = Machine(unreachable="Connection refused")
    m.paths = {"unused": SERIAL}
    out = io.StringIO()
    rc = doctor_command(argparse.Namespace(test=[]), probe=m, config=CONFIG, out=out)
    text = out.getvalue()
    assert rc == 1
    assert "FAIL  network printer 192.168.1.50:9100 unreachable (Connection refused)" in text
    assert "fix: check the printer's power and cable, then: nc -vz 192.168.1.50 9100" in text
    assert f"FAIL  serial scanner {SERIAL.path} is not present" in text


def test_no_scanner_recognised_is_a_warning_with_the_config_hint():
    m = Machine()
    m.inputs = [i for i in m.inputs if i.kind != "scanner"]
    rc, text = run(m)
    assert rc == 0
    assert "WARN  no input device is recognised as a scanner" in text
    assert "[scanner] devices" in text


def test_live_probe_runs_on_this_machine(tmp_path):
    # The real probe against an empty tree: nothing found, no crash, every check still reported.
    (tmp_path / "dev" / "input").mkdir(parents=True)
    probe = Probe(user="nobody", dev=str(tmp_path / "dev"), sys_root=str(tmp_path / "sys"),
                  rules_dir=str(tmp_path / "rules"))  # fmt: skip
    out = io.StringIO()
    rc = doctor_command(argparse.Namespace(test=[]), probe=probe, config=CONFIG, out=out)
    assert rc == 1
    assert "udev rules not installed" in out.getvalue()


def test_arguments():
    p = argparse.ArgumentParser()
    add_arguments(p)
    a = p.parse_args(["--user", "pos", "--test", "scan", "--test", "drawer", "--seconds", "5"])
    assert (a.user, a.test, a.seconds) == ("pos", ["scan", "drawer"], 5.0)


def test_drawer_test_action_reports_what_happened(tmp_path):
    from terminal.drivers.doctor import live as doctor

    out = io.StringIO()
    assert doctor.try_drawer({"drawer": {"kind": "simulated"}}, out) is True
    assert "drawer: pulse sent; the sensor says open" in out.getvalue()
    # A kick-port drawer on the (simulated) printer: the kick goes through the printer's queue.
    cfg = {
        "terminal": {"data_dir": str(tmp_path)},
        "drawer": {"kind": "printer", "kick_pin": 5},
        "printer": {"kind": "simulated"},
    }
    out = io.StringIO()
    assert doctor.try_drawer(cfg, out) is True
    assert "the sensor says nothing (no sensor)" in out.getvalue()


def test_shipped_udev_rules_and_install_script():
    rules = shipped_rules_path()
    assert rules is not None
    text = rules.read_text()
    for group in ("input", "lp", "dialout", "gpio"):
        assert f'GROUP="{group}"' in text
    script = rules.parent / "install.sh"
    assert script.stat().st_mode & 0o111
    subprocess.run(["sh", "-n", str(script)], check=True)
    assert all(
        line.startswith("#") or line.count("==") >= 1 for line in text.splitlines() if line.strip()
    )


def test_print_test_page_on_the_simulated_printer_and_a_busy_spool(tmp_path):
    from terminal.drivers.doctor import live as doctor
    from terminal.drivers.printer.spool import Spool

    cfg = {"printer": {"kind": "simulated"}}
    out = io.StringIO()
    assert doctor.try_print(cfg, out, tmp_path) is True
    assert "printer: printed (ok" in out.getvalue()
    assert "pos-terminal test page" in (tmp_path / "printer" / "preview.txt").read_text()
    # While the service owns the spool, doctor says so instead of printing its jobs twice.
    busy = Spool(tmp_path / "printer" / "spool.sqlite3")
    try:
        out = io.StringIO()
        assert doctor.try_print(cfg, out, tmp_path) is False
        assert "FAILED" in out.getvalue() and "stop the pos-terminal service" in out.getvalue()
    finally:
        busy.close()
