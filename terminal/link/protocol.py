"""The wire format between terminals, the collector and the owner tool: topic tree, message
schemas, canonical JSON, and Ed25519 signatures on owner commands.

Both ends import this one module (``provisioning/`` too), so a change here is a protocol change:
bump ``PROTOCOL_VERSION`` and the topic root for anything that is not backwards compatible, and
describe it in ``docs/mqtt.md``.

Every ``decode_*``/``parse_*`` function takes untrusted bytes and returns either a fully valid
message or raises :class:`ValidationError` naming the offending field; nothing else escapes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
import types
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from terminal.core.records import Item, TaxClass

PROTOCOL_VERSION = 1
TOPIC_ROOT = "pos/v1"

MAX_COMMAND_BYTES = 8 * 1024 * 1024
"""Largest command accepted; a 100,000-item catalog travels as many chunks well under this."""
MAX_SMALL_BYTES = 64 * 1024
"""Largest ack or status message accepted."""
MAX_EVENT_BYTES = 1024 * 1024
CATALOG_CHUNK_ITEMS = 2000
"""Items per catalog.snapshot chunk the owner tool sends (the terminal accepts up to
``MAX_CHUNK_ITEMS``)."""
MAX_CHUNK_ITEMS = 10_000
MAX_COMMAND_LIFETIME = timedelta(days=31)
CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future ``issued_at`` may be before the terminal calls it not yet valid."""

COLLECTOR_GROUP = "collectors"
RESERVED_IDS = frozenset({"collector", "store", "owner", "all"})
"""Names that appear in the topic tree at a terminal's level, so no terminal may use them."""

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ValidationError(ValueError):
    """A message (or part of one) is not valid. ``field`` is a dotted path such as
    ``body.items[3].price``; ``"$"`` means the message as a whole."""

    def __init__(self, field_path: str, message: str) -> None:
        super().__init__(f"{field_path}: {message}")
        self.field = field_path
        self.message = message


class RejectCode(StrEnum):
    """Stable codes in error replies and ``command.rejected`` journal entries."""

    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_SIGNER = "unknown_signer"
    BAD_SIGNATURE = "bad_signature"
    WRONG_TARGET = "wrong_target"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REPLAY = "replay"
    UNKNOWN_TYPE = "unknown_type"
    UNSUPPORTED = "unsupported"
    """Valid and authentic, but this terminal has no handler for the type."""
    INVALID = "invalid"
    """The handler refused the body (e.g. an unknown role); nothing was changed."""
    FAILED = "failed"
    """The handler failed unexpectedly; see the message."""
    BAD_SEAL = "bad_seal"
    """A sealed field does not open with this terminal's sealing key (altered, sealed for
    another terminal or command), or the terminal has no sealing key; nothing was changed."""


# --- identifiers and topics -----------------------------------------------------------------


def check_id(value: Any, field_path: str = "id") -> str:
    """Store and terminal ids: 1-64 of letters, digits, ``_ . -``, no MQTT wildcards or
    slashes, and not a reserved topic word."""
    if not isinstance(value, str) or not _ID.match(value):
        raise ValidationError(
            field_path, f"must be 1-64 letters, digits, '_', '.' or '-', got {value!r}"
        )
    if value in RESERVED_IDS:
        raise ValidationError(field_path, f"{value!r} is reserved")
    return value


def events_topic(store: str, terminal: str) -> str:
    """Terminal -> collector: one journal entry per message, QoS 1."""
    return f"{TOPIC_ROOT}/{check_id(store, 'store')}/{check_id(terminal, 'terminal')}/events"


def status_topic(store: str, terminal: str) -> str:
    """Terminal -> everyone: retained status; the last will sets it offline."""
    return f"{TOPIC_ROOT}/{check_id(store, 'store')}/{check_id(terminal, 'terminal')}/status"


def command_topic(store: str, terminal: str) -> str:
    """Owner -> one terminal: signed commands."""
    return f"{TOPIC_ROOT}/{check_id(store, 'store')}/{check_id(terminal, 'terminal')}/cmd"


def store_command_topic(store: str) -> str:
    """Owner -> every terminal of a store: signed commands whose target names only the store."""
    return f"{TOPIC_ROOT}/{check_id(store, 'store')}/store/cmd"


def reply_topic(store: str, terminal: str) -> str:
    """Terminal -> owner: command replies. A command's MQTT 5 response topic must be this topic
    or below it (the ACL lets a terminal publish nowhere else)."""
    return f"{TOPIC_ROOT}/{check_id(store, 'store')}/{check_id(terminal, 'terminal')}/reply"


def ack_topic(store: str, terminal: str) -> str:
    """Collector -> terminal: which events are stored."""
    return (
        f"{TOPIC_ROOT}/{check_id(store, 'store')}/collector/acks/{check_id(terminal, 'terminal')}"
    )


EVENTS_FILTER = f"{TOPIC_ROOT}/+/+/events"
STATUS_FILTER = f"{TOPIC_ROOT}/+/+/status"
REPLY_FILTER = f"{TOPIC_ROOT}/+/+/reply/#"
"""Matches ``.../reply`` itself and anything below it."""


def shared(filter_: str, group: str = COLLECTOR_GROUP) -> str:
    """An MQTT 5 shared subscription: the broker gives each message to one member of
    ``group``, so several collectors split the load."""
    return f"$share/{group}/{filter_}"


@dataclass(frozen=True, slots=True)
class TopicInfo:
    store: str
    terminal: str | None
    kind: str
    """"events", "status", "cmd", "reply", "store_cmd" or "ack"."""


