"""posctl: the owner's tool. Keys, terminals, the broker, staff, cards, catalog, settings, and the
collector's live view and reports.

Every command that changes a terminal is a signed command (``terminal.link.protocol``) sent over
the store's broker; posctl waits for each terminal's reply and prints "done" or the terminal's
reason with what to do next. ``posctl COMMAND --help`` explains each command.

This package holds ``main()`` and the top-level parser; each command's module adds its own
subcommands and holds what they do.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from provisioning.catalog_csv import CatalogFileError
from provisioning.home import HomeError
from provisioning.posctl import (
    broker,
    card,
    catalog,
    commands,
    report,
    role,
    settings,
    staff,
    store,
    terminal,
    watch,
    web,
)
from provisioning.posctl.common import UsageError
from provisioning.posctl.output import err
from provisioning.remote import RemoteError

# The order here is the order ``posctl --help`` lists the commands in.
_COMMANDS = (
    store,
    terminal,
    broker,
    staff,
    card,
    role,
    catalog,
    settings,
    commands,
    watch,
    report,
    web,
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="posctl",
        description="The owner's tool: keys, terminals, broker, staff, cards, catalog, settings, "
        "and the collector's live view and reports.",
    )
    p.add_argument(
        "--home",
        type=Path,
        help="owner directory (default: $POSCTL_HOME or ~/.config/posctl)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in _COMMANDS:
        command.add_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (HomeError, UsageError, RemoteError, CatalogFileError, ValueError) as exc:
        # ValueError: a value the owner gave that the protocol or a record refuses.
        err(f"posctl: {exc}")
        return 1
