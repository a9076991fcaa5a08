"""Staff records, roles, and the directory they are read from.

A clerk's record and a role's definition change only through journal entries (``staff.saved``,
``role.saved``, ``training.recorded``, ``staff.snapshot_applied``): the service posts them, and
the ledger's staff projection applies them with :func:`apply_staff_entry` inside the same
transaction. Secrets (PIN and card hashes) and lockout counters are not journal material, so the
directory stores them directly; the journal only says that they changed and who changed them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from terminal.core.errors import InvalidInput
from terminal.core.records import JournalEntry
from terminal.core.rights import Right, Verdict

OWNER = "@owner"
"""The authority of the owner's signed provisioning messages: holds every right. Account ids may
not start with "@", so no clerk can ever be this actor."""

_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$")
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class StaffStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LEFT = "left"
    """Left the store: kept forever so history can name them, but can never log in again."""


@dataclass(frozen=True, slots=True)
class Grant:
    """What one role or clerk may do with one right."""

    verdict: Verdict
    limits: Mapping[str, int] = field(default_factory=dict)
    """Limit name -> value (money in minor units, discounts in basis points, ages in days).
    A limit that is absent is unlimited."""

    def to_payload(self) -> dict[str, Any]:
        return {"verdict": self.verdict.value, "limits": dict(sorted(self.limits.items()))}

    @classmethod
    def from_payload(cls, d: Mapping[str, Any] | str) -> Grant:
        if isinstance(d, str):
            return cls(Verdict(d))
        limits = d.get("limits") or {}
        for name, value in limits.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidInput(f"limit {name!r} must be a whole number >= 0, not {value!r}")
        return cls(Verdict(d["verdict"]), {str(k): int(v) for k, v in limits.items()})


def grants_to_payload(grants: Mapping[Right, Grant]) -> dict[str, Any]:
    return {r.value: g.to_payload() for r, g in sorted(grants.items())}


def grants_from_payload(d: Mapping[str, Any]) -> dict[Right, Grant]:
    out: dict[Right, Grant] = {}
    for key, value in d.items():
        try:
            right = Right(key)
        except ValueError as exc:
            raise InvalidInput(f"unknown right {key!r}") from exc
        try:
            out[right] = Grant.from_payload(value)
        except (KeyError, ValueError, TypeError) as exc:
            if isinstance(exc, InvalidInput):
                raise
            raise InvalidInput(f"bad grant for {key!r}: {value!r}") from exc
    return out


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    label: str
    grants: Mapping[Right, Grant]
    """Rights absent here are denied."""
    requires_training: bool = False
    """A clerk gets this role only after completing the training checklist."""

    def to_payload(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "grants": grants_to_payload(self.grants),
            "requires_training": self.requires_training,
        }

    @classmethod
    def from_payload(cls, d: Mapping[str, Any]) -> Role:
        name = str(d.get("name", ""))
        if not _ROLE_NAME.match(name):
            raise InvalidInput(f"role name {name!r}: lower-case letters, digits and _ only")
        return cls(
            name=name,
            label=str(d.get("label") or name),
            grants=grants_from_payload(d.get("grants") or {}),
            requires_training=bool(d.get("requires_training", False)),
        )


@dataclass(frozen=True, slots=True)
class TrainingRecord:
    date: str
    """ISO date (YYYY-MM-DD) of the training."""
    content: str
    result: str
    recorded_by: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "content": self.content,
            "result": self.result,
            "recorded_by": self.recorded_by,
        }

    @classmethod
    def from_payload(cls, d: Mapping[str, Any]) -> TrainingRecord:
        return cls(str(d["date"]), str(d["content"]), str(d["result"]), d.get("recorded_by"))


@dataclass(frozen=True, slots=True)
class StaffMember:
    staff_id: str
    """The unique account id: a phone number or staff number."""
    name: str
    role: str
    name_zh: str = ""
    """The Chinese name, shown on the login tile and receipts when the terminal speaks zh_CN."""
    gender: str | None = None
    contact: str = ""
    photo: str | None = None
    """Path of the photo shown on the login tile, if any."""
    overrides: Mapping[Right, Grant] = field(default_factory=dict)
    """Per-clerk grants that replace the role's grant for that right."""
    status: StaffStatus = StaffStatus.ACTIVE
    trainee: bool = False
    """A trainee logs in to training mode only, until the checklist is complete."""
    training: tuple[TrainingRecord, ...] = ()

    @property
    def active(self) -> bool:
        return self.status is StaffStatus.ACTIVE

    def to_payload(self) -> dict[str, Any]:
        return {
            "staff_id": self.staff_id,
            "name": self.name,
            "name_zh": self.name_zh,
            "role": self.role,
            "gender": self.gender,
            "contact": self.contact,
            "photo": self.photo,
            "overrides": grants_to_payload(self.overrides),
            "status": self.status.value,
            "trainee": self.trainee,
        }

    @classmethod
    def from_payload(cls, d: Mapping[str, Any]) -> StaffMember:
        """Build and validate a record from a plain dict (a form, a command, a snapshot)."""
        staff_id = str(d.get("staff_id", "")).strip()
        check_account_id(staff_id)
        name = str(d.get("name", "")).strip()
        if not name:
            raise InvalidInput("a staff member needs a name")
        role = str(d.get("role", "")).strip()
        if not role:
            raise InvalidInput("a staff member needs a role")
        try:
            status = StaffStatus(d.get("status", "active"))
        except ValueError as exc:
            raise InvalidInput(
                f"status must be active, suspended or left: {d['status']!r}"
            ) from exc
        gender = d.get("gender") or None
        photo = d.get("photo") or None
        return cls(
            staff_id=staff_id,
            name=name,
            role=role,
            name_zh=str(d.get("name_zh") or "").strip(),
            gender=str(gender) if gender else None,
            contact=str(d.get("contact") or ""),
            photo=str(photo) if photo else None,
            overrides=grants_from_payload(d.get("overrides") or {}),
            status=status,
            trainee=bool(d.get("trainee", False)),
            training=tuple(TrainingRecord.from_payload(t) for t in d.get("training", ())),
        )

    def with_changes(self, **changes: Any) -> StaffMember:
        return replace(self, **changes)


