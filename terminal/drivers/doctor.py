"""``pos-terminal doctor``: what hardware the terminal sees, whether the service user may use it,
and the exact command that fixes each problem. ``--test`` actions exercise the devices: print a
test page, pulse the drawer, show decoded scans live.

Every look at the system goes through a ``Probe`` (groups, device nodes, sysfs, udev rules, TCP),
so tests run the real checks against a described machine: healthy, or missing one permission.
"""

from __future__ import annotations

import argparse
import grp
import importlib.util
import os
import pwd
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from terminal.drivers.drawer.gpiochip import GpioChip, header_chip, list_gpio_chips
from terminal.drivers.scanner.identify import DeviceFacts, ScannerMatch
from terminal.drivers.scanner.inventory import InputInventory

RULES_NAME = "99-pos-terminal.rules"
RULES_DIR = "/etc/udev/rules.d"
SERVICE = "pos-terminal"
SERVICE_USER = "pos"

GROUPS: dict[str, str] = {
    "input": "read barcode scanners (/dev/input/event*)",
    "lp": "write to USB printers (/dev/usb/lp*, libusb)",
    "dialout": "use serial scanners and printers (/dev/ttyACM*, /dev/ttyUSB*)",
    "gpio": "drive the cash drawer (/dev/gpiochip*)",
}

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


# -- what the probe reports -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InputDeviceReport:
    path: str
    links: tuple[str, ...]
    name: str = ""
    vendor: int = 0
    product: int = 0
    kind: str = ""
    """"scanner", "keyboard", "other", or "" when the node could not be opened."""
    reason: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class UsbDevice:
    sysfs: str
    vendor: int
    product: int
    manufacturer: str = ""
    name: str = ""
    printer_class: bool = False


@dataclass(frozen=True, slots=True)
class Node:
    path: str
    owner: str
    group: str
    mode: int


class Probe:
    """The real machine. Paths are parameters so a probe can look at a prepared tree."""

    def __init__(
        self,
        *,
        user: str | None = None,
        dev: str = "/dev",
        sys_root: str = "/sys",
        rules_dir: str = RULES_DIR,
        match: ScannerMatch | None = None,
    ) -> None:
        self._user = user
        self.dev = Path(dev)
        self.sys_root = Path(sys_root)
        self.rules_dir = Path(rules_dir)
        self.match = match or ScannerMatch()

    def user(self) -> str:
        """The user to check: as given, else the service's user "pos" when doctor runs as root
        (a technician with sudo), else whoever runs doctor."""
        if self._user:
            return self._user
        if os.getuid() == 0:
            try:
                return pwd.getpwnam(SERVICE_USER).pw_name
            except KeyError:
                pass
        return pwd.getpwuid(os.getuid()).pw_name

    def groups_of(self, user: str) -> set[str]:
        try:
            primary = pwd.getpwnam(user).pw_gid
        except KeyError:
            return set()
        names = {g.gr_name for g in grp.getgrall() if user in g.gr_mem}
        try:
            names.add(grp.getgrgid(primary).gr_name)
        except KeyError:
            pass
        return names

    def group_exists(self, name: str) -> bool:
        try:
            grp.getgrnam(name)
        except KeyError:
            return False
        return True

    def input_devices(self) -> list[InputDeviceReport]:
        from evdev import InputDevice

        out = []
        for cand in InputInventory(self.dev / "input").list_candidates():
            try:
                device = InputDevice(cand.open_path)
            except OSError as exc:
                out.append(
                    InputDeviceReport(cand.open_path, cand.links, error=exc.strerror or str(exc))
                )
                continue
            try:
                facts = DeviceFacts.of(device, cand.links)
            finally:
                device.close()
            verdict = self.match.classify(facts)
            out.append(
                InputDeviceReport(
                    cand.open_path,
                    cand.links,
                    facts.name,
                    facts.vendor,
                    facts.product,
                    verdict.kind,
                    verdict.reason,
                )
            )
        return out

    def usb_devices(self) -> list[UsbDevice]:
        base = self.sys_root / "bus" / "usb" / "devices"
        out = []
        try:
            entries = sorted(base.iterdir())
        except OSError:
            return []
        for d in entries:
            vid = _read(d / "idVendor")
            pid = _read(d / "idProduct")
            if not vid or not pid:
                continue
            printer = any(_read(i / "bInterfaceClass") == "07" for i in d.glob(f"{d.name}:*"))
            out.append(
                UsbDevice(
                    str(d),
                    int(vid, 16),
                    int(pid, 16),
                    _read(d / "manufacturer"),
                    _read(d / "product"),
                    printer,
                )
            )
        return out

    def nodes(self, pattern: str) -> list[Node]:
        out = []
        for p in sorted(self.dev.glob(pattern)):
            try:
                st = os.stat(p)
            except OSError:
                continue
            out.append(Node(str(p), _user_name(st.st_uid), _group_name(st.st_gid), st.st_mode))
        return out

    def node(self, path: str) -> Node | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return Node(path, _user_name(st.st_uid), _group_name(st.st_gid), st.st_mode)

    def gpio_chips(self) -> list[GpioChip]:
        return list_gpio_chips(str(self.dev))

    def installed_rules(self) -> str | None:
        try:
            return (self.rules_dir / RULES_NAME).read_text()
        except OSError:
            return None

    def gpio_library(self) -> str | None:
        """Which module provides RPi.GPIO, or None."""
        if importlib.util.find_spec("RPi") is None:
            return None
        return "RPi.GPIO" if importlib.util.find_spec("lgpio") is None else "rpi-lgpio"

    def tcp_reachable(self, host: str, port: int, timeout: float = 2.0) -> str:
        """ "" when a connection opened, else the reason."""
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return ""
        except OSError as exc:
            return exc.strerror or str(exc)


