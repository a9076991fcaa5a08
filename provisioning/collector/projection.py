"""The report rows the collector derives from stored events: one row per sale or refund, its
lines and tenders, and one alert row per event the owner wants to see. Pure: rows in, rows out;
the database layer inserts them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from provisioning.collector.events import SALE_KINDS, Event, is_alert
from provisioning.collector.rejects import bigint

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
            bigint(receipt, "receipt_no") if receipt is not None else None,
            str(p.get("staff_id") or ev.staff_id or ""),
            p.get("shift_id"),
            str(p.get("currency") or ""),
            completed,
            day(completed),
            bigint(p.get("subtotal"), "subtotal"),
            bigint(p.get("discount_total"), "discount_total"),
            bigint(p.get("tax_total"), "tax_total"),
            bigint(p.get("total"), "total"),
            bigint(p.get("rounding"), "rounding"),
            bool(p.get("training") or ev.training),
            p.get("original_sale_id"),
        )
    )
    for i, x in enumerate(p.get("lines") or []):
        if isinstance(x, dict):
            lines.append(
                (
                    *base,
                    bigint(x.get("line_no") or i + 1, "lines", i, "line_no"),
                    str(x.get("sku") or ""),
                    str(x.get("name") or "")[:200],
                    bigint(x.get("qty_milli"), "lines", i, "qty_milli"),
                    bigint(x.get("unit_price"), "lines", i, "unit_price"),
                    bigint(x.get("gross"), "lines", i, "gross"),
                    bigint(x.get("discount"), "lines", i, "discount"),
                    bigint(x.get("net"), "lines", i, "net"),
                    bigint(x.get("tax"), "lines", i, "tax"),
                )
            )
    for i, t in enumerate(p.get("tenders") or []):
        if isinstance(t, dict):
            tenders.append(
                (
                    *base,
                    i,
                    str(t.get("kind") or ""),
                    bigint(t.get("amount"), "tenders", i, "amount"),
                    bigint(t.get("tendered"), "tenders", i, "tendered"),
                    bigint(t.get("change"), "tenders", i, "change"),
                    str(t.get("reference") or "")[:128],
                )
            )
