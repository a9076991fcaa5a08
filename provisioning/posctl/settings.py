"""``posctl settings``: send KEY=VALUE store settings to the terminals."""

from __future__ import annotations

import argparse
import json
from typing import Any

from provisioning.posctl.common import UsageError, owner_home, remote_opts, send_all
from terminal.link import protocol as wire


def _setting_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def cmd_settings(args: argparse.Namespace) -> int:
    home = owner_home(args)
    home.require()
    values: dict[str, Any] = {}
    for spec in args.values:
        key, sep, value = spec.partition("=")
        if not sep or not key:
            raise UsageError(f"{spec!r}: write KEY=VALUE, e.g. cash_rounding_step=10")
        values[key.strip()] = _setting_value(value.strip())
    send_all(home, args, "settings.set", wire.SettingsSet(values=values), what="settings")
    settings = home.settings()
    settings.setdefault("values", {}).update(values)
    home.save_settings(settings)
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "settings",
        help="change store settings on the terminals",
        description="Send KEY=VALUE settings (names as in the terminal's "
        "StoreSettings; values are JSON when they parse as JSON).",
    )
    s.add_argument("values", nargs="+", metavar="KEY=VALUE")
    remote_opts(s)
    s.set_defaults(func=cmd_settings)
