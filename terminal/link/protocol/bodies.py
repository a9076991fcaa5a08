"""The command bodies: one frozen dataclass per command type (staff, cards, PINs, roles,
badges, catalog, settings, alerts, resend, reports), each with its own checks, the sealable
fields, ``BODY_TYPES``, and splitting a full catalog into snapshot chunks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from terminal.core.records import Item, TaxClass
from terminal.link.protocol.schema import nonempty, nonneg, parse_time, sub_path
from terminal.link.protocol.wire import ValidationError

CATALOG_CHUNK_ITEMS = 2000
"""Items per catalog.snapshot chunk the owner tool sends (the terminal accepts up to
``MAX_CHUNK_ITEMS``)."""
MAX_CHUNK_ITEMS = 10_000
MAX_PRICE = 10**12
"""The dearest item a till sells, in minor units (ten billion yuan): sums of many lines of it
still fit a 64-bit integer."""
MAX_STOCK_MILLI = 10**15


def amount(value: int, path: str, name: str) -> None:
    if not 0 <= value <= MAX_PRICE:
        raise ValidationError(sub_path(path, name), f"must be 0-{MAX_PRICE} minor units")


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
    """Secret fields sealed to the terminal (``terminal.link.sealing``): here ``pin``. The
    terminal refuses a ``pin`` in clear."""

    def validate(self, path: str) -> None:
        nonempty(self.staff_id, path, "staff_id", 40)
        nonempty(self.name, path, "name")
        nonempty(self.role, path, "role", 32)
        if self.role == "owner":
            raise ValidationError(
                sub_path(path, "role"), "the owner acts through signed commands, not an account"
            )
        _check_sealed(self, path, "staff.add")


@dataclass(frozen=True, slots=True)
class StaffUpdate:
    staff_id: str
    changes: dict[str, Any]
    """Any of name, gender, contact, photo, role, overrides."""

    def validate(self, path: str) -> None:
        nonempty(self.staff_id, path, "staff_id", 40)
        if not self.changes:
            raise ValidationError(sub_path(path, "changes"), "must change something")
        if self.changes.get("role") == "owner":
            raise ValidationError(
                sub_path(path, "changes.role"),
                "the owner acts through signed commands, not an account",
            )
        for k in self.changes:
            if k not in STAFF_UPDATE_FIELDS:
                raise ValidationError(
                    sub_path(path, f"changes.{k}"),
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
        nonempty(self.staff_id, path, "staff_id", 40)


@dataclass(frozen=True, slots=True)
class StaffSnapshot:
    """The whole staff, role and card set at a numbered version: members not listed are
    marked left, cards not listed are revoked; re-applying the same version changes nothing."""

    version: int
    staff: list[dict[str, Any]]
    """Member records; a new clerk's initial PIN rides sealed as ``"sealed": {"pin": token}``
    (sealed with field name ``staff[i].pin``, ``i`` the entry's index)."""
    roles: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    """``{"staff_id": ..., "sealed": {"code": token}}`` each (field name ``cards[i].code``)."""

    def validate(self, path: str) -> None:
        if self.version < 1:
            raise ValidationError(sub_path(path, "version"), "must be >= 1")
        for i, entry in enumerate(self.staff):
            if entry.get("role") == "owner":
                raise ValidationError(
                    sub_path(path, f"staff[{i}].role"),
                    "the owner acts through signed commands, not an account",
                )
        for list_name, secret in SNAPSHOT_SECRETS.items():
            for i, entry in enumerate(getattr(self, list_name)):
                sealed = entry.get("sealed", {})
                where = sub_path(path, f"{list_name}[{i}].sealed")
                if type(sealed) is not dict or set(sealed) - {secret}:
                    raise ValidationError(where, f"must be an object holding only {secret!r}")
                token = sealed.get(secret)
                if token is not None and (
                    type(token) is not str or not 0 < len(token) <= MAX_SEALED_CHARS
                ):
                    raise ValidationError(
                        f"{where}.{secret}", f"must be 1-{MAX_SEALED_CHARS} characters"
                    )


SNAPSHOT_SECRETS = {"staff": "pin", "cards": "code"}
"""The secret each staff.snapshot list may carry sealed in its entries' ``sealed`` objects."""


def snapshot_clear_secrets(body: StaffSnapshot) -> list[str]:
    """Paths of the PINs and card codes a staff snapshot carries in clear (the terminal refuses
    such a snapshot)."""
    return [
        f"body.{list_name}[{i}].{secret}"
        for list_name, secret in SNAPSHOT_SECRETS.items()
        for i, entry in enumerate(getattr(body, list_name))
        if entry.get(secret) is not None
    ]


def snapshot_seal_field(list_name: str, index: int) -> str:
    """The field name a staff.snapshot secret is sealed under (bound into the seal)."""
    return f"{list_name}[{index}].{SNAPSHOT_SECRETS[list_name]}"


@dataclass(frozen=True, slots=True)
class CardAssign:
    staff_id: str
    code: str = ""
    """What the badge's barcode or QR code reads as; empty when it travels in ``sealed``."""
    sealed: dict[str, str] = field(default_factory=dict)
    """Secret fields sealed to the terminal: here ``code``."""

    def validate(self, path: str) -> None:
        nonempty(self.staff_id, path, "staff_id", 40)
        _check_sealed(self, path, "card.assign")
        if "code" not in self.sealed:
            nonempty(self.code, path, "code", 128)


@dataclass(frozen=True, slots=True)
class CardRevoke:
    staff_id: str
    code: str | None = None
    tag: str | None = None
    """The card's tag as shown in lists; with neither code nor tag every card of the clerk is
    revoked."""

    def validate(self, path: str) -> None:
        nonempty(self.staff_id, path, "staff_id", 40)


@dataclass(frozen=True, slots=True)
class PinReset:
    staff_id: str
    pin: str | None = None
    """The new initial PIN, chosen by the owner; it must travel sealed (``sealed.pin``). The
    terminal never generates one here, since a generated PIN would have to travel back in the
    reply."""
    must_change: bool = True
    """The clerk must choose a new PIN at the next login."""
    sealed: dict[str, str] = field(default_factory=dict)
    """Secret fields sealed to the terminal: here ``pin``."""

    def validate(self, path: str) -> None:
        nonempty(self.staff_id, path, "staff_id", 40)
        _check_sealed(self, path, "pin.reset")
        if self.pin is None and "pin" not in self.sealed:
            raise ValidationError(
                sub_path(path, "sealed.pin"),
                "is required: the owner chooses the new PIN and sends it sealed",
            )


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
        nonempty(self.staff_id, path, "staff_id", 40)
        nonempty(self.name, path, "name")
        for name in ("name_zh", "role_label", "store_name"):
            if len(getattr(self, name)) > 200:
                raise ValidationError(sub_path(path, name), "is longer than 200 characters")
        _check_sealed(self, path, "badge.print")
        if "code" not in self.sealed:
            nonempty(self.code, path, "code", 128)
            if self.symbology == "code128" and not all(32 <= ord(c) < 127 for c in self.code):
                raise ValidationError(
                    sub_path(path, "code"), "Code 128 carries printable ASCII only"
                )


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
        where = sub_path(path, f"sealed.{name}")
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
        nonempty(self.name, path, "name", 32)


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
        nonempty(self.sku, path, "sku", 64)
        nonempty(self.name, path, "name")
        amount(self.price, path, "price")
        if self.stock_milli is not None and abs(self.stock_milli) > MAX_STOCK_MILLI:
            raise ValidationError(sub_path(path, "stock_milli"), "is out of range")
        for i, code in enumerate(self.barcodes):
            if not code or len(code) > 64:
                raise ValidationError(sub_path(path, f"barcodes[{i}]"), "must be 1-64 characters")

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
        nonempty(self.code, path, "code", 32)
        if not 0 <= self.rate_bp <= 10_000:
            raise ValidationError(sub_path(path, "rate_bp"), "must be 0-10000 basis points")

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
            raise ValidationError(sub_path(path, "version"), "must be >= 1")
        if self.chunks < 1 or self.chunks > 10_000:
            raise ValidationError(sub_path(path, "chunks"), "must be 1-10000")
        if not 0 <= self.chunk < self.chunks:
            raise ValidationError(sub_path(path, "chunk"), f"must be 0-{self.chunks - 1}")
        if len(self.items) > MAX_CHUNK_ITEMS:
            raise ValidationError(
                sub_path(path, "items"), f"more than {MAX_CHUNK_ITEMS} in a chunk"
            )
        seen: set[str] = set()
        for i, it in enumerate(self.items):
            if it.sku in seen:
                raise ValidationError(sub_path(path, f"items[{i}].sku"), f"{it.sku!r} repeated")
            seen.add(it.sku)


@dataclass(frozen=True, slots=True)
class PriceChange:
    sku: str
    price: int

    def validate(self, path: str) -> None:
        amount(self.price, path, "price")


@dataclass(frozen=True, slots=True)
class StockLevel:
    sku: str
    stock_milli: int
    """The absolute level (setting, not adding, so applying twice changes nothing)."""

    def validate(self, path: str) -> None:
        if abs(self.stock_milli) > MAX_STOCK_MILLI:
            raise ValidationError(sub_path(path, "stock_milli"), "is out of range")


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
            raise ValidationError(sub_path(path, "version"), "must be >= 1")
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
            raise ValidationError(sub_path(path, "values"), "must set something")


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
        nonempty(self.rule_id, path, "rule_id", 64)
        nonempty(self.kind, path, "kind", 64)
        nonneg(self.threshold, path, "threshold")
        nonneg(self.window_minutes, path, "window_minutes")


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
            raise ValidationError(sub_path(path, "seq"), "must be >= 1")


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
            raise ValidationError(sub_path(path, "number"), "is required for a z report")
        if self.report == "staff" and not self.staff_id:
            raise ValidationError(sub_path(path, "staff_id"), "is required for a staff report")
        if self.report == "range" and (self.since is None or self.until is None):
            raise ValidationError(sub_path(path, "since"), "since and until are required")
        for name in ("since", "until"):
            v = getattr(self, name)
            if v is not None:
                parse_time(v, sub_path(path, name))


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