def parse_topic(topic: str) -> TopicInfo:
    parts = topic.split("/")
    root = TOPIC_ROOT.split("/")
    if parts[: len(root)] != root:
        raise ValidationError("topic", f"not under {TOPIC_ROOT}: {topic!r}")
    rest = parts[len(root) :]
    if len(rest) == 3 and rest[1] == "store" and rest[2] == "cmd":
        return TopicInfo(check_id(rest[0], "topic.store"), None, "store_cmd")
    if len(rest) == 4 and rest[1] == "collector" and rest[2] == "acks":
        return TopicInfo(
            check_id(rest[0], "topic.store"), check_id(rest[3], "topic.terminal"), "ack"
        )
    if len(rest) >= 3 and rest[2] == "reply":
        return TopicInfo(
            check_id(rest[0], "topic.store"), check_id(rest[1], "topic.terminal"), "reply"
        )
    if len(rest) == 3 and rest[2] in ("events", "status", "cmd"):
        return TopicInfo(
            check_id(rest[0], "topic.store"), check_id(rest[1], "topic.terminal"), rest[2]
        )
    raise ValidationError("topic", f"unknown topic {topic!r}")


# --- JSON ------------------------------------------------------------------------------------


def canonical_json(obj: Any) -> bytes:
    """The one byte string a JSON value signs as: sorted keys, no whitespace, UTF-8, integers
    only (floats have no single spelling, and money is integer minor units anyway)."""
    _check_canonical(obj, "$")
    return _dumps_canonical(obj)


