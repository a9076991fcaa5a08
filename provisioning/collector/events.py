"""One journal entry as a terminal reported it to the collector, and which kinds the owner's
reports read: sales and refunds become rows, alerts are shown as they happen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from terminal.core.canonical import canonical

SALE_KINDS = {"sale.completed": "sale", "refund.completed": "refund"}
ALERT_KINDS = frozenset(
    {
        "drawer.left_open",
        "sale.voided",
        "line.voided",
        "payment.declined",
        "payment.reversed",
        "login.failed",
        "login.locked",
        "command.rejected",
        "approval.denied",
    }
)
"""Event kinds the owner wants to see in ``posctl watch`` as they happen; any ``alert.*`` kind
(raised by the terminal's alert rules) counts too, and so does a shift closed over or short."""


def payload_json(ev: Event) -> str:
    return ev.payload_json or canonical(ev.payload)


def is_alert(kind: str, payload: Mapping[str, Any]) -> bool:
    if kind in ALERT_KINDS or kind.startswith("alert."):
        return True
    return kind == "shift.closed" and int(payload.get("over_short") or 0) != 0


@dataclass(frozen=True, slots=True)
class Event:
    """One journal entry as the terminal reported it."""

    store_id: str
    terminal_id: str
    seq: int
    uuid: str
    ts: str
    kind: str
    staff_id: str | None
    payload: dict[str, Any]
    number: int | None = None
    series: str | None = None
    training: bool = False
    prev_hash: str = ""
    hash: str = ""
    payload_json: str = field(default="", compare=False, repr=False)
    """The payload's canonical JSON, when already made."""

    @classmethod
    def from_mapping(cls, store_id: str, terminal_id: str, d: Mapping[str, Any]) -> Event:
        """Build from a journal entry dict; raises ValueError naming the bad field."""
        try:
            seq = int(d["seq"])
            kind = str(d["kind"])
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"event without a valid seq/kind: {e}") from e
        if seq < 1:
            raise ValueError(f"event seq must be >= 1, got {seq}")
        payload = d.get("payload") or {}
        if not isinstance(payload, dict):
            raise ValueError("event payload must be an object")
        number = d.get("number")
        return cls(
            store_id=store_id,
            terminal_id=terminal_id,
            seq=seq,
            uuid=str(d.get("uuid") or ""),
            ts=str(d.get("ts") or ""),
            kind=kind,
            staff_id=d.get("staff_id"),
            payload=payload,
            number=int(number) if number is not None else None,
            series=d.get("series"),
            training=bool(d.get("training", False)),
            prev_hash=str(d.get("prev_hash") or ""),
            hash=str(d.get("hash") or ""),
            payload_json=canonical(payload),
        )
