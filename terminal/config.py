"""The terminal's configuration: one TOML file, checked against a declarative schema.

Every section and key is declared in ``SCHEMA`` with its type, default and a one-line doc;
``docs/configuration.md`` is generated from it (``python -m terminal.config > docs/...``, and a
test fails when the file is stale). A broken file gets a ``ConfigError`` that names the file,
the key and its line, so whoever edits the SD card's config knows what to fix.

To add a key: append a ``Key`` to its section (never rename or remove one a terminal may have
in its file), then regenerate the doc.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CONFIG_ENV = "POS_CONFIG"
CONFIG_FILENAME = "pos-terminal.toml"


class ConfigError(Exception):
    """A configuration problem, located as precisely as the file allows."""

    def __init__(
        self,
        message: str,
        path: Path | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.key = key
        self.line = line
        where = str(path) if path is not None else "configuration"
        if line is not None:
            where += f":{line}"
        super().__init__(f"{where}: {key + ': ' if key else ''}{message}")


# --- schema --------------------------------------------------------------------------------

TYPES = ("str", "int", "float", "bool", "list[str]", "list[int]")


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    type: str
    default: Any
    doc: str
    choices: tuple[Any, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    check: Callable[[Any], str | None] | None = None
    """Extra validation: returns an error message, or None when the value is fine."""


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    doc: str
    keys: tuple[Key, ...] = field(default_factory=tuple)

    def key(self, name: str) -> Key | None:
        for k in self.keys:
            if k.name == name:
                return k
        return None


def _zone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (use an IANA name such as 'Asia/Shanghai')"
    return None


def _currency(value: str) -> str | None:
    if not re.fullmatch(r"[A-Z]{3}", value):
        return f"{value!r} is not an ISO 4217 currency code such as 'CNY'"
    return None


def _digits(values: list[str]) -> str | None:
    for v in values:
        if not re.fullmatch(r"\d{2}", v):
            return f"{v!r} is not a two-digit GS1 prefix such as '20'"
    return None


def _non_negative_list(values: list[int]) -> str | None:
    for v in values:
        if v <= 0:
            return f"{v} is not a positive amount in minor units"
    return None


SCHEMA: tuple[Section, ...] = (
    Section(
        "terminal",
        "This terminal: identity, where it keeps its data, language and time zone.",
        (
            Key(
                "id",
                "str",
                "T01",
                "Terminal id; unique in the store, used in topics and the journal.",
            ),
            Key(
                "data_dir",
                "str",
                "",
                "Where the ledger and spools live; empty means "
                "$XDG_DATA_HOME/pos-terminal or ~/.local/share/pos-terminal. A relative path is "
                "relative to this file.",
            ),
            Key(
                "language", "str", "zh_CN", "Screen and receipt language.", choices=("zh_CN", "en")
            ),
            Key(
                "timezone",
                "str",
                "Asia/Shanghai",
                "IANA time zone for business days and "
                "receipt times (the ledger itself stores UTC).",
                check=_zone,
            ),
        ),
    ),
    Section(
        "store",
        "The store as printed on receipts, and how it sells.",
        (
            Key("name", "str", "Sample Store", "Store name (Latin script)."),
            Key("name_zh", "str", "", "Store name in Chinese."),
            Key("address", "list[str]", [], "Address lines printed under the name."),
            Key("tax_id", "str", "", "Taxpayer id printed on receipts."),
            Key("currency", "str", "CNY", "ISO 4217 currency of all prices.", check=_currency),
            Key(
                "cash_rounding_step",
                "int",
                0,
                "Cash totals round to this many minor units (0 or 1: none; 10: to 0.10).",
                minimum=0,
            ),
            Key(
                "cash_rounding_mode",
                "str",
                "half_up",
                "How cash totals round.",
                choices=("half_up", "half_even", "down", "up"),
            ),
            Key(
                "price_prefixes",
                "list[str]",
                ["22", "23", "24", "25"],
                "GS1 variable-measure EAN-13 prefixes whose barcode embeds a price.",
                check=_digits,
            ),
            Key(
                "weight_prefixes",
                "list[str]",
                ["20", "21"],
                "GS1 variable-measure EAN-13 prefixes whose barcode embeds a weight in grams.",
                check=_digits,
            ),
            Key(
                "quick_cash",
                "list[int]",
                [1000, 2000, 5000, 10000],
                "Quick-cash amounts offered on the tender screen, in minor units.",
                check=_non_negative_list,
            ),
            Key(
                "merge_repeat_scans",
                "bool",
                True,
                "A repeated scan of a piece item adds to its line instead of opening a new one.",
            ),
            Key(
                "refund_max_age_days",
                "int",
                30,
                "Receipts older than this cannot be refunded (roles may lower it).",
                minimum=0,
            ),
            Key("pin_only_login", "bool", True, "Allow login with PIN alone (no staff card)."),
            Key(
                "idle_logout_s",
                "int",
                300,
                "Log the clerk out after this many idle seconds (0: never).",
                minimum=0,
            ),
            Key(
                "pin_max_failures",
                "int",
                5,
                "Wrong PINs in a row that lock a staff account.",
                minimum=1,
            ),
            Key(
                "pin_lock_s",
                "int",
                60,
                "How long the first lock lasts, in seconds; each further lock lasts twice as long.",
                minimum=1,
            ),
        ),
    ),
    Section(
        "hardware",
        "One switch for all devices.",
        (
            Key(
                "simulated",
                "bool",
                True,
                "Put every device on its simulated twin, whatever the sections below say.",
            ),
        ),
    ),
    Section(
        "scanner",
        "Barcode scanners: keyboard-wedge (evdev) and serial.",
        (
            Key(
                "devices",
                "list[str]",
                [],
                "evdev devices to grab (/dev/input/by-id/... "
                "paths); empty: every keyboard-like device that looks like a scanner.",
            ),
            Key("layout", "str", "us", "Keyboard layout the scanners emulate."),
            Key(
                "char_timeout_ms",
                "int",
                50,
                "A pause longer than this ends a read without Enter.",
                minimum=1,
            ),
            Key("serial_ports", "list[str]", [], "Serial scanners (/dev/ttyACM0 ...)."),
            Key(
                "exclude",
                "list[str]",
                [],
                "Devices never treated as scanners: by-id/by-path paths, vendor:product in hex "
                "(0c2e:0b61) or name:PATTERN. devices takes the same forms.",
            ),
            Key(
                "auto_detect",
                "bool",
                True,
                "Treat devices of scanner makers (USB vendor) or with a scanner-like name as "
                "scanners; false: only those listed in devices.",
            ),
            Key("grab", "bool", True, "Grab scanners exclusively so no key reaches the UI."),
            Key("evdev", "bool", True, "Read keyboard-mode (evdev) scanners at all."),
            Key("serial_baudrate", "int", 9600, "Speed of the serial scanners.", minimum=1200),
            Key("min_length", "int", 1, "Shorter reads are dropped as noise.", minimum=1),
        ),
    ),
    Section(
        "printer",
        "The receipt printer (ESC/POS).",
        (
            Key("kind", "str", "simulated", "simulated, usb, network, serial or file."),
            Key("profile", "str", "80mm", "Paper and printer profile (80mm or 58mm)."),
            Key("device", "str", "", "Serial device or file path, for serial and file printers."),
            Key("host", "str", "", "Network printer address."),
            Key("port", "int", 9100, "Network printer port.", minimum=1, maximum=65535),
            Key("usb_vendor", "int", 0, "USB vendor id (write 0x04b8 as 0x04b8 in TOML)."),
            Key("usb_product", "int", 0, "USB product id."),
            Key(
                "text_mode",
                "str",
                "auto",
                "How Chinese is printed: gb18030 text, raster images, or auto from the profile.",
                choices=("auto", "gb18030", "raster"),
            ),
            Key(
                "timeout_s",
                "int",
                5,
                "Seconds before a silent printer counts as offline.",
                minimum=1,
            ),
            Key("baudrate", "int", 9600, "Serial printer speed (kind = serial).", minimum=1200),
            Key(
                "chinese_font",
                "bool",
                True,
                "The printer has a resident GB18030 font (text_mode auto then prints text).",
            ),
            Key(
                "status_query",
                "bool",
                True,
                "Ask DLE EOT status before and after each job; false for printers that never "
                "answer (jobs then count as printed once written).",
            ),
            Key("logo", "str", "", "Image printed at the top of receipts; empty: none."),
            Key("font_path", "str", "", "CJK font for raster mode; empty: found on the system."),
        ),
    ),
    Section(
        "drawer",
        "The cash drawer: GPIO, the printer's kick connector, or simulated.",
        (
            Key("kind", "str", "simulated", "simulated, gpio or printer."),
            Key("gpio_pin", "int", 17, "BCM pin driving the drawer solenoid (gpio).", minimum=0),
            Key("active_high", "bool", True, "The solenoid fires on a high level."),
            Key("pulse_ms", "int", 100, "Kick pulse length.", minimum=1),
            Key("sensor_pin", "int", -1, "BCM pin of the open sensor; -1: no sensor.", minimum=-1),
            Key(
                "open_alert_s",
                "int",
                120,
                "Raise an alert when the drawer stays open this long.",
                minimum=1,
            ),
            Key("kick_pin", "int", 2, "Printer kick connector pin (2 or 5).", choices=(2, 5)),
            Key(
                "sensor_open_level",
                "str",
                "high",
                "Sensor level meaning open: high (pull-up, switch to ground when shut) or low.",
                choices=("high", "low"),
            ),
            Key("debounce_ms", "int", 30, "Open-sensor level must hold this long.", minimum=0),
        ),
    ),
    Section(
        "payments",
        "Payment providers.",
        (
            Key("qr", "str", "simulated", "Mobile QR provider."),
            Key("card", "str", "simulated", "Bank-card terminal."),
            Key(
                "qr_decline_suffixes",
                "list[str]",
                ["0000"],
                "Simulated QR provider: payment codes ending so are declined.",
            ),
            Key(
                "qr_timeout_suffixes",
                "list[str]",
                ["9999"],
                "Simulated QR provider: payment codes ending so time out.",
            ),
            Key(
                "qr_max_amount",
                "int",
                0,
                "Simulated QR provider: single-payment limit in minor units; 0: none.",
                minimum=0,
            ),
            Key(
                "card_outcome",
                "str",
                "approved",
                "Simulated card terminal's answer.",
                choices=("approved", "declined", "timeout"),
            ),
        ),
    ),
    Section(
        "link",
        "The MQTT link to the store's broker.",
        (
            Key("enabled", "bool", False, "Connect to the broker."),
            Key("host", "str", "127.0.0.1", "Broker host."),
            Key("port", "int", 8883, "Broker port (TLS).", minimum=1, maximum=65535),
            Key("ca", "str", "", "CA certificate file."),
            Key("cert", "str", "", "This terminal's client certificate."),
            Key("key", "str", "", "This terminal's private key."),
            Key(
                "seal_key",
                "str",
                "",
                "This terminal's X25519 key file that opens PINs and card codes sealed to it; "
                "`posctl terminal enroll` writes it. Empty: secrets are refused unless the "
                "owner sends them with --allow-plaintext.",
            ),
            Key(
                "owner_keys",
                "list[str]",
                [],
                "Owner Ed25519 public keys (base64) trusted for signed commands.",
            ),
            Key(
                "store",
                "str",
                "",
                "Store id in the MQTT topics (pos/v1/<store>/<terminal>/...); "
                "`posctl terminal enroll` writes it.",
            ),
            Key(
                "events_per_message",
                "int",
                50,
                "Events per MQTT message (a batch above 1; the collector reads both forms).",
                minimum=1,
                maximum=1000,
            ),
            Key(
                "window",
                "int",
                1000,
                "Events sent but not yet acknowledged by the collector.",
                minimum=1,
            ),
            Key(
                "ack_timeout",
                "float",
                30.0,
                "Seconds without a collector ack before an event is sent again.",
                minimum=1,
            ),
            Key(
                "max_inflight",
                "int",
                20,
                "QoS 1 messages awaiting the broker (lowered to its Receive Maximum).",
                minimum=1,
            ),
            Key("keepalive", "int", 30, "MQTT keep-alive in seconds.", minimum=5),
            Key(
                "status_interval",
                "float",
                60.0,
                "Seconds between retained status updates.",
                minimum=1,
            ),
        ),
    ),
    Section(
        "ui",
        "The touchscreen window.",
        (
            Key("width", "int", 1024, "Window width in pixels.", minimum=240),
            Key("height", "int", 600, "Window height in pixels.", minimum=240),
            Key("fullscreen", "bool", False, "Kiosk full screen."),
            Key(
                "font", "str", "", "Font file with Chinese glyphs; empty: the first CJK font found."
            ),
        ),
    ),
    Section(
        "automation",
        "The simulator-only control channel (never enabled with real hardware).",
        (
            Key("enabled", "bool", False, "Open the control socket."),
            Key("socket", "str", "", "Socket path; empty: <data_dir>/automation.sock."),
        ),
    ),
)


def section(name: str) -> Section:
    for s in SCHEMA:
        if s.name == name:
            return s
    raise KeyError(name)


# --- values --------------------------------------------------------------------------------


class SectionValues:
    """One section's values, read as attributes (``config.store.currency``)."""

    __slots__ = ("_name", "_values")

    def __init__(self, name: str, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"[{self._name}] has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("configuration values are read-only")

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def __repr__(self) -> str:
        return f"SectionValues({self._name!r}, {self._values!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SectionValues)
            and other._name == self._name
            and other._values == self._values
        )

    __hash__ = None  # type: ignore[assignment]