def check_account_id(staff_id: str) -> None:
    if not _ACCOUNT_ID.match(staff_id):
        raise InvalidInput(
            f"account id {staff_id!r}: 1-40 letters, digits or . _ + -, starting with a letter "
            "or digit (a phone or staff number)"
        )


@dataclass(frozen=True, slots=True)
class PinCredential:
    staff_id: str
    pin_hash: str
    must_change: bool


@dataclass(frozen=True, slots=True)
class CardCredential:
    lookup_id: str
    """HMAC of the card code under the terminal's card key: finds the card without storing it."""
    staff_id: str
    verifier: str
    """scrypt hash of the card code."""


@dataclass(frozen=True, slots=True)
class LockState:
    staff_id: str
    failures: int = 0
    """Wrong PINs since the last success or lock."""
    locks: int = 0
    """Locks since the last successful login: each one lasts longer."""
    locked_until: str | None = None
    """ISO 8601 UTC."""


class StaffSink(Protocol):
    """Where :func:`apply_staff_entry` writes: the projection's tables, or memory in tests."""

    def save_member(self, member: StaffMember) -> None: ...

    def save_role(self, role: Role) -> None: ...

    def add_training_record(self, staff_id: str, record: TrainingRecord) -> None: ...

    def set_snapshot_version(self, version: int) -> None: ...


class StaffDirectory(Protocol):
    """Read side of staff data plus the secret, non-journaled state (credentials, lockouts)."""

    def member(self, staff_id: str) -> StaffMember | None:
        """With training records, in date order."""

    def members(self) -> list[StaffMember]:
        """Everyone ever added, including suspended and left, ordered by name."""

    def stored_role(self, name: str) -> Role | None:
        """A role saved through the journal (custom, or a built-in's replacement)."""

    def stored_roles(self) -> list[Role]: ...

    def snapshot_version(self) -> int:
        """The last provisioning snapshot applied; 0 when none."""

    def pin(self, staff_id: str) -> PinCredential | None: ...

    def set_pin(self, credential: PinCredential) -> None: ...

    def card(self, lookup_id: str) -> CardCredential | None: ...

    def cards_of(self, staff_id: str) -> list[CardCredential]: ...

    def set_card(self, credential: CardCredential) -> None:
        """Assigns the card (a lookup id belongs to one clerk at most; re-assigning moves it)."""

    def remove_card(self, lookup_id: str) -> None: ...

    def lock_state(self, staff_id: str) -> LockState: ...

    def set_lock_state(self, state: LockState) -> None: ...


STAFF_KINDS = ("staff.saved", "role.saved", "training.recorded", "staff.snapshot_applied")
"""The journal kinds that change staff records; the staff projection claims them."""


def apply_staff_entry(entry: JournalEntry, sink: StaffSink) -> None:
    """The staff projection: a pure function of the entry, shared by the SQLite store and the
    in-memory directory so both read the journal the same way."""
    p = entry.payload
    if entry.kind == "staff.saved":
        sink.save_member(StaffMember.from_payload(p["staff"]))
    elif entry.kind == "role.saved":
        sink.save_role(Role.from_payload(p["role"]))
    elif entry.kind == "training.recorded":
        sink.add_training_record(p["staff_id"], TrainingRecord.from_payload(p["record"]))
    elif entry.kind == "staff.snapshot_applied":
        sink.set_snapshot_version(int(p["version"]))
    else:
        raise ValueError(f"not a staff journal kind: {entry.kind}")