def _read(p: Path) -> str:
    try:
        return p.read_text().strip()
    except OSError:
        return ""


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


# -- the report -----------------------------------------------------------------------------------


@dataclass
class Finding:
    level: str
    """"ok", "warn" or "fail"."""
    text: str
    fix: str = ""


@dataclass
class Report:
    user: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def ok(self, text: str) -> None:
        self.findings.append(Finding("ok", text))

    def warn(self, text: str, fix: str = "") -> None:
        self.findings.append(Finding("warn", text, fix))

    def fail(self, text: str, fix: str = "") -> None:
        self.findings.append(Finding("fail", text, fix))

    @property
    def failed(self) -> bool:
        return any(f.level == "fail" for f in self.findings)

    def render(self) -> str:
        lines = [f"pos-terminal doctor (service user: {self.user})", ""]
        for title, body in self.sections:
            lines.append(title)
            lines += [f"  {b}" for b in body] or ["  (none found)"]
            lines.append("")
        lines.append("Checks")
        for f in self.findings:
            lines.append(f"  {f.level.upper():4}  {f.text}")
            for fix_line in f.fix.splitlines():
                lines.append(f"        fix: {fix_line}" if fix_line else "")
        lines.append("")
        fails = sum(f.level == "fail" for f in self.findings)
        warns = sum(f.level == "warn" for f in self.findings)
        lines.append(
            "All checks passed."
            if not fails and not warns
            else f"{fails} problem(s), {warns} warning(s): run the fix commands above, then "
            f"'pos-terminal doctor' again."
        )
        return "\n".join(lines) + "\n"


def shipped_rules_path() -> Path | None:
    """The rules file in this checkout (udev/ next to the terminal package), if present."""
    p = Path(__file__).resolve().parents[2] / "udev" / RULES_NAME
    return p if p.is_file() else None


def _can(node: Node, user: str, groups: set[str], want: int) -> bool:
    """Whether ``user`` (in ``groups``) has ``want`` (4 read, 2 write, 6 both) on ``node``."""
    if user == "root":
        return True
    mode = stat.S_IMODE(node.mode)
    if node.owner == user:
        return (mode >> 6) & want == want
    if node.group in groups:
        return (mode >> 3) & want == want
    return mode & want == want