def _dumps_canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _check_canonical(obj: Any, path: str) -> None:
    if obj is None or isinstance(obj, bool | int | str):
        return
    if isinstance(obj, float):
        raise ValidationError(path, "floats are not allowed; use integers")
    if isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _check_canonical(v, f"{path}[{i}]")
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise ValidationError(path, f"object keys must be strings, got {k!r}")
            _check_canonical(v, f"{path}.{k}")
        return
    raise ValidationError(path, f"not a JSON value: {type(obj).__name__}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two readers could pick different copies of a repeated key, so a signature over one
    # reading would not cover the other. dict() in C, and a key-by-key walk only to name the
    # repeated key: this runs for every object of every message.
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise ValidationError(k, "appears twice")
            seen.add(k)
    return out


def _no_constants(name: str) -> Any:
    raise ValidationError("$", f"{name} is not valid JSON")


def _no_floats(text: str) -> Any:
    raise ValidationError("$", f"floats are not allowed, got {text}")


def loads(data: bytes | bytearray | str, *, max_bytes: int, allow_floats: bool = False) -> Any:
    """Strict JSON: size-limited, UTF-8, no repeated keys, no NaN/Infinity, optionally no
    floats. Any problem is a ValidationError."""
    if len(data) > max_bytes:
        raise ValidationError("$", f"message is {len(data)} bytes, the limit is {max_bytes}")
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError("$", f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    else:
        text = data
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constants,
            parse_float=None if allow_floats else _no_floats,
        )
    except json.JSONDecodeError as exc:
        raise ValidationError(
            "$", f"not JSON: {exc.msg} at line {exc.lineno} col {exc.colno}"
        ) from None
    except RecursionError:
        raise ValidationError("$", "nested too deeply") from None


# --- schema checking -------------------------------------------------------------------------
# Message bodies are frozen dataclasses; ``from_json`` walks their type hints, so a schema is
# written once, as the dataclass, and the error names the exact field that is wrong.

Checker = Callable[[Any, str], Any]


@functools.cache
def _checker(tp: Any) -> Checker:
    """A function checking one value against schema type ``tp``, built once per type: a
    100,000-item catalog is 1.4 million field checks, so the type analysis must not repeat."""
    origin = get_origin(tp)
    if tp is Any:

        def check_any(value: Any, path: str) -> Any:
            _check_canonical(value, path)
            return value

        return check_any
    if tp is object:
        # Already-parsed JSON checked elsewhere (the command envelope's body is checked
        # against its type's schema right after).
        return lambda value, path: value
    if tp in (str, bool, int, type(None)):
        return _scalar_checker(tp)
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        nullable = type(None) in args
        options = [_checker(a) for a in args if a is not type(None)]

        def check_union(value: Any, path: str) -> Any:
            if value is None and nullable:
                return None
            last: ValidationError | None = None
            for option in options:
                try:
                    return option(value, path)
                except ValidationError as exc:
                    last = exc
            assert last is not None
            raise last

        return check_union
    if origin is Literal:
        allowed = get_args(tp)
        choices = ", ".join(map(repr, allowed))

        def check_literal(value: Any, path: str) -> Any:
            if (
                not isinstance(value, str | int)
                or value not in allowed
                or isinstance(value, bool) != isinstance(allowed[0], bool)
            ):
                raise ValidationError(path, f"must be one of {choices}")
            return value

        return check_literal
    if origin in (list, tuple):
        item = _checker(get_args(tp)[0])
        as_tuple = origin is tuple

        def check_list(value: Any, path: str) -> Any:
            if type(value) is not list:
                raise ValidationError(path, f"must be a list, got {_kind(value)}")
            items = [item(v, f"{path}[{i}]") for i, v in enumerate(value)]
            return tuple(items) if as_tuple else items

        return check_list
    if origin is dict:
        kt, vt = (_checker(a) for a in get_args(tp))

        def check_dict(value: Any, path: str) -> Any:
            if type(value) is not dict:
                raise ValidationError(path, f"must be an object, got {_kind(value)}")
            return {kt(k, path): vt(v, f"{path}.{k}") for k, v in value.items()}

        return check_dict
    if isinstance(tp, type) and hasattr(tp, "__dataclass_fields__"):
        return lambda value, path: from_json(tp, value, path)
    raise TypeError(f"schema type {tp!r} is not supported")  # a bug in a schema, not in input


def _scalar_checker(tp: type) -> Checker:
    if tp is str:
        what = "a string"
    elif tp is bool:
        what = "true or false"
    elif tp is int:
        what = "an integer"
    else:
        what = "null"
    # Exact type checks: bool is an int subclass, and JSON gives exactly these types.
    exact = type(None) if tp is type(None) else tp

    def check_scalar(value: Any, path: str) -> Any:
        if type(value) is not exact:
            raise ValidationError(path, f"must be {what}, got {_kind(value)}")
        return value

    return check_scalar


def _check(tp: Any, value: Any, path: str) -> Any:
    return _checker(tp)(value, path)


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    check: Checker
    required: bool


@functools.cache
def _schema(cls: type) -> tuple[tuple[_Field, ...], frozenset[str], bool]:
    hints = get_type_hints(cls)
    specs = tuple(
        _Field(
            f.name,
            _checker(hints[f.name]),
            f.default is MISSING and f.default_factory is MISSING,
        )
        for f in fields(cls)
    )
    return specs, frozenset(f.name for f in specs), hasattr(cls, "validate")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def from_json(cls: type, value: Any, path: str = "$") -> Any:
    """Build dataclass ``cls`` from a parsed JSON object, checking every field's type, refusing
    unknown fields, and then running the class's ``validate()`` if it has one."""
    if type(value) is not dict:
        raise ValidationError(path, f"must be an object, got {_kind(value)}")
    specs, known, has_validate = _schema(cls)
    kwargs: dict[str, Any] = {}
    top = path == "$"
    for f in specs:
        if f.name in value:
            kwargs[f.name] = f.check(value[f.name], f.name if top else f"{path}.{f.name}")
        elif f.required:
            raise ValidationError(f.name if top else f"{path}.{f.name}", "is required")
    if len(kwargs) != len(value):
        extra = sorted(set(value) - known)
        raise ValidationError(extra[0] if top else f"{path}.{extra[0]}", "is not a known field")
    obj = cls(**kwargs)
    if has_validate:
        obj.validate(path)
    return obj


def to_json(obj: Any) -> Any:
    """A dataclass (or nested structure of them) as plain JSON values."""
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: to_json(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_json(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_json(v) for k, v in obj.items()}
    return obj


def _sub(path: str, name: str) -> str:
    return name if path == "$" else f"{path}.{name}"


def _nonneg(value: int | None, path: str, name: str) -> None:
    if value is not None and value < 0:
        raise ValidationError(_sub(path, name), "must not be negative")


def _nonempty(value: str, path: str, name: str, max_len: int = 200) -> None:
    if not value.strip():
        raise ValidationError(_sub(path, name), "must not be empty")
    if len(value) > max_len:
        raise ValidationError(_sub(path, name), f"is longer than {max_len} characters")


def parse_time(value: str, path: str) -> datetime:
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(path, f"not an ISO 8601 time: {value!r}") from None
    if t.tzinfo is None:
        raise ValidationError(path, "needs a UTC offset (e.g. 'Z')")
    return t.astimezone(UTC)


def format_time(t: datetime) -> str:
    if t.tzinfo is None:
        raise ValueError("timezone-aware time needed")
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- command bodies --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StaffAdd:
    staff_id: str
    name: str
    role: str
    gender: str | None = None
    contact: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)
    """Right -> grant, as in ``terminal.core.staff.grants_to_payload``."""
    trainee: bool = False
    pin: str | None = None
    """An initial PIN chosen by the owner (the terminal stores only its hash); without one the
    owner issues it later with pin.reset."""
    must_change_pin: bool = True
    sealed: dict[str, str] = field(default_factory=dict)
    """Secret fields sealed to the terminal (``terminal.link.sealing``): here ``pin``."""

    def validate(self, path: str) -> None:
        _nonempty(self.staff_id, path, "staff_id", 40)
        _nonempty(self.name, path, "name")
        _nonempty(self.role, path, "role", 32)
        _check_sealed(self, path, "staff.add")


@dataclass(frozen=True, slots=True)
class StaffUpdate:
    staff_id: str
    changes: dict[str, Any]
    """Any of name, gender, contact, photo, role, overrides."""

    def validate(self, path: str) -> None:
        _nonempty(self.staff_id, path, "staff_id", 40)
        if not self.changes:
            raise ValidationError(_sub(path, "changes"), "must change something")
        for k in self.changes:
            if k not in STAFF_UPDATE_FIELDS:
                raise ValidationError(
                    _sub(path, f"changes.{k}"),
                    "cannot be changed here (status: staff.suspend; PIN: pin.reset)",
                )


STAFF_UPDATE_FIELDS = frozenset({"name", "gender", "contact", "photo", "role", "overrides"})


@dataclass(frozen=True, slots=True)
class StaffSuspend:
    staff_id: str
    reason: str = ""
    status: Literal["suspended", "left", "active"] = "suspended"
    """"active" lifts a suspension; "left" closes the account for good."""

    def validate(self, path: str) -> None:
        _nonempty(self.staff_id, path, "staff_id", 40)


@dataclass(frozen=True, slots=True)
class StaffSnapshot:
    """The whole staff, role and card set at a numbered version: members not listed are
    marked left, cards not listed are revoked; re-applying the same version changes nothing."""

    version: int
    staff: list[dict[str, Any]]
    roles: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    """``{"staff_id": ..., "code": ...}`` each."""

    def validate(self, path: str) -> None:
        if self.version < 1:
            raise ValidationError(_sub(path, "version"), "must be >= 1")


@dataclass(frozen=True, slots=True)
class CardAssign:
    staff_id: str
    code: str = ""
    """What the badge's barcode or QR code reads as; empty when it travels in ``sealed``."""
    sealed: dict[str, str] = field(default_factory=dict)
    """Secret fields sealed to the terminal: here ``code``."""

    def validate(self, path: str) -> None:
        _nonempty(self.staff_id, path, "staff_id", 40)
        _check_sealed(self, path, "card.assign")
        if "code" not in self.sealed:
            _nonempty(self.code, path, "code", 128)


@dataclass(frozen=True, slots=True)
class CardRevoke:
    staff_id: str
    code: str | None = None
    tag: str | None = None
    """The card's tag as shown in lists; with neither code nor tag every card of the clerk is
    revoked."""

    def validate(self, path: str) -> None:
        _nonempty(self.staff_id, path, "staff_id", 40)


@dataclass(frozen=True, slots=True)
class PinReset:
    staff_id: str
    pin: str | None = None
    """The new initial PIN; without it the terminal generates one and returns it in the reply
    (shown to the owner once)."""
    must_change: bool = True
    """The clerk must choose a new PIN at the next login."""
    sealed: dict[str, str] = field(default_factory=dict)
    """Secret fields sealed to the terminal: here ``pin``."""

    def validate(self, path: str) -> None:
        _nonempty(self.staff_id, path, "staff_id", 40)
        _check_sealed(self, path, "pin.reset")


@dataclass(frozen=True, slots=True)
class BadgePrint:
    """Print a staff badge on the terminal's receipt printer."""

    staff_id: str
    name: str
    name_zh: str = ""
    role_label: str = ""
    code: str = ""
    """What the badge's QR code or barcode reads as; empty when it travels in ``sealed``."""
    symbology: Literal["qr", "code128"] = "qr"
    store_name: str = ""
    sealed: dict[str, str] = field(default_factory=dict)
    """Secret fields sealed to the terminal: here ``code``."""

    def validate(self, path: str) -> None:
        _nonempty(self.staff_id, path, "staff_id", 40)
        _nonempty(self.name, path, "name")
        for name in ("name_zh", "role_label", "store_name"):
            if len(getattr(self, name)) > 200:
                raise ValidationError(_sub(path, name), "is longer than 200 characters")
        _check_sealed(self, path, "badge.print")
        if "code" not in self.sealed:
            _nonempty(self.code, path, "code", 128)
            if self.symbology == "code128" and not all(32 <= ord(c) < 127 for c in self.code):
                raise ValidationError(_sub(path, "code"), "Code 128 carries printable ASCII only")


SEALABLE: dict[str, frozenset[str]] = {
    "staff.add": frozenset({"pin"}),
    "card.assign": frozenset({"code"}),
    "pin.reset": frozenset({"pin"}),
    "badge.print": frozenset({"code"}),
}
"""Command type -> the body fields that may travel sealed in the body's ``sealed`` object
(field name -> sealed token); the terminal opens them before its handler runs."""
MAX_SEALED_CHARS = 4096


def _check_sealed(body: Any, path: str, type_: str) -> None:
    allowed = SEALABLE[type_]
    for name, token in body.sealed.items():
        where = _sub(path, f"sealed.{name}")
        if name not in allowed:
            raise ValidationError(
                where, f"cannot be sealed (sealable: {', '.join(sorted(allowed))})"
            )
        if getattr(body, name):
            raise ValidationError(where, "is also given in clear")
        if not token or len(token) > MAX_SEALED_CHARS:
            raise ValidationError(where, f"must be 1-{MAX_SEALED_CHARS} characters")


@dataclass(frozen=True, slots=True)
class RoleSet:
    name: str
    label: str = ""
    grants: dict[str, Any] = field(default_factory=dict)
    """Right -> grant, as in ``terminal.core.staff.Role.to_payload``."""
    requires_training: bool = False

    def validate(self, path: str) -> None:
        _nonempty(self.name, path, "name", 32)


@dataclass(frozen=True, slots=True)
class ItemBody:
    """``terminal.core.records.Item`` on the wire."""

    sku: str
    name: str
    price: int
    name_zh: str = ""
    barcodes: list[str] = field(default_factory=list)
    tax_class: str = "standard"
    unit: Literal["each", "kg"] = "each"
    open_price: bool = False
    stock_milli: int | None = None
    category: str = ""
    active: bool = True

    def validate(self, path: str) -> None:
        _nonempty(self.sku, path, "sku", 64)
        _nonempty(self.name, path, "name")
        _nonneg(self.price, path, "price")
        for i, code in enumerate(self.barcodes):
            if not code or len(code) > 64:
                raise ValidationError(_sub(path, f"barcodes[{i}]"), "must be 1-64 characters")

    def to_item(self) -> Item:
        return Item(
            sku=self.sku,
            name=self.name,
            name_zh=self.name_zh,
            price=self.price,
            barcodes=tuple(self.barcodes),
            tax_class=self.tax_class,
            unit=self.unit,
            open_price=self.open_price,
            stock_milli=self.stock_milli,
            category=self.category,
            active=self.active,
        )

    @classmethod
    def from_item(cls, item: Item) -> ItemBody:
        return cls(
            sku=item.sku,
            name=item.name,
            name_zh=item.name_zh,
            price=item.price,
            barcodes=list(item.barcodes),
            tax_class=item.tax_class,
            unit=item.unit,  # type: ignore[arg-type]
            open_price=item.open_price,
            stock_milli=item.stock_milli,
            category=item.category,
            active=item.active,
        )


@dataclass(frozen=True, slots=True)
class TaxClassBody:
    code: str
    rate_bp: int
    inclusive: bool = True
    name: str = ""

    def validate(self, path: str) -> None:
        _nonempty(self.code, path, "code", 32)
        if not 0 <= self.rate_bp <= 10_000:
            raise ValidationError(_sub(path, "rate_bp"), "must be 0-10000 basis points")

    def to_tax_class(self) -> TaxClass:
        return TaxClass(self.code, self.rate_bp, self.inclusive, self.name)


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """One chunk of a full catalog. A snapshot is complete when chunks 0..chunks-1 of the same
    version have been applied; items absent from a complete snapshot are deactivated."""

    version: int
    chunk: int
    chunks: int
    items: list[ItemBody]
    tax_classes: list[TaxClassBody] = field(default_factory=list)
    quick_keys: list[str] | None = None

    def validate(self, path: str) -> None:
        if self.version < 1:
            raise ValidationError(_sub(path, "version"), "must be >= 1")
        if self.chunks < 1 or self.chunks > 10_000:
            raise ValidationError(_sub(path, "chunks"), "must be 1-10000")
        if not 0 <= self.chunk < self.chunks:
            raise ValidationError(_sub(path, "chunk"), f"must be 0-{self.chunks - 1}")
        if len(self.items) > MAX_CHUNK_ITEMS:
            raise ValidationError(_sub(path, "items"), f"more than {MAX_CHUNK_ITEMS} in a chunk")
        seen: set[str] = set()
        for i, it in enumerate(self.items):
            if it.sku in seen:
                raise ValidationError(_sub(path, f"items[{i}].sku"), f"{it.sku!r} repeated")
            seen.add(it.sku)


@dataclass(frozen=True, slots=True)
class PriceChange:
    sku: str
    price: int

    def validate(self, path: str) -> None:
        _nonneg(self.price, path, "price")


@dataclass(frozen=True, slots=True)
class StockLevel:
    sku: str
    stock_milli: int
    """The absolute level (setting, not adding, so applying twice changes nothing)."""


@dataclass(frozen=True, slots=True)
class CatalogDelta:
    version: int
    prices: list[PriceChange] = field(default_factory=list)
    stock: list[StockLevel] = field(default_factory=list)
    items: list[ItemBody] = field(default_factory=list)
    """Whole items to add or replace."""
    deactivate: list[str] = field(default_factory=list)

    def validate(self, path: str) -> None:
        if self.version < 1:
            raise ValidationError(_sub(path, "version"), "must be >= 1")
        total = len(self.prices) + len(self.stock) + len(self.items) + len(self.deactivate)
        if total == 0:
            raise ValidationError(path, "changes nothing")
        if total > MAX_CHUNK_ITEMS:
            raise ValidationError(path, f"more than {MAX_CHUNK_ITEMS} changes in one delta")


@dataclass(frozen=True, slots=True)
class SettingsSet:
    values: dict[str, Any]
    """Setting name (as in ``terminal.core.settings.StoreSettings``) -> new value."""

    def validate(self, path: str) -> None:
        if not self.values:
            raise ValidationError(_sub(path, "values"), "must set something")


@dataclass(frozen=True, slots=True)
class AlertRule:
    rule_id: str
    kind: str
    """e.g. "sale.total_over", "refund.total_over", "void.count_over", "drawer.open_seconds",
    "outbox.depth_over"."""
    threshold: int
    window_minutes: int = 0
    enabled: bool = True

    def validate(self, path: str) -> None:
        _nonempty(self.rule_id, path, "rule_id", 64)
        _nonempty(self.kind, path, "kind", 64)
        _nonneg(self.threshold, path, "threshold")
        _nonneg(self.window_minutes, path, "window_minutes")


@dataclass(frozen=True, slots=True)
class AlertsSet:
    rules: list[AlertRule]
    """The complete rule set (replaces the previous one)."""


@dataclass(frozen=True, slots=True)
class ResendFrom:
    seq: int
    """Re-send every journal entry from this sequence number on."""

    def validate(self, path: str) -> None:
        if self.seq < 1:
            raise ValidationError(_sub(path, "seq"), "must be >= 1")


@dataclass(frozen=True, slots=True)
class ReportRequest:
    report: Literal["x", "z", "shift", "staff", "range"]
    """x: since the last Z; z: a stored Z report by number; shift: the open (or named) shift;
    staff: one clerk since the last Z; range: between two ISO times."""
    number: int | None = None
    shift_id: str | None = None
    staff_id: str | None = None
    since: str | None = None
    until: str | None = None

    def validate(self, path: str) -> None:
        if self.report == "z" and self.number is None:
            raise ValidationError(_sub(path, "number"), "is required for a z report")
        if self.report == "staff" and not self.staff_id:
            raise ValidationError(_sub(path, "staff_id"), "is required for a staff report")
        if self.report == "range" and (self.since is None or self.until is None):
            raise ValidationError(_sub(path, "since"), "since and until are required")
        for name in ("since", "until"):
            v = getattr(self, name)
            if v is not None:
                parse_time(v, _sub(path, name))


BODY_TYPES: dict[str, type] = {
    "staff.add": StaffAdd,
    "staff.update": StaffUpdate,
    "staff.suspend": StaffSuspend,
    "staff.snapshot": StaffSnapshot,
    "card.assign": CardAssign,
    "card.revoke": CardRevoke,
    "pin.reset": PinReset,
    "role.set": RoleSet,
    "badge.print": BadgePrint,
    "catalog.snapshot": CatalogSnapshot,
    "catalog.delta": CatalogDelta,
    "settings.set": SettingsSet,
    "alerts.set": AlertsSet,
    "resend.from": ResendFrom,
    "report.request": ReportRequest,
}
COMMAND_TYPES = frozenset(BODY_TYPES)


# --- keys and signatures ---------------------------------------------------------------------


def public_key_text(key: Ed25519PublicKey) -> str:
    """``ed25519:<base64 of the 32 raw bytes>`` — how keys appear in config files."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + base64.b64encode(raw).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 over the raw public key; names the signer in a command."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(text: str | bytes) -> Ed25519PublicKey:
    """Accepts ``ed25519:<base64>``, bare base64 of 32 bytes, or a PEM public key."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the PEM key is not an Ed25519 public key")
        return key
    if text.startswith("ed25519:"):
        text = text[len("ed25519:") :]
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not a base64 Ed25519 public key") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, this one is {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


