"""Sales not finished yet, as the journal knows them: open (being rung up or paid), parked (its
clerk logged out) or held (suspended from the menu). Each change of an open sale is journaled
(``sale.progress``, ``payment.authorised`` ...), so after a crash or a restart the terminal
rebuilds them from this record instead of losing the basket or a payment already taken.

``fold`` is the definition: it turns journal entries into the pending sales they leave. The
SQLite ledger keeps the same answer as a projection (``pending_sale``, ``pending_payment``) so a
start-up reads a few rows instead of the day's journal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from terminal.core.errors import IllegalStep
from terminal.core.records import JournalEntry, TenderRecord

OPEN = "open"
PARKED = "parked"
HELD = "held"
STATUSES = (OPEN, PARKED, HELD)

PROGRESS_KINDS = frozenset(
    {"sale.progress", "sale.suspended", "sale.recalled", "payment.authorised", "payment.reversed"}
)
"""Kinds that open or change a pending sale."""
CLOSING_KINDS = frozenset({"sale.completed", "sale.voided"})
"""Kinds that end one."""


@dataclass(frozen=True, slots=True)
class PendingSale:
    sale_id: str
    status: str
    """``open``, ``parked`` or ``held``."""
    staff_id: str | None
    """The clerk who last worked on it (who parked or held it)."""
    seq: int
    """The journal entry of its last change."""
    training: bool
    started_at: str
    lines: tuple[Mapping[str, Any], ...] = ()
    """``CartLine.spec()`` of every line, voided ones included."""
    sale_discount: Mapping[str, Any] | None = None
    shift_id: str | None = None
    payments: tuple[TenderRecord, ...] = field(default=())
    """Payments taken (authorised by a provider, or part cash) and not reversed."""

    @property
    def paid(self) -> int:
        return sum(p.amount for p in self.payments)


def body_of(payload: Mapping[str, Any]) -> dict[str, Any]:
    """What a pending sale keeps of a ``sale.progress`` or ``sale.suspended`` payload."""
    return {
        "lines": list(payload.get("lines") or ()),
        "sale_discount": payload.get("sale_discount"),
        "shift_id": payload.get("shift_id"),
    }


def tender_of(payload: Mapping[str, Any]) -> TenderRecord:
    """The tender a ``payment.authorised`` payload records."""
    amount = int(payload["amount"])
    return TenderRecord(
        kind=str(payload["kind"]),
        amount=amount,
        tendered=int(payload.get("tendered", amount)),
        change=int(payload.get("change", 0)),
        reference=str(payload.get("reference") or ""),
        provider=str(payload.get("provider") or ""),
    )


def status_of_suspend(payload: Mapping[str, Any]) -> str:
    return PARKED if payload.get("parked") else HELD


def fold(entries: Iterable[JournalEntry]) -> list[PendingSale]:
    """The pending sales ``entries`` (the journal, in seq order) leave, oldest change first."""
    rows: dict[str, dict[str, Any]] = {}
    for e in entries:
        if e.kind not in PROGRESS_KINDS and e.kind not in CLOSING_KINDS:
            continue
        p = e.payload if isinstance(e.payload, Mapping) else {}
        sale_id = p.get("sale_id")
        if not sale_id:
            continue
        if e.kind in CLOSING_KINDS:
            rows.pop(sale_id, None)
            continue
        row = rows.get(sale_id)
        if row is None:
            if e.kind in ("sale.recalled", "payment.reversed"):
                continue
            row = rows[sale_id] = {
                "status": OPEN, "staff_id": e.staff_id, "training": e.training,
                "started_at": str(p.get("started_at") or e.ts), "body": body_of({}),
                "payments": [],
            }
        row["seq"] = e.seq
        if e.kind == "sale.progress":
            row.update(status=OPEN, staff_id=e.staff_id, body=body_of(p))
        elif e.kind == "sale.suspended":
            row.update(status=status_of_suspend(p), staff_id=e.staff_id, body=body_of(p))
        elif e.kind == "sale.recalled":
            row.update(status=OPEN, staff_id=e.staff_id)
        elif e.kind == "payment.authorised":
            row["payments"].append(tender_of(p))
        else:
            _drop_payment(row["payments"], p)
    return [
        PendingSale(
            sale_id=sid, status=r["status"], staff_id=r["staff_id"], seq=r["seq"],
            training=r["training"], started_at=r["started_at"],
            lines=tuple(r["body"]["lines"]), sale_discount=r["body"]["sale_discount"],
            shift_id=r["body"]["shift_id"], payments=tuple(r["payments"]),
        )
        for sid, r in sorted(rows.items(), key=lambda kv: kv[1]["seq"])
    ]


def _drop_payment(payments: list[TenderRecord], p: Mapping[str, Any]) -> None:
    for i, t in enumerate(payments):
        if (t.kind, t.reference, t.amount) == (p.get("kind"), p.get("reference") or "",
                                               p.get("amount")):
            del payments[i]
            return


def describe(sales: Iterable[PendingSale]) -> str:
    """A short list for an error message: "held 1a2b3c (clerk c1), open 4d5e6f (clerk c2)"."""
    return ", ".join(
        f"{s.status} {s.sale_id[:8]} (clerk {s.staff_id or '?'})" for s in sales
    )


class UnfinishedSales(IllegalStep):
    """A shift close or Z report refused over sales still open, parked or held; ``sales``
    names them so the screen can list them in the clerk's language."""

    code = "sale.unfinished"

    def __init__(self, action: str, sales: Iterable[PendingSale]) -> None:
        self.sales = tuple(sales)
        n = len(self.sales)
        super().__init__(
            f"cannot {action}: {n} sale{'s are' if n > 1 else ' is'} not finished "
            f"({describe(self.sales)}); recall {'each' if n > 1 else 'it'} from Held sales "
            "and finish it or void it with a reason"
        )