def diagnose(config: Any, probe: Probe) -> Report:
    from terminal.drivers.factory import section

    user = probe.user()
    groups = probe.groups_of(user)
    report = Report(user)
    missing_groups: list[str] = []

    drawer_cfg = section(config, "drawer")
    dkind = str(drawer_cfg.get("kind", "simulated"))

    # Groups. gpio only matters for a GPIO drawer (and exists only on a Pi).
    for name, why in GROUPS.items():
        if name == "gpio" and dkind != "gpio" and not probe.group_exists(name):
            continue
        if not probe.group_exists(name):
            report.fail(
                f"group '{name}' does not exist (needed to {why})",
                f"sudo groupadd --system {name} && sudo usermod -aG {name} {user}",
            )
        elif name in groups:
            report.ok(f"{user} is in group '{name}'")
        else:
            missing_groups.append(name)
    if missing_groups:
        needs = "; ".join(f"{g}: {GROUPS[g]}" for g in missing_groups)
        report.fail(
            f"{user} is not in group(s) {', '.join(missing_groups)} ({needs})",
            f"sudo usermod -aG {','.join(missing_groups)} {user}\n"
            f"sudo systemctl restart {SERVICE}   (group changes apply to new sessions only)",
        )

    # udev rules
    installed = probe.installed_rules()
    shipped = shipped_rules_path()
    install_cmd = (
        f"sudo {shipped.parent / 'install.sh'} {user}"
        if shipped is not None
        else f"sudo install -m 0644 udev/{RULES_NAME} {RULES_DIR}/ && "
        "sudo udevadm control --reload-rules && sudo udevadm trigger"
    )
    if installed is None:
        report.fail(f"udev rules not installed ({RULES_DIR}/{RULES_NAME})", install_cmd)
    elif shipped is not None and installed != shipped.read_text():
        report.warn(f"{RULES_DIR}/{RULES_NAME} differs from the shipped rules", install_cmd)
    else:
        report.ok(f"udev rules installed ({RULES_DIR}/{RULES_NAME})")

    def node_check(node: Node, want: int, what: str) -> None:
        if _can(node, user, groups, want):
            return
        access = {4: "read", 6: "read and write"}[want]
        if node.group in GROUPS and node.group not in groups:
            fix = f"sudo usermod -aG {node.group} {user}"
        else:
            fix = install_cmd
        report.fail(
            f"{user} cannot {access} {node.path} ({what}; owner {node.owner}:{node.group}, "
            f"mode {stat.filemode(node.mode)})",
            fix,
        )

    # Scanners
    devices = probe.input_devices()
    body = []
    for d in devices:
        label = d.links[0] if d.links else d.path
        if d.error:
            body.append(f"?        {label}: cannot open ({d.error})")
            continue
        tag = {"scanner": "SCANNER ", "keyboard": "keyboard", "other": "other   "}[d.kind]
        body.append(f'{tag} {label}  "{d.name}" {d.vendor:04x}:{d.product:04x}  {d.reason}')
    scfg = section(config, "scanner")
    body.append(
        f"config   layout {scfg.get('layout', 'us')}, char timeout "
        f"{scfg.get('char_timeout_ms', 50)} ms, auto-detect "
        f"{'on' if scfg.get('auto_detect', True) else 'off'}, devices "
        f"{', '.join(scfg.get('devices', [])) or '(any recognised scanner)'}"
    )
    body += [f"serial   {n.path}" for n in probe.nodes("serial/by-id/*")]
    report.sections.append(("Scanners and keyboards (/dev/input, /dev/serial)", body))
    for n in probe.nodes("input/event*"):
        node_check(n, 4, "input device")
    if devices and not any(d.kind == "scanner" for d in devices):
        report.warn(
            "no input device is recognised as a scanner",
            "plug the scanner in, or add its /dev/input/by-id/ path to [scanner] devices",
        )
    for port in section(config, "scanner").get("serial_ports", []):
        n = probe.node(str(port))
        if n is None:
            report.fail(f"serial scanner {port} is not present", "check the cable and the path")
        else:
            node_check(n, 6, "serial scanner")

    # Printers
    body = []
    for u in probe.usb_devices():
        maker = ESCPOS_VENDORS.get(u.vendor)
        if maker is None and not u.printer_class:
            continue
        what = maker or "USB printer class"
        body.append(
            f"USB      {u.vendor:04x}:{u.product:04x}  {u.manufacturer} {u.name}  ({what})".rstrip()
        )
    lp_nodes = probe.nodes("usb/lp*")
    body += [f"device   {n.path}  {n.owner}:{n.group} {stat.filemode(n.mode)}" for n in lp_nodes]
    for n in lp_nodes:
        node_check(n, 6, "USB printer")
    p = section(config, "printer")
    kind = str(p.get("kind", "simulated"))
    if kind == "network" and p.get("host"):
        host, port = str(p["host"]), int(p.get("port", 9100))
        why = probe.tcp_reachable(host, port)
        body.append(f"network  {host}:{port}  {why or 'reachable'}")
        if why:
            report.fail(
                f"network printer {host}:{port} unreachable ({why})",
                f"check the printer's power and cable, then: nc -vz {host} {port}",
            )
        else:
            report.ok(f"network printer {host}:{port} answers")
    elif kind in ("serial", "file") and p.get("device"):
        n = probe.node(str(p["device"]))
        if n is None:
            report.fail(f"printer device {p['device']} is not present", "check the cable")
        else:
            node_check(n, 6, "printer")
    report.sections.append(("Printers", body))

    # Drawer
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
    chips = probe.gpio_chips()
    head = header_chip(chips)
    for c in chips:
        mark = "  <- 40-pin header" if c is head else ""
        body.append(
            f"chip     {c.path}  {c.label or '?'} ({c.lines} lines){mark}"
            if not c.error
            else f"chip     {c.path}  cannot query: {c.error}"
        )
    report.sections.append(("Cash drawer", body))
    if dkind == "gpio":
        for n in probe.nodes("gpiochip*"):
            node_check(n, 6, "GPIO chip")
        if head is None:
            report.fail(
                "no GPIO chip labelled pinctrl-* (the 40-pin header) was found",
                "on a Raspberry Pi: check 'gpiodetect'; elsewhere use [drawer] kind = \"printer\"",
            )
        else:
            report.ok(f"header GPIO chip: {head.path} ({head.label})")
        lib = probe.gpio_library()
        if lib is None:
            report.fail(
                'RPi.GPIO is not installed (needed for [drawer] kind = "gpio")',
                "sudo apt install python3-rpi-lgpio   (or: pip install 'pos-terminal[pi]')",
            )
        else:
            report.ok(f"GPIO library: {lib}")
    return report


