"""What every check shares (the ``Checkup``: config, probe, user, report) and the checks that
concern the service user rather than one device: group memberships and the udev rules."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from terminal.drivers.doctor.probe import RULES_DIR, RULES_NAME, SERVICE, Node, Probe
from terminal.drivers.doctor.report import Report

GROUPS: dict[str, str] = {
    "input": "read barcode scanners (/dev/input/event*)",
    "lp": "write to USB printers (/dev/usb/lp*, libusb)",
    "dialout": "use serial scanners and printers (/dev/ttyACM*, /dev/ttyUSB*)",
    "gpio": "drive the cash drawer (/dev/gpiochip*)",
}


def shipped_rules_path() -> Path | None:
    """The rules file in this checkout (udev/ next to the terminal package), if present."""
    p = Path(__file__).resolve().parents[3] / "udev" / RULES_NAME
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


def _install_command(user: str) -> str:
    shipped = shipped_rules_path()
    return (
        f"sudo {shipped.parent / 'install.sh'} {user}"
        if shipped is not None
        else f"sudo install -m 0644 udev/{RULES_NAME} {RULES_DIR}/ && "
        "sudo udevadm control --reload-rules && sudo udevadm trigger"
    )


@dataclass
class Checkup:
    """One run of the checks: what they look at and the report they write to."""

    config: Any
    probe: Probe
    user: str
    groups: set[str]
    report: Report
    install_cmd: str

    @classmethod
    def start(cls, config: Any, probe: Probe) -> Checkup:
        user = probe.user()
        return cls(config, probe, user, probe.groups_of(user), Report(user), _install_command(user))

    def section(self, name: str) -> dict[str, Any]:
        from terminal.drivers.factory import section

        return section(self.config, name)

    @property
    def drawer_kind(self) -> str:
        return str(self.section("drawer").get("kind", "simulated"))

    def node_check(self, node: Node, want: int, what: str) -> None:
        """Fail when the user lacks ``want`` on ``node``, with the group or rules that fix it."""
        if _can(node, self.user, self.groups, want):
            return
        access = {4: "read", 6: "read and write"}[want]
        if node.group in GROUPS and node.group not in self.groups:
            fix = f"sudo usermod -aG {node.group} {self.user}"
        else:
            fix = self.install_cmd
        self.report.fail(
            f"{self.user} cannot {access} {node.path} ({what}; owner {node.owner}:{node.group}, "
            f"mode {stat.filemode(node.mode)})",
            fix,
        )


def check_groups(c: Checkup) -> None:
    """The service user's groups; gpio only matters for a GPIO drawer (and exists only on a Pi)."""
    user, report, probe = c.user, c.report, c.probe
    missing_groups: list[str] = []
    for name, why in GROUPS.items():
        if name == "gpio" and c.drawer_kind != "gpio" and not probe.group_exists(name):
            continue
        if not probe.group_exists(name):
            report.fail(
                f"group '{name}' does not exist (needed to {why})",
                f"sudo groupadd --system {name} && sudo usermod -aG {name} {user}",
            )
        elif name in c.groups:
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


def check_udev_rules(c: Checkup) -> None:
    installed = c.probe.installed_rules()
    shipped = shipped_rules_path()
    if installed is None:
        c.report.fail(f"udev rules not installed ({RULES_DIR}/{RULES_NAME})", c.install_cmd)
    elif shipped is not None and installed != shipped.read_text():
        c.report.warn(f"{RULES_DIR}/{RULES_NAME} differs from the shipped rules", c.install_cmd)
    else:
        c.report.ok(f"udev rules installed ({RULES_DIR}/{RULES_NAME})")
