"""Report queries: SQL aggregates over the projection tables, never the journal's JSON.

Every projection table carries ``training``, ``seq``, ``ts``, ``shift_id`` and ``staff_id``,
so one scope clause serves them all. Figures, as documented in docs/ledger.md: ``gross``,
``discounts``, ``tax``, ``items_milli``, ``net_sales`` and ``rounding`` count sales only;
``refunds_total`` is what refunds paid back; ``by_tender`` is net per tender kind (sales minus
refunds), which is what the drawer should hold.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from terminal.core.records import ReportTotals


def normalise_ts(value: str) -> str:
    """ISO 8601 to the journal's own form (UTC, microseconds), so text comparison is time
    comparison. A time without zone is taken as UTC."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time: {value!r}") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass
class Scope:
    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def where(self) -> str:
        return " AND ".join(self.clauses)


def last_z_to_seq(db: Any) -> int:
    row = db.execute_sql(
        "SELECT to_seq FROM z_report WHERE training = 0 ORDER BY number DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else 0


def scope(
    db: Any,
    *,
    shift_id: str | None,
    since_last_z: bool,
    staff_id: str | None,
    since: str | None,
    until: str | None,
) -> Scope:
    s = Scope(["training = 0"], [])
    if shift_id is not None:
        s.clauses.append("shift_id = ?")
        s.params.append(shift_id)
    if since_last_z:
        s.clauses.append("seq > ?")
        s.params.append(last_z_to_seq(db))
    if staff_id is not None:
        s.clauses.append("staff_id = ?")
        s.params.append(staff_id)
    if since is not None:
        s.clauses.append("ts >= ?")
        s.params.append(normalise_ts(since))
    if until is not None:
        s.clauses.append("ts < ?")
        s.params.append(normalise_ts(until))
    return s


def _sale_figures(
    db: Any, where: str, params: list[Any]
) -> tuple[dict[str, Any], list[int], list[int]]:
    """Sale and refund aggregates, plus the seq and receipt bounds each kind spans."""
    values: dict[str, Any] = {}
    seqs: list[int] = []
    receipts: list[int] = []
    for row in db.execute_sql(
        "SELECT kind, count(*), sum(subtotal), sum(discount_total), sum(tax_total), sum(total), "
        "sum(rounding), sum(items_milli), min(seq), max(seq), min(receipt_no), max(receipt_no) "
        f"FROM sale WHERE {where} GROUP BY kind",
        params,
    ).fetchall():
        kind, count, gross, disc, tax, total, rounding, items, s0, s1, r0, r1 = row
        seqs += [s0, s1]
        receipts += [r0, r1]
        if kind == "sale":
            values.update(
                sales_count=count,
                gross=gross,
                discounts=disc,
                tax=tax,
                net_sales=total,
                rounding=rounding,
                items_milli=items,
            )
        else:
            values.update(refunds_count=count, refunds_total=total)
    return values, seqs, receipts


def _drawer_figures(db: Any, where: str, params: list[Any]) -> dict[str, Any]:
    """Tenders, voids, no-sales, cash moves and the opening float in the scope."""
    by_tender = {
        kind: amount
        for kind, amount in db.execute_sql(
            "SELECT kind, sum(CASE sale_kind WHEN 'refund' THEN -amount ELSE amount END) "
            f"FROM tender WHERE {where} GROUP BY kind ORDER BY kind",
            params,
        ).fetchall()
    }
    line_voids, sale_voids = db.execute_sql(
        "SELECT coalesce(sum(kind = 'line'), 0), coalesce(sum(kind = 'sale'), 0) "
        f"FROM void_event WHERE {where}",
        params,
    ).fetchone()
    (no_sales,) = db.execute_sql(
        f"SELECT count(*) FROM drawer_event WHERE {where} AND reason = 'no_sale'", params
    ).fetchone()
    cash_in, cash_out = db.execute_sql(
        "SELECT coalesce(sum(CASE kind WHEN 'in' THEN amount END), 0), "
        "coalesce(sum(CASE kind WHEN 'out' THEN amount END), 0) "
        f"FROM cash_move WHERE {where}",
        params,
    ).fetchone()
    (opening_float,) = db.execute_sql(
        f"SELECT coalesce(sum(opening_float), 0) FROM shift WHERE {where}", params
    ).fetchone()
    return {
        "by_tender": by_tender,
        "line_voids": line_voids,
        "sale_voids": sale_voids,
        "no_sales": no_sales,
        "cash_in": cash_in,
        "cash_out": cash_out,
        "opening_float": opening_float,
    }


def totals(
    db: Any,
    *,
    shift_id: str | None = None,
    since_last_z: bool = False,
    staff_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> ReportTotals:
    """The report figures over everything in the scope the arguments describe."""
    s = scope(
        db,
        shift_id=shift_id,
        since_last_z=since_last_z,
        staff_id=staff_id,
        since=since,
        until=until,
    )
    where, params = s.where(), s.params
    values, seqs, receipts = _sale_figures(db, where, params)
    return ReportTotals(
        **values,
        **_drawer_figures(db, where, params),
        first_seq=min(seqs) if seqs else None,
        last_seq=max(seqs) if seqs else None,
        first_receipt=min(receipts) if receipts else None,
        last_receipt=max(receipts) if receipts else None,
    )


_SHIFT_COLUMNS = (
    "shift_id, seq, ts, staff_id, opening_float, cash_in, cash_out, closed_seq, closed_at, "
    "closed_by, counted, expected, over_short, closing_totals, training"
)


def _shift_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = [k.strip() for k in _SHIFT_COLUMNS.split(",")]
    d = dict(zip(keys, row, strict=True))
    d["opened_seq"] = d.pop("seq")
    d["opened_at"] = d.pop("ts")
    d["training"] = bool(d["training"])
    d["closing_totals"] = json.loads(d["closing_totals"]) if d["closing_totals"] else None
    return d


def current_shift(db: Any, training: bool = False) -> Mapping[str, Any] | None:
    row = db.execute_sql(
        f"SELECT {_SHIFT_COLUMNS} FROM shift WHERE closed_seq IS NULL AND training = ? "
        "ORDER BY seq DESC LIMIT 1",
        (int(training),),
    ).fetchone()
    return _shift_dict(row) if row else None


def shift(db: Any, shift_id: str) -> Mapping[str, Any] | None:
    row = db.execute_sql(
        f"SELECT {_SHIFT_COLUMNS} FROM shift WHERE shift_id = ?", (shift_id,)
    ).fetchone()
    return _shift_dict(row) if row else None


def _z_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    number, seq, ts, staff_id, from_seq, to_seq, totals_text = row
    return {
        "number": number,
        "seq": seq,
        "ts": ts,
        "staff_id": staff_id,
        "from_seq": from_seq,
        "to_seq": to_seq,
        "totals": json.loads(totals_text),
    }


_Z_COLUMNS = "number, seq, ts, staff_id, from_seq, to_seq, totals"


def last_z(db: Any) -> Mapping[str, Any] | None:
    row = db.execute_sql(
        f"SELECT {_Z_COLUMNS} FROM z_report WHERE training = 0 ORDER BY number DESC LIMIT 1"
    ).fetchone()
    return _z_dict(row) if row else None


def z_report(db: Any, number: int) -> Mapping[str, Any] | None:
    row = db.execute_sql(
        f"SELECT {_Z_COLUMNS} FROM z_report WHERE training = 0 AND number = ?", (number,)
    ).fetchone()
    return _z_dict(row) if row else None
