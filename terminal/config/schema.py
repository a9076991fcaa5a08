"""The configuration schema: every section and key with its type, default, limits and one-line
doc, as declarative data, plus the validators some keys need.

To add a key: append a ``Key`` to its section (never rename or remove one a terminal may have
in its file), then regenerate the doc (``python -m terminal.config > docs/configuration.md``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from terminal.core.barcodes import DEFAULT_PRICE_PREFIXES, DEFAULT_WEIGHT_PREFIXES
from terminal.core.settings import ScanRules

_RULES = ScanRules()

TYPES = ("str", "int", "float", "bool", "list[str]", "list[int]")


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    type: str
    default: Any
    doc: str
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
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
        if not re.fullmatch(r"2\d", v):
            return f"{v!r} is not a two-digit GS1 in-store prefix 20-29 such as '20'"
    if len(set(values)) != len(values):
        return "a prefix is listed twice"
    return None


def _code_starts(values: list[str]) -> str | None:
    if not values:
        return "list at least one leading-digit prefix"
    for v in values:
        if not re.fullmatch(r"\d{1,6}", v):
            return f"{v!r} is not a prefix of 1-6 digits such as '10'"
    return None


def _code_lengths(values: list[int]) -> str | None:
    if not values:
        return "list at least one length"
    for v in values:
        if not 8 <= v <= 64:
            return f"{v} is not a payment-code length (8-64 digits)"
    return None


def _non_negative_list(values: list[int]) -> str | None:
    for v in values:
        if v <= 0:
            return f"{v} is not a positive amount in minor units"
    return None


def _wallets(values: list[str]) -> str | None:
    for v in values:
        if v not in ("wechat", "alipay"):
            return f"{v!r} is not a wallet: use wechat or alipay"
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
                list(DEFAULT_PRICE_PREFIXES),
                "GS1 variable-measure EAN-13 prefixes whose barcode embeds a price.",
                check=_digits,
            ),
            Key(
                "weight_prefixes",
                "list[str]",
                list(DEFAULT_WEIGHT_PREFIXES),
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
        "payment_codes",
        "What a customer's mobile payment code looks like, per provider: digits only, one of "
        "the lengths, starting with one of the prefixes. A scan is taken for a payment code "
        "only when it is no product, scale label or GS1 label.",
        (
            Key(
                "wechat_lengths",
                "list[int]",
                list(_RULES.wechat_lengths),
                "WeChat Pay payment-code lengths in digits.",
                check=_code_lengths,
            ),
            Key(
                "wechat_prefixes",
                "list[str]",
                list(_RULES.wechat_starts),
                "Leading digits of WeChat Pay payment codes.",
                check=_code_starts,
            ),
            Key(
                "alipay_lengths",
                "list[int]",
                list(_RULES.alipay_lengths),
                "Alipay payment-code lengths in digits.",
                check=_code_lengths,
            ),
            Key(
                "alipay_prefixes",
                "list[str]",
                list(_RULES.alipay_starts),
                "Leading digits of Alipay payment codes.",
                check=_code_starts,
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
            Key("layout", "str", "us", "Keyboard layout the scanners emulate.",
                choices=("us", "de", "fr")),
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
            Key("kind", "str", "simulated", "simulated, usb, network, serial or file.",
                choices=("simulated", "usb", "network", "serial", "file")),
            Key("profile", "str", "80mm", "Paper and printer profile (80mm or 58mm).",
                choices=("80mm", "58mm")),
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
            Key("kind", "str", "simulated", "simulated, gpio or printer.",
                choices=("simulated", "gpio", "printer")),
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
            Key(
                "qr",
                "str",
                "simulated",
                "Mobile QR payment codes: simulated (no money moves), live (the wallets in "
                "qr_wallets, docs/payments.md) or none (the store takes no QR payments). With "
                "[hardware] simulated = false, simulated is refused.",
                choices=("simulated", "live", "none"),
            ),
            Key(
                "card",
                "str",
                "simulated",
                "Bank-card terminal: simulated or none (the store takes no cards). With "
                "[hardware] simulated = false, simulated is refused.",
                choices=("simulated", "none"),
            ),
            Key(
                "qr_wallets",
                "list[str]",
                ["wechat", "alipay"],
                "Live QR: the wallets taken (wechat, alipay).",
                check=_wallets,
            ),
            Key(
                "secrets_file",
                "str",
                "/etc/pos-terminal/payments.toml",
                "Live QR: the credentials file (mode 0600, owned by the service user; never "
                "put keys in this file).",
            ),
            Key("ca_file", "str", "", "Live QR: CA bundle for the providers; empty: the system's."),
            Key(
                "wechat_url", "str", "https://api.mch.weixin.qq.com", "WeChat Pay API v2 base URL."
            ),
            Key(
                "wechat_sign_type",
                "str",
                "HMAC-SHA256",
                "WeChat Pay v2 signature type.",
                choices=("HMAC-SHA256", "MD5"),
            ),
            Key(
                "wechat_client_ip",
                "str",
                "127.0.0.1",
                "WeChat Pay spbill_create_ip: the terminal's IPv4 address as the provider "
                "should see it.",
            ),
            Key("alipay_url", "str", "https://openapi.alipay.com/gateway.do", "Alipay gateway."),
            Key("qr_subject", "str", "POS sale", "Live QR: the order title the customer sees."),
            Key(
                "qr_deadline_s",
                "float",
                45.0,
                "Live QR: seconds from the charge to the last query before reversing.",
            ),
            Key("qr_poll_s", "float", 5.0, "Live QR: seconds between queries."),
            Key(
                "qr_reverse_after_s",
                "float",
                15.0,
                "Live QR: never reverse sooner than this after the charge (WeChat's rule).",
            ),
            Key("connect_timeout_s", "float", 5.0, "Live QR: HTTPS connect timeout."),
            Key("read_timeout_s", "float", 10.0, "Live QR: HTTPS answer timeout."),
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
                "`posctl terminal enroll` writes it. Empty: every command carrying a PIN or "
                "card code is refused (they are accepted only sealed).",
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
            Key(
                "backoff_min",
                "float",
                0.5,
                "Seconds before the first reconnection attempt.",
                minimum=0.01,
            ),
            Key(
                "backoff_max",
                "float",
                60.0,
                "Longest wait between reconnection attempts (each waits a random time up to "
                "backoff_min doubled per failure, capped here).",
                minimum=0.01,
            ),
            Key("batch", "int", 500, "Outbox rows read per pass when sending.", minimum=1),
            Key(
                "session_expiry",
                "int",
                604800,
                "Seconds the broker keeps this terminal's session (and its queued commands) "
                "while it is offline.",
                minimum=0,
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
