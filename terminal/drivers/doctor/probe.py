"""The doctor's view of the machine: every look at groups, device nodes, sysfs, udev rules and
TCP goes through a ``Probe``, so tests run the real checks against a described machine."""

from __future__ import annotations

import grp
import importlib.util
import os
import pwd
import socket
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from terminal.drivers.drawer.gpiochip import GpioChip, list_gpio_chips
from terminal.drivers.scanner.identify import DeviceFacts, ScannerMatch
from terminal.drivers.scanner.inventory import InputInventory

RULES_NAME = "99-pos-terminal.rules"
RULES_DIR = "/etc/udev/rules.d"
SERVICE = "pos-terminal"
SERVICE_USER = "pos"


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


    def clock_now(self) -> datetime:
        return datetime.now(UTC)

    def clock_synchronized(self) -> bool | None:
        """systemd's NTPSynchronized, or None when it cannot be asked."""
        try:
            out = subprocess.run(
                ["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
                capture_output=True,
                text=True,
                timeout=3,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        value = out.stdout.strip()
        return {"yes": True, "no": False}.get(value) if out.returncode == 0 else None

    def uid_of(self, user: str) -> int | None:
        try:
            return pwd.getpwnam(user).pw_uid
        except KeyError:
            return None


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