# -- live tests -----------------------------------------------------------------------------------


def try_print(config: Any, out: TextIO, data_dir: Path) -> bool:
    from terminal.core.clock import SystemClock
    from terminal.core.records import QR, Barcode, PrintDoc, Rule, Text
    from terminal.drivers.factory import build_printer

    try:
        printer = build_printer(config, data_dir, SystemClock(), simulated=False)
    except (OSError, RuntimeError, ValueError) as exc:
        # SpoolError (the service owns the spool), PrinterConfigError, a transport that
        # cannot open: all say what to do in their message.
        out.write(f"printer: FAILED: {exc}\n")
        return False
    try:
        printer.submit(
            PrintDoc(
                key=f"test:{time.time_ns()}",
                kind="test",
                blocks=(
                    Text("pos-terminal test page", align="center", bold=True, size=2),
                    Rule(),
                    Text(time.strftime("%Y-%m-%d %H:%M:%S")),
                    Text("测试页 打印正常 / test page printed correctly"),
                    Barcode("4006381333931", "EAN13"),
                    QR("pos-terminal doctor"),
                ),
            )
        )
        done = printer.wait_idle(30)
        st = printer.status()
        detail = f", {st.detail}" if st.detail else ""
        out.write(f"printer: {'printed' if done else 'NOT printed'} ({st.health.value}{detail})\n")
        return done
    finally:
        printer.stop()


