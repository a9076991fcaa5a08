"""``pos-terminal doctor``: what hardware the terminal sees, whether the service user may use it,
and the exact command that fixes each problem. ``--test`` actions exercise the devices: print a
test page, pulse the drawer, show decoded scans live.

Every look at the system goes through a ``Probe`` (groups, device nodes, sysfs, udev rules, TCP),
so tests run the real checks against a described machine: healthy, or missing one permission.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from terminal.drivers.doctor.checks import Checkup, check_groups, check_udev_rules
from terminal.drivers.doctor.drawers import check_drawer
from terminal.drivers.doctor.live import section_value, try_drawer, try_print, try_scans
from terminal.drivers.doctor.payments import check_payments, try_payments
from terminal.drivers.doctor.printers import check_printers
from terminal.drivers.doctor.probe import Probe
from terminal.drivers.doctor.report import Report
from terminal.drivers.doctor.scanners import check_scanners

CHECKS: tuple[Callable[[Checkup], None], ...] = (
    check_groups,
    check_udev_rules,
    check_scanners,
    check_printers,
    check_drawer,
    check_payments,
)
"""In the order the report lists their findings and sections."""


def diagnose(config: Any, probe: Probe) -> Report:
    """Run every check against ``probe`` and return what they found."""
    checkup = Checkup.start(config, probe)
    for check in CHECKS:
        check(checkup)
    return checkup.report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user", help="the service user to check (default: the user running doctor)"
    )
    parser.add_argument(
        "--test",
        action="append",
        choices=("print", "drawer", "scan", "payments"),
        default=[],
        help="also exercise a device: print a test page, pulse the drawer, show scans live, "
        "ask each live payment provider a no-money question",
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
        "payments": lambda: try_payments(config, stream),
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
