"""What the staff and figures screens show: one row per clerk, what the last staff action did,
and the clerks' figures over a period."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from terminal.core.evaluation import ClerkFigures


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


@dataclass(frozen=True, slots=True)
class FiguresView:
    """The figures screen: each clerk's figures over one period, oldest clerk id first."""

    period: str
    first: str
    """The period's first and last day (``YYYY-MM-DD``), in the store's time zone."""
    last: str
    everyone: bool
    store_scope: bool
    rows: tuple[ClerkFigures, ...]
    names_zh: dict[str, str]
    """staff id -> Chinese name, where the clerk has one."""

    def name(self, row: ClerkFigures, language: str) -> str:
        zh = self.names_zh.get(row.staff_id, "") if language.startswith("zh") else ""
        return zh or row.name or row.staff_id

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "from": self.first, "to": self.last,
                "everyone": self.everyone, "store_scope": self.store_scope,
                "rows": [{**r.to_dict(), "name_zh": self.names_zh.get(r.staff_id, "")}
                         for r in self.rows]}