def try_drawer(config: Any, out: TextIO, data_dir: Path | None = None) -> bool:
    from terminal.core.clock import SystemClock
    from terminal.drivers.drawer import DrawerError
    from terminal.drivers.factory import build_drawer, build_printer

    printer = None
    if section_value(config, "drawer", "kind", "simulated") == "printer":
        where = data_dir or Path(section_value(config, "terminal", "data_dir", "."))
        try:
            printer = build_printer(config, where, SystemClock(), simulated=False)
        except (OSError, RuntimeError, ValueError) as exc:
            out.write(f"drawer: FAILED: the printer it hangs on: {exc}\n")
            return False
    try:
        drawer = build_drawer(config, printer=printer, simulated=False)
        drawer.open()
    except DrawerError as exc:
        out.write(f"drawer: FAILED: {exc}\n")
        return False
    finally:
        if printer is not None:
            printer.stop()
    state = drawer.is_open()
    said = {True: "open", False: "closed (check the sensor wiring)", None: "nothing (no sensor)"}
    out.write(f"drawer: pulse sent; the sensor says {said[state]}\n")
    return state is not False


def try_scans(config: Any, seconds: float, out: TextIO) -> bool:
    from terminal.drivers.factory import build_scan_source

    lock = threading.Lock()
    count = 0

    def show(read: Any) -> None:
        nonlocal count
        with lock:
            count += 1
            out.write(f"scan: {read.code!r}  from {read.source}\n")
            out.flush()

    def status(source: str, state: str, detail: str) -> None:
        with lock:
            out.write(f"scanner {state}: {source} ({detail})\n")
            out.flush()

    source = build_scan_source(config, simulated=False, on_status=status)
    out.write(
        f"scan now; decoded reads for {seconds:g} s (a GS1 separator shows as \\x1d). "
        f"Stop the {SERVICE} service first: it holds the scanners grabbed.\n"
    )
    out.flush()
    source.start(show)
    try:
        time.sleep(seconds)
    finally:
        source.stop()
    out.write(f"{count} read(s)\n")
    return count > 0


def section_value(config: Any, name: str, key: str, default: Any) -> Any:
    from terminal.drivers.factory import section

    return section(config, name).get(key, default)


# -- command --------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user", help="the service user to check (default: the user running doctor)"
    )
    parser.add_argument(
        "--test",
        action="append",
        choices=("print", "drawer", "scan"),
        default=[],
        help="also exercise a device: print a test page, pulse the drawer, show scans live",
    )
    parser.add_argument(
        "--seconds", type=float, default=15, help="how long --test scan listens (default 15)"
    )


def doctor_command(
    args: argparse.Namespace,
    *,
    probe: Probe | None = None,
    config: Any = None,
    out: TextIO | None = None,
) -> int:
    """0 when every check passed (and every requested test worked), 1 otherwise."""
    stream = out or sys.stdout
    if config is None:
        from terminal.config import load_config

        path = getattr(args, "config", None)
        config = load_config(Path(path) if path else None)
    from terminal.drivers.factory import scanner_match

    probe = probe or Probe(user=getattr(args, "user", None), match=scanner_match(config))
    report = diagnose(config, probe)
    stream.write(report.render())
    ok = not report.failed
    tests: Sequence[str] = getattr(args, "test", None) or []
    data_dir = Path(
        getattr(args, "data_dir", None) or section_value(config, "terminal", "data_dir", ".")
    ).expanduser()
    actions: dict[str, Callable[[], bool]] = {
        "print": lambda: try_print(config, stream, data_dir),
        "drawer": lambda: try_drawer(config, stream, data_dir),
        "scan": lambda: try_scans(config, float(getattr(args, "seconds", 15)), stream),
    }
    for name in tests:
        stream.write(f"\n--test {name}\n")
        ok = actions[name]() and ok
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pos-terminal doctor", description=__doc__)
    parser.add_argument("--config", help="configuration file (default: POS_CONFIG or built-in)")
    add_arguments(parser)
    return doctor_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
