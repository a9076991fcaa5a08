"""The report rows the collector derives from stored events: one row per sale or refund, its
lines and tenders, and one alert row per event the owner wants to see. Pure: rows in, rows out;
the database layer inserts them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from provisioning.collector.events import SALE_KINDS, Event, is_alert

SALE_COLUMNS = (
    "store_id",
    "terminal_id",
    "seq",
    "sale_id",
    "kind",
    "receipt_no",
    "staff_id",
    "shift_id",
    "currency",
    "completed_at",
    "day",
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "rounding",
    "training",
    "original_sale_id",
)
LINE_COLUMNS = (
    "store_id",
    "terminal_id",
    "seq",
    "sale_id",
    "line_no",
    "sku",
    "name",
    "qty_milli",
    "unit_price",
    "gross",
    "discount",
    "net",
    "tax",
)
TENDER_COLUMNS = (
    "store_id",
    "terminal_id",
    "seq",
    "sale_id",
    "idx",
    "kind",
    "amount",
    "tendered",
    "change",
    "reference",
)
ALERT_COLUMNS = ("store_id", "terminal_id", "seq", "ts", "kind", "staff_id", "detail")


def day_of(iso: str, tz: ZoneInfo | None) -> str:
    """The "YYYY-MM-DD" a time counts for in ``tz`` (UTC when None or the time has no
    offset)."""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso[:10]
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(tz).date().isoformat() if tz else when.date().isoformat()


def project(
    evs: list[Event], day: Callable[[str], str]
) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    """The report rows of ``evs``: table -> (columns, rows). ``day`` turns an ISO time into
    the report day it counts for."""
    sales: list[tuple] = []
    lines: list[tuple] = []
    tenders: list[tuple] = []
    alerts: list[tuple] = []
    for ev in evs:
        p = ev.payload
        if ev.kind in SALE_KINDS and isinstance(p.get("lines"), list):
            _sale_rows(ev, day, sales, lines, tenders)
        if is_alert(ev.kind, p):
            alerts.append(
                (
                    ev.store_id,
                    ev.terminal_id,
                    ev.seq,
                    ev.ts,
                    ev.kind,
                    ev.staff_id,
                    json.dumps(p, sort_keys=True, ensure_ascii=False),
                )
            )
    return {
        "sales": (SALE_COLUMNS, sales),
        "sale_lines": (LINE_COLUMNS, lines),
        "tenders": (TENDER_COLUMNS, tenders),
        "alerts": (ALERT_COLUMNS, alerts),
    }


def _sale_rows(
    ev: Event,
    day: Callable[[str], str],
    sales: list[tuple],
    lines: list[tuple],
    tenders: list[tuple],
) -> None:
    p = ev.payload
    sale_id = str(p.get("sale_id") or ev.uuid)
    completed = str(p.get("completed_at") or ev.ts)
    # The receipt number is the journal entry's number in its series, given when the entry is
    # posted: the sale's payload is made before that, so its own receipt_no is null.
    receipt = p.get("receipt_no")
    if receipt is None:
        receipt = ev.number
    base = (ev.store_id, ev.terminal_id, ev.seq, sale_id)
    sales.append(
        (
            *base,
            SALE_KINDS[ev.kind],
            int(receipt) if receipt is not None else None,
            str(p.get("staff_id") or ev.staff_id or ""),
            p.get("shift_id"),
            str(p.get("currency") or ""),
            completed,
            day(completed),
            int(p.get("subtotal") or 0),
            int(p.get("discount_total") or 0),
            int(p.get("tax_total") or 0),
            int(p.get("total") or 0),
            int(p.get("rounding") or 0),
            bool(p.get("training") or ev.training),
            p.get("original_sale_id"),
        )
    )
    for i, x in enumerate(p.get("lines") or []):
        if isinstance(x, dict):
            lines.append(
                (
                    *base,
                    int(x.get("line_no") or i + 1),
                    str(x.get("sku") or ""),
                    str(x.get("name") or "")[:200],
                    int(x.get("qty_milli") or 0),
                    int(x.get("unit_price") or 0),
                    int(x.get("gross") or 0),
                    int(x.get("discount") or 0),
                    int(x.get("net") or 0),
                    int(x.get("tax") or 0),
                )
            )
    for i, t in enumerate(p.get("tenders") or []):
        if isinstance(t, dict):
            tenders.append(
                (
                    *base,
                    i,
                    str(t.get("kind") or ""),
                    int(t.get("amount") or 0),
                    int(t.get("tendered") or 0),
                    int(t.get("change") or 0),
                    str(t.get("reference") or "")[:128],
                )
            )
