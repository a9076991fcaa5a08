"""The owner's sales report over the collector's tables: totals of sales and refunds (training
excluded) grouped by store, clerk, day or terminal, each with its takings by tender kind."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import peewee as pw

_TOTALS = ("sales_count", "refunds_count", "net_sales", "refunds_total", "tax", "discounts")


def _group_columns(sale_t: Any, by: str) -> list[Any]:
    group_cols = {
        "store": [sale_t.store_id],
        "clerk": [sale_t.staff_id],
        "day": [sale_t.day],
        "terminal": [sale_t.store_id, sale_t.terminal_id],
    }
    if by not in group_cols:
        raise ValueError(f"report by {by!r}: choose store, clerk, day or terminal")
    return group_cols[by]


def _condition(
    sale_t: Any,
    *,
    day: str | None,
    since: str | None,
    until: str | None,
    store_id: str | None,
    terminal_id: str | None,
    staff_id: str | None,
) -> Any:
    cond = sale_t.training == False  # noqa: E712 - peewee expression
    if day:
        cond &= sale_t.day == day
    if since:
        cond &= sale_t.day >= since
    if until:
        cond &= sale_t.day <= until
    if store_id:
        cond &= sale_t.store_id == store_id
    if terminal_id:
        cond &= sale_t.terminal_id == terminal_id
    if staff_id:
        cond &= sale_t.staff_id == staff_id
    return cond


def _totals_query(sale_t: Any, cols: list[Any], cond: Any) -> Any:
    is_sale = sale_t.kind == "sale"
    is_refund = sale_t.kind == "refund"
    sales_total = pw.fn.SUM(pw.Case(None, [(is_sale, sale_t.total)], 0))
    refunds_total = pw.fn.SUM(pw.Case(None, [(is_refund, sale_t.total)], 0))
    q = sale_t.select(
        *cols,
        pw.fn.SUM(pw.Case(None, [(is_sale, 1)], 0)).alias("sales_count"),
        pw.fn.SUM(pw.Case(None, [(is_refund, 1)], 0)).alias("refunds_count"),
        sales_total.alias("net_sales"),
        refunds_total.alias("refunds_total"),
        pw.fn.SUM(pw.Case(None, [(is_sale, sale_t.tax_total)], 0)).alias("tax"),
        pw.fn.SUM(pw.Case(None, [(is_sale, sale_t.discount_total)], 0)).alias("discounts"),
    ).where(cond)
    if cols:
        q = q.group_by(*cols).order_by(*cols)
    return q


def _tender_query(sale_t: Any, tender_t: Any, cols: list[Any], cond: Any) -> Any:
    is_refund = sale_t.kind == "refund"
    return (
        tender_t.select(
            *cols,
            tender_t.kind,
            pw.fn.SUM(
                pw.Case(None, [(is_refund, pw.Value(0) - tender_t.amount)], tender_t.amount)
            ).alias("amt"),
        )
        .join(
            sale_t,
            on=(tender_t.store_id == sale_t.store_id)
            & (tender_t.terminal_id == sale_t.terminal_id)
            & (tender_t.seq == sale_t.seq),
        )
        .where(cond)
        .group_by(*cols, tender_t.kind)
        .dicts()
    )


def _merge(
    rows: list[dict[str, Any]], tender_rows: list[dict[str, Any]], key_names: list[str]
) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        if r["sales_count"] is None:
            continue
        key = tuple(r[k] for k in key_names)
        by_tender = {
            t["kind"]: int(t["amt"] or 0)
            for t in tender_rows
            if tuple(t[k] for k in key_names) == key
        }
        item = {k: r[k] for k in key_names}
        for k in _TOTALS:
            item[k] = int(r[k] or 0)
        item["by_tender"] = by_tender
        out.append(item)
    return out


def sales_report(
    m: SimpleNamespace, lock: threading.Lock, by: str, filters: dict[str, str | None]
) -> list[dict[str, Any]]:
    """Totals over sales (training excluded), grouped by "store", "clerk", "day" or
    "terminal"; ``filters`` are ``_condition``'s keywords. ``lock`` guards the connection."""
    sale_t, tender_t = m.Sale, m.Tender
    cols = _group_columns(sale_t, by)
    cond = _condition(sale_t, **filters)
    with lock:
        rows = list(_totals_query(sale_t, cols, cond).dicts())
        tender_rows = list(_tender_query(sale_t, tender_t, cols, cond))
    return _merge(rows, tender_rows, [c.name for c in cols])
