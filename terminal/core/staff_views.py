"""What the staff screen shows: one row per clerk, and what the last action did."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class StaffRow:
    staff_id: str
    name: str
    name_zh: str
    role: str
    status: str
    """"active", "suspended" or "left"."""
    trainee: bool
    cards: int
    training: tuple[dict[str, Any], ...] = ()
    """The clerk's training records, oldest first (``date``, ``content``, ``result``...)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class StaffNotice:
    """The outcome of one staff action, for the notice line. Only the fields the action set are
    filled; ``pin`` is a generated PIN shown once to hand over."""

    staff_id: str
    pin: str = ""
    tag: str = ""
    status: str = ""
    record: dict[str, Any] | None = None
    signed_off: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