class TrustedKeys:
    """The owner public keys a terminal accepted at enrolment, by key id."""

    def __init__(self, keys: Iterable[Ed25519PublicKey | str] = ()) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for k in keys:
            self.add(k)

    def add(self, key: Ed25519PublicKey | str) -> str:
        pub = load_public_key(key) if isinstance(key, str) else key
        kid = key_id(pub)
        self._keys[kid] = pub
        return kid

    def get(self, kid: str) -> Ed25519PublicKey | None:
        return self._keys.get(kid)

    def ids(self) -> list[str]:
        return sorted(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


class Signer:
    """The owner's side: signs commands with an Ed25519 private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, data: bytes, password: bytes | None = None) -> Signer:
        key = serialization.load_pem_private_key(data, password)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM key is not an Ed25519 private key")
        return cls(key)

    def private_pem(self, password: bytes | None = None) -> bytes:
        enc: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc
        )

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)


# --- commands --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    store: str
    terminal: str | None = None
    """None: every terminal of the store."""

    def validate(self, path: str) -> None:
        check_id(self.store, _sub(path, "store"))
        if self.terminal is not None:
            check_id(self.terminal, _sub(path, "terminal"))

    @property
    def scope(self) -> str:
        """The owner's sequence counters are per scope: one per terminal, one per store."""
        if self.terminal is None:
            return f"store:{self.store}"
        return f"terminal:{self.store}/{self.terminal}"


@dataclass(frozen=True, slots=True)
class _Envelope:
    v: int
    id: str
    type: str
    target: Target
    issued_at: str
    expires_at: str
    seq: int
    signer: str
    body: dict[str, object]
    sig: str


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed, schema-checked command. ``verify`` must still be called before trusting it."""

    v: int
    id: str
    type: str
    target: Target
    issued_at: datetime
    expires_at: datetime
    seq: int
    signer: str
    body: Any
    """The typed body dataclass for ``type`` (see ``BODY_TYPES``)."""
    raw_body: dict[str, Any]
    signed_bytes: bytes
    """Canonical JSON of everything but ``sig``: what the signature covers."""
    signature: bytes

    def verify(self, trusted: TrustedKeys) -> None:
        """Raises CommandRejected (unknown_signer or bad_signature) unless the signature is
        valid for a trusted key."""
        key = trusted.get(self.signer)
        if key is None:
            raise CommandRejected(
                RejectCode.UNKNOWN_SIGNER, f"key {self.signer} is not trusted by this terminal"
            )
        try:
            key.verify(self.signature, self.signed_bytes)
        except InvalidSignature:
            raise CommandRejected(
                RejectCode.BAD_SIGNATURE, "the signature does not match the message"
            ) from None

    def summary(self) -> dict[str, Any]:
        """What journal entries and logs say about a command (never the whole body)."""
        return {
            "id": self.id,
            "type": self.type,
            "seq": self.seq,
            "signer": self.signer,
            "scope": self.target.scope,
            "issued_at": format_time(self.issued_at),
            "expires_at": format_time(self.expires_at),
        }


class CommandRejected(Exception):
    """A command that must not be applied: ``code`` goes into the error reply and journal."""

    def __init__(self, code: RejectCode, message: str, field_path: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field_path


def parse_command(data: bytes | bytearray | str) -> Command:
    """Untrusted bytes -> a schema-checked Command, or ValidationError naming the field.

    Checks structure, version, types and the body's schema; not signature, target, time or
    order (see :func:`Command.verify` and the terminal's intake)."""
    try:
        return _parse_command(data)
    except RecursionError:
        raise ValidationError("$", "nested too deeply") from None


def _parse_command(data: bytes | bytearray | str) -> Command:
    obj = loads(data, max_bytes=MAX_COMMAND_BYTES)
    if not isinstance(obj, dict):
        raise ValidationError("$", f"must be an object, got {_kind(obj)}")
    if "v" in obj and obj["v"] != PROTOCOL_VERSION:
        raise ValidationError("v", f"unsupported protocol version {obj['v']!r}")
    env: _Envelope = from_json(_Envelope, obj)
    try:
        uuid.UUID(env.id)
    except ValueError:
        raise ValidationError("id", f"not a UUID: {env.id!r}") from None
    body_type = BODY_TYPES.get(env.type)
    if body_type is None:
        raise ValidationError("type", f"unknown command type {env.type!r}")
    if env.seq < 1:
        raise ValidationError("seq", "must be >= 1")
    issued = parse_time(env.issued_at, "issued_at")
    expires = parse_time(env.expires_at, "expires_at")
    if expires <= issued:
        raise ValidationError("expires_at", "must be after issued_at")
    if expires - issued > MAX_COMMAND_LIFETIME:
        raise ValidationError("expires_at", f"a command may live at most {MAX_COMMAND_LIFETIME}")
    if not re.fullmatch(r"[0-9a-f]{16}", env.signer):
        raise ValidationError("signer", "must be a 16-digit hex key id")
    try:
        signature = base64.b64decode(env.sig, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("sig", "not base64") from None
    if len(signature) != 64:
        raise ValidationError("sig", "an Ed25519 signature is 64 bytes")
    body = from_json(body_type, env.body, "body")
    unsigned = {k: v for k, v in obj.items() if k != "sig"}
    return Command(
        v=env.v,
        id=env.id,
        type=env.type,
        target=env.target,
        issued_at=issued,
        expires_at=expires,
        seq=env.seq,
        signer=env.signer,
        body=body,
        raw_body=env.body,
        # ``loads`` refused floats and JSON keys are strings, so the value is canonical-clean.
        signed_bytes=_dumps_canonical(unsigned),
        signature=signature,
    )


def peek_id(data: bytes | bytearray | str) -> str | None:
    """The ``id`` of a message that failed to parse, if one can be read, for the error reply."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError, TypeError):
        return None
    if isinstance(obj, dict) and isinstance(obj.get("id"), str) and len(obj["id"]) <= 64:
        return obj["id"]
    return None


def sign_command(
    signer: Signer,
    *,
    type: str,
    body: Mapping[str, Any] | Any,
    target: Target,
    seq: int,
    issued_at: datetime,
    ttl: timedelta = timedelta(hours=24),
    id: str | None = None,
) -> bytes:
    """Build and sign one command; returns the bytes to publish. ``body`` may be a body
    dataclass or a plain dict (checked against the schema either way)."""
    if type not in BODY_TYPES:
        raise ValueError(f"unknown command type {type!r}")
    raw_body = to_json(body) if hasattr(body, "__dataclass_fields__") else dict(body)
    from_json(BODY_TYPES[type], raw_body, "body")
    target.validate("target")
    unsigned = {
        "v": PROTOCOL_VERSION,
        "id": id or str(uuid.uuid4()),
        "type": type,
        "target": {"store": target.store, "terminal": target.terminal},
        "issued_at": format_time(issued_at),
        "expires_at": format_time(issued_at + ttl),
        "seq": seq,
        "signer": signer.key_id,
        "body": raw_body,
    }
    sig = signer.sign(canonical_json(unsigned))
    return canonical_json({**unsigned, "sig": base64.b64encode(sig).decode()})


def catalog_snapshot_chunks(
    items: list[Item] | list[ItemBody],
    version: int,
    *,
    tax_classes: Iterable[TaxClass] = (),
    quick_keys: list[str] | None = None,
    chunk_items: int = CATALOG_CHUNK_ITEMS,
) -> list[CatalogSnapshot]:
    """Split a full catalog into snapshot chunk bodies; tax classes and quick keys ride on
    chunk 0. An empty catalog is one empty chunk (which deactivates everything)."""
    bodies = [i if isinstance(i, ItemBody) else ItemBody.from_item(i) for i in items]
    groups = [bodies[i : i + chunk_items] for i in range(0, len(bodies), chunk_items)] or [[]]
    taxes = [TaxClassBody(t.code, t.rate_bp, t.inclusive, t.name) for t in tax_classes]
    return [
        CatalogSnapshot(
            version=version,
            chunk=n,
            chunks=len(groups),
            items=g,
            tax_classes=taxes if n == 0 else [],
            quick_keys=quick_keys if n == 0 else None,
        )
        for n, g in enumerate(groups)
    ]


# --- replies ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplyError:
    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    id: str | None
    """The command's id; None when the command was too broken to read one."""
    terminal: str
    status: Literal["done", "error"]
    error: ReplyError | None = None
    result: Any = None
    v: int = PROTOCOL_VERSION
    ts: str = ""

    def validate(self, path: str) -> None:
        if self.status == "error" and self.error is None:
            raise ValidationError(_sub(path, "error"), "an error reply needs an error")

    @classmethod
    def done(cls, id: str, terminal: str, result: Any = None, ts: str = "") -> Reply:
        return cls(id=id, terminal=terminal, status="done", result=result, ts=ts)

    @classmethod
    def failed(
        cls,
        id: str | None,
        terminal: str,
        code: RejectCode | str,
        message: str,
        field_path: str | None = None,
        ts: str = "",
    ) -> Reply:
        return cls(
            id=id,
            terminal=terminal,
            status="error",
            error=ReplyError(str(code), message, field_path),
            ts=ts,
        )


def encode_reply(reply: Reply) -> bytes:
    return canonical_json(to_json(reply))


def decode_reply(data: bytes | bytearray | str) -> Reply:
    return from_json(Reply, loads(data, max_bytes=MAX_EVENT_BYTES))


# --- events, acks, status --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    terminal: str
    seq: int
    kind: str
    entry: object
    """The journal entry as the ledger serialised it (its outbox row body). Not walked again
    after parsing: event messages are read without floats (``loads`` refuses them, NaN and
    repeated keys anywhere in the message), so what ``loads`` returns is already valid
    canonical JSON, and a second walk over every entry cost as much as the parse."""
    v: int = PROTOCOL_VERSION

    def validate(self, path: str) -> None:
        check_id(self.terminal, _sub(path, "terminal"))
        if self.seq < 1:
            raise ValidationError(_sub(path, "seq"), "must be >= 1")
        _nonempty(self.kind, path, "kind", 64)


def encode_event(terminal: str, seq: int, kind: str, body: bytes) -> bytes:
    """Wrap an outbox row without re-parsing its body: ``body`` is already JSON."""
    head = json.dumps(
        {"v": PROTOCOL_VERSION, "terminal": terminal, "seq": seq, "kind": kind},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return head[:-1] + b',"entry":' + body + b"}"


def decode_event(data: bytes | bytearray | str) -> Event:
    """One event message (a JSON object). For messages that may carry a batch, use
    :func:`decode_events`."""
    obj = loads(data, max_bytes=MAX_EVENT_BYTES)
    return _event(obj, "$")


def _event(obj: Any, path: str) -> Event:
    if isinstance(obj, dict) and "v" in obj and obj["v"] != PROTOCOL_VERSION:
        raise ValidationError(_sub(path, "v"), f"unsupported protocol version {obj['v']!r}")
    return from_json(Event, obj, path)


MAX_BATCH_EVENTS = 1000
MAX_BATCH_BYTES = 16 * 1024 * 1024


def encode_event_batch(events: Iterable[bytes]) -> bytes:
    """Several already encoded events (from :func:`encode_event`, in sequence order) as one
    message: a JSON array. Fewer, larger messages cut the per-message cost on both ends."""
    return b"[" + b",".join(events) + b"]"


def decode_events(data: bytes | bytearray | str) -> list[Event]:
    """An event message: one event (object) or a batch (array) of one terminal's events."""
    obj = loads(data, max_bytes=MAX_BATCH_BYTES)
    if isinstance(obj, list):
        if not obj:
            raise ValidationError("$", "an empty batch")
        if len(obj) > MAX_BATCH_EVENTS:
            raise ValidationError("$", f"more than {MAX_BATCH_EVENTS} events in one batch")
        events = [_event(o, f"[{i}]") for i, o in enumerate(obj)]
        if len({e.terminal for e in events}) != 1:
            raise ValidationError("[0].terminal", "a batch carries one terminal's events")
        return events
    if len(data) > MAX_EVENT_BYTES:
        raise ValidationError("$", f"message is {len(data)} bytes, the limit is {MAX_EVENT_BYTES}")
    return [_event(obj, "$")]


@dataclass(frozen=True, slots=True)
class Ack:
    """Collector -> terminal. Idempotent: acking a sequence twice, or one the terminal no
    longer holds, changes nothing."""

    terminal: str
    upto: int = 0
    """Every event with seq <= upto is stored (highest contiguous sequence)."""
    seqs: list[int] = field(default_factory=list)
    """Further single events stored beyond ``upto`` (after a gap)."""
    resend_from: int | None = None
    """The collector lost events from here on: send them again even if acknowledged."""
    v: int = PROTOCOL_VERSION

    def validate(self, path: str) -> None:
        check_id(self.terminal, _sub(path, "terminal"))
        _nonneg(self.upto, path, "upto")
        if len(self.seqs) > 100_000:
            raise ValidationError(_sub(path, "seqs"), "too many")
        for i, s in enumerate(self.seqs):
            if s < 1:
                raise ValidationError(_sub(path, f"seqs[{i}]"), "must be >= 1")
        if self.resend_from is not None and self.resend_from < 1:
            raise ValidationError(_sub(path, "resend_from"), "must be >= 1")


def encode_ack(ack: Ack) -> bytes:
    return canonical_json(to_json(ack))


def decode_ack(data: bytes | bytearray | str) -> Ack:
    obj = loads(data, max_bytes=MAX_COMMAND_BYTES)
    if isinstance(obj, dict) and "v" in obj and obj["v"] != PROTOCOL_VERSION:
        raise ValidationError("v", f"unsupported protocol version {obj['v']!r}")
    return from_json(Ack, obj)


@dataclass(frozen=True, slots=True)
class Status:
    """Retained on the terminal's status topic. The MQTT last will publishes the offline form
    (with the fields known at connect time) when the terminal vanishes."""

    terminal: str
    store: str
    state: Literal["online", "offline"]
    version: str
    ts: str
    last_seq: int | None = None
    """Newest journal sequence number on the terminal."""
    acked_seq: int | None = None
    """Highest sequence the collector has acknowledged (contiguously) in this run."""
    outbox_depth: int | None = None
    health: dict[str, str] = field(default_factory=dict)
    """Device -> "ok", "fault" or "unknown"."""
    reason: str = ""
    """Offline: "shutdown" (clean stop) or "lost" (the last will)."""
    v: int = PROTOCOL_VERSION


def encode_status(status: Status) -> bytes:
    return canonical_json(to_json(status))


def decode_status(data: bytes | bytearray | str) -> Status:
    obj = loads(data, max_bytes=MAX_SMALL_BYTES)
    if isinstance(obj, dict) and "v" in obj and obj["v"] != PROTOCOL_VERSION:
        raise ValidationError("v", f"unsupported protocol version {obj['v']!r}")
    return from_json(Status, obj)