class Config:
    """The loaded configuration: one attribute per section (``config.printer.port``)."""

    def __init__(self, sections: Mapping[str, Mapping[str, Any]], path: Path | None) -> None:
        self.path = path
        self._sections = {name: SectionValues(name, values) for name, values in sections.items()}

    def __getattr__(self, name: str) -> SectionValues:
        try:
            return self.__dict__["_sections"][name]
        except KeyError:
            raise AttributeError(f"no configuration section [{name}]") from None

    @property
    def data_dir(self) -> Path:
        return Path(self._sections["terminal"].data_dir)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {name: s.as_dict() for name, s in self._sections.items()}


# --- loading -------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")
_KEYLINE = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.split(r"\s*\.\s*", dotted.strip())]


def _key_lines(text: str) -> Iterator[tuple[tuple[str, ...], int]]:
    """(table path + key path, line number) of every header and key line in a TOML text."""
    table: list[str] = []
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            table = _parts(header.group(1))
            yield tuple(table), number
            continue
        keyline = _KEYLINE.match(line)
        if keyline:
            yield tuple(table + _parts(keyline.group(1))), number
            rest = line[keyline.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote


def find_line(text: str, *path: str) -> int | None:
    for found, number in _key_lines(text):
        if found == path:
            return number
    return None


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "pos-terminal"


def default_config_paths() -> list[Path]:
    """Where ``load_config(None)`` looks when $POS_CONFIG is not set, first found wins: the
    user's config, the system's, then the SD card's boot partition (where enrolment drops it)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [
        Path(base) / "pos-terminal" / CONFIG_FILENAME,
        Path("/etc/pos-terminal") / CONFIG_FILENAME,
        Path("/boot/firmware") / CONFIG_FILENAME,
    ]


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "list[int]":
        return isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        )
    raise ValueError(f"unknown schema type {kind!r}")


_TYPE_WORDS = {
    "str": "a string in quotes",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "list[str]": 'a list of strings, like ["a", "b"]',
    "list[int]": "a list of whole numbers, like [1, 2]",
}


def _problem(key: Key, value: Any) -> str | None:
    if not _type_ok(key.type, value):
        return f"expected {_TYPE_WORDS[key.type]}, got {value!r}"
    if key.choices and value not in key.choices:
        return f"must be one of {', '.join(repr(c) for c in key.choices)}, got {value!r}"
    if key.minimum is not None and value < key.minimum:
        return f"must be at least {key.minimum}, got {value}"
    if key.maximum is not None and value > key.maximum:
        return f"must be at most {key.maximum}, got {value}"
    if key.check is not None:
        return key.check(value)
    return None


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_config(text: str, path: Path | None = None) -> Config:
    """Check ``text`` against the schema and fill in defaults."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            m = re.search(r"line (\d+)", str(exc))
            if m:
                line = int(m.group(1))
            elif "end of document" in str(exc):
                line = max(1, len(text.splitlines()))
        raise ConfigError(f"not valid TOML: {exc}", path, None, line) from exc
    names = [s.name for s in SCHEMA]
    values: dict[str, dict[str, Any]] = {}
    for name, raw in data.items():
        if name not in names:
            raise ConfigError(
                f"unknown section [{name}]{_suggest(name, names)}",
                path,
                name,
                find_line(text, name),
            )
        if not isinstance(raw, dict):
            raise ConfigError(
                f"[{name}] must be a table, got {raw!r}", path, name, find_line(text, name)
            )
    for sec in SCHEMA:
        raw = data.get(sec.name, {})
        known = [k.name for k in sec.keys]
        for key_name in raw:
            if key_name not in known:
                raise ConfigError(
                    f"unknown key in [{sec.name}]{_suggest(key_name, known)}",
                    path,
                    f"{sec.name}.{key_name}",
                    find_line(text, sec.name, key_name),
                )
        resolved: dict[str, Any] = {}
        for key in sec.keys:
            if key.name in raw:
                value = raw[key.name]
                problem = _problem(key, value)
                if problem:
                    raise ConfigError(
                        problem, path, f"{sec.name}.{key.name}", find_line(text, sec.name, key.name)
                    )
                resolved[key.name] = value
            else:
                default = key.default
                resolved[key.name] = list(default) if isinstance(default, list) else default
        values[sec.name] = resolved
    values["terminal"]["data_dir"] = str(_resolve_data_dir(values["terminal"]["data_dir"], path))
    return Config(values, path)


def _resolve_data_dir(value: str, path: Path | None) -> Path:
    if not value:
        return default_data_dir()
    resolved = Path(value).expanduser()
    if not resolved.is_absolute():
        base = path.parent if path is not None else Path.cwd()
        resolved = base / resolved
    return resolved


def load_config(path: Path | None = None) -> Config:
    """Load ``path``; when None, $POS_CONFIG, then the first of ``default_config_paths()`` that
    exists, else all defaults. A named file that does not exist is an error."""
    if path is None:
        env = os.environ.get(CONFIG_ENV)
        if env:
            path = Path(env)
        else:
            path = next((p for p in default_config_paths() if p.is_file()), None)
            if path is None:
                return parse_config("", None)
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError("file not found", path) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text: {exc}", path) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path) from exc
    return parse_config(text, path)


# --- documentation -------------------------------------------------------------------------


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
        "<!-- Generated from terminal/config.py by `python -m terminal.config`; do not edit. -->",
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
        "```",
        "",
    ]
    return "\n".join(out)


def main() -> None:
    sys.stdout.write(render_docs())


if __name__ == "__main__":
    main()
