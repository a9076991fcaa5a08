"""Helpers shared by the projection modules (not an area itself: the name starts with "_")."""

from __future__ import annotations

from typing import Any

from terminal.core.records import JournalEntry


def open_shift_id(db: Any, training: bool = False) -> str | None:
    """The shift currently open, if any. Training has its own shifts, so a trainee practising
    a shift close never touches the real one."""
    row = db.execute_sql(
        "SELECT shift_id FROM shift WHERE closed_seq IS NULL AND training = ? "
        "ORDER BY seq DESC LIMIT 1",
        (int(training),),
    ).fetchone()
    return row[0] if row else None


def shift_of(entry: JournalEntry, db: Any) -> str | None:
    """Events that do not name their shift belong to the one open when they were posted."""
    given = entry.payload.get("shift_id")
    if given:
        return str(given)
    return open_shift_id(db, entry.training)


def require(payload: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if k not in payload]
    if missing:
        raise ValueError(f"payload is missing {', '.join(missing)}")


def as_int(payload: dict[str, Any], key: str, default: int | None = None) -> int:
    value = payload.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"payload field {key!r} must be an integer (minor units), got {value!r}")
    return value
