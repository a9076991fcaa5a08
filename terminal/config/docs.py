"""``docs/configuration.md``, generated from the schema (``python -m terminal.config``)."""

from __future__ import annotations

import sys
from typing import Any

from terminal.config.loading import CONFIG_ENV, CONFIG_FILENAME
from terminal.config.schema import SCHEMA


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


def render_docs() -> str:
    """docs/configuration.md, generated from ``SCHEMA``."""
    out = [
        "# Configuration",
        "",
        "<!-- Generated from terminal/config/ by `python -m terminal.config`; do not edit. -->",
        "",
        f"One TOML file, `{CONFIG_FILENAME}`. The terminal reads the file named by `--config`, "
        f"else `${CONFIG_ENV}`, else the first that exists of "
        "`~/.config/pos-terminal/pos-terminal.toml` (or under `$XDG_CONFIG_HOME`), "
        "`/etc/pos-terminal/pos-terminal.toml` and `/boot/firmware/pos-terminal.toml`; "
        "with none, every default below applies.",
        "",
        "Every key is optional. An unknown section or key, a wrong type or a value out of range "
        "stops the terminal with an error naming the file, the key and its line, for example:",
        "",
        "```",
        "/etc/pos-terminal/pos-terminal.toml:7: printer.port: expected a whole number, got '9100'",
        "```",
        "",
        "## Settings provisioned over the link",
        "",
        "The owner may set store settings remotely (`posctl`'s `settings.set`, see "
        "`docs/mqtt.md`); the terminal journals each as `settings.applied`. At start-up the "
        "effective store settings are, from lowest to highest precedence: the built-in defaults, "
        "this file, then every `settings.applied` entry in journal order (each sets only the "
        "settings it names, so for each setting the latest provisioned value wins). A provisioned "
        "value therefore overrides the file until the owner provisions another value; editing "
        "the file does not undo it. A provisioned value that no longer fits is logged and the "
        "file's value kept. Provisioned values take effect at the next start.",
        "",
        "Alert rules (`alerts.set`) are journaled as `alerts.applied` and kept there for the "
        "central side; the terminal has no alert-rule engine and does not act on them. Its own "
        "alerts (a drawer left open after `[drawer] open_alert_s`, an account locked) are "
        "journaled as `alert.raised`.",
        "",
    ]
    for sec in SCHEMA:
        out += [
            f"## [{sec.name}]",
            "",
            sec.doc,
            "",
            "| key | type | default | meaning |",
            "| --- | --- | --- | --- |",
        ]
        for key in sec.keys:
            doc = key.doc
            if key.choices:
                doc += " One of: " + ", ".join(f"`{_toml_value(c)}`" for c in key.choices) + "."
            default = _toml_value(key.default).replace("|", "\\|")
            out.append(f"| `{key.name}` | {key.type} | `{default}` | {doc} |")
        out.append("")
    out += ["## Example", "", "```toml"]
    out += [
        "[terminal]",
        'id = "T02"',
        'language = "en"',
        "",
        "[store]",
        'name = "Corner Shop"',
        'name_zh = "街角小店"',
        'address = ["1 Nanjing Road", "Shanghai"]',
        "cash_rounding_step = 10",
        "",
        "[hardware]",
        "simulated = false",
        "",
        "[printer]",
        'kind = "network"',
        'host = "192.168.1.50"',
        "",
        "[payments]",
        'qr = "live"',
        'card = "none"',
        "```",
        "",
    ]
    return "\n".join(out)


def main() -> None:
    sys.stdout.write(render_docs())
