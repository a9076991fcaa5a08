"""What the pages show, read from the collector's tables through its peewee models: the
stores and terminals with their delivery state and sales today by payment method, the staff of
a store as its terminals reported them, and the live feed of sales, refunds, voids, no-sale
openings and approvals after a cursor."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import peewee as pw

from provisioning.collector.db import CentralDB
from provisioning.collector.projection import day_of

ONLINE_WITHIN = timedelta(minutes=3)
"""A terminal whose last status says online but is older than this is shown as not reporting:
the retained status of a terminal whose network vanished can say online for a while."""

FEED_KINDS = (
    "sale.completed",
    "refund.completed",
    "sale.voided",
    "line.voided",
    "drawer.opened",
    "approval.granted",
    "approval.verified",
    "approval.refused",
)


@dataclass
class TerminalView:
    store_id: str
    terminal_id: str
    state: str
    """online, offline, stale (online but not heard from lately) or unknown."""
    version: str
    last_seen: str
    outbox: int | None
    stored: int
    highest: int
    health: dict[str, str]
    sales_today: dict[str, int] = field(default_factory=dict)
    """tender kind -> amount today (refunds negative), training excluded."""
    sales_count: int = 0
    shift_clerk: str = ""
    """Who opened the shift that is open now ("" when none is)."""
    shift_since: str = ""


@dataclass
class StoreView:
    store_id: str
    terminals: list[TerminalView]
    sales_today: dict[str, int]
    sales_count: int
    commandable: bool


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def local(when: datetime | str | None, tz: ZoneInfo | None, fmt: str) -> str:
    """A stored UTC time as the shop's clock shows it (the collector's ``--tz``)."""
    if isinstance(when, str):
        when = _parse_time(when)
    if when is None:
        return ""
    return when.astimezone(tz or UTC).strftime(fmt)


def _terminal_view(row: dict[str, Any], now: datetime, tz: ZoneInfo | None) -> TerminalView:
    status = json.loads(row["status"]) if row.get("status") else {}
    seen = (_parse_time(row.get("status_at")), _parse_time(row.get("last_event_at")))
    last = max((t for t in seen if t is not None), default=None)
    state = str(status.get("state") or "unknown")
    if state == "online" and (last is None or now - last > ONLINE_WITHIN):
        state = "stale"
    depth = status.get("outbox_depth")
    return TerminalView(
        store_id=row["store_id"],
        terminal_id=row["terminal_id"],
        state=state,
        version=str(status.get("version") or ""),
        last_seen=local(last, tz, "%Y-%m-%d %H:%M:%S"),
        outbox=int(depth) if isinstance(depth, int) else None,
        stored=int(row["contiguous"] or 0),
        highest=int(row["max_seq"] or 0),
        health={str(k): str(v) for k, v in (status.get("health") or {}).items()},
    )


def known_stores(db: CentralDB, homes: list[str]) -> list[str]:
    st = db.m.State
    rows = st.select(st.store_id).distinct().tuples()
    return sorted({r[0] for r in rows} | set(homes))


def today(db: CentralDB, now: datetime | None = None) -> str:
    return day_of((now or datetime.now(UTC)).isoformat(), db.tz)


def _tenders_today(db: CentralDB, stores: list[str], day: str) -> list[tuple[str, str, str, int]]:
    """(store, terminal, tender kind, amount) for ``day``; refunds count negative."""
    sale_t, tender_t = db.m.Sale, db.m.Tender
    is_refund = sale_t.kind == "refund"
    amount = pw.fn.SUM(pw.Case(None, [(is_refund, pw.Value(0) - tender_t.amount)], tender_t.amount))
    q = (
        tender_t.select(sale_t.store_id, sale_t.terminal_id, tender_t.kind, amount)
        .join(
            sale_t,
            on=(tender_t.store_id == sale_t.store_id)
            & (tender_t.terminal_id == sale_t.terminal_id)
            & (tender_t.seq == sale_t.seq),
        )
        .where(
            (sale_t.day == day)
            & (sale_t.training == False)  # noqa: E712 - peewee expression
            & sale_t.store_id.in_(stores)
        )
        .group_by(sale_t.store_id, sale_t.terminal_id, tender_t.kind)
        .tuples()
    )
    return [(s, t, k, int(a or 0)) for s, t, k, a in q]


def _counts_today(db: CentralDB, stores: list[str], day: str) -> dict[tuple[str, str], int]:
    sale_t = db.m.Sale
    q = (
        sale_t.select(sale_t.store_id, sale_t.terminal_id, pw.fn.COUNT(sale_t.id))
        .where(
            (sale_t.day == day)
            & (sale_t.kind == "sale")
            & (sale_t.training == False)  # noqa: E712 - peewee expression
            & sale_t.store_id.in_(stores)
        )
        .group_by(sale_t.store_id, sale_t.terminal_id)
        .tuples()
    )
    return {(s, t): int(n) for s, t, n in q}


def _open_shifts(db: CentralDB, stores: list[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(store, terminal) -> (clerk, opened at) of each terminal whose newest shift entry opened
    a shift."""
    ev = db.m.Event
    newest = (
        ev.select(pw.fn.MAX(ev.id))
        .where(ev.kind.in_(("shift.opened", "shift.closed")) & ev.store_id.in_(stores))
        .group_by(ev.store_id, ev.terminal_id)
    )
    rows = ev.select(ev.store_id, ev.terminal_id, ev.kind, ev.staff_id, ev.ts).where(
        ev.id.in_(newest)
    )
    return {
        (r.store_id, r.terminal_id): (r.staff_id or "", r.ts)
        for r in rows
        if r.kind == "shift.opened"
    }


def monitor(db: CentralDB, stores: list[str], commandable: set[str]) -> list[StoreView]:
    """Every store of ``stores`` with its terminals, as of now."""
    if not stores:
        return []
    now = datetime.now(UTC)
    st = db.m.State
    rows = list(
        st.select().where(st.store_id.in_(stores)).order_by(st.store_id, st.terminal_id).dicts()
    )
    terms = {(r["store_id"], r["terminal_id"]): _terminal_view(r, now, db.tz) for r in rows}
    day = today(db, now)
    for s, t, kind, amount in _tenders_today(db, stores, day):
        view = terms.get((s, t))
        if view is not None:
            view.sales_today[kind] = view.sales_today.get(kind, 0) + amount
    for key, n in _counts_today(db, stores, day).items():
        if key in terms:
            terms[key].sales_count = n
    for key, (clerk, since) in _open_shifts(db, stores).items():
        if key in terms:
            terms[key].shift_clerk = clerk
            terms[key].shift_since = local(since, db.tz, "%m-%d %H:%M")
    out = []
    for s in stores:
        mine = [v for k, v in terms.items() if k[0] == s]
        totals: dict[str, int] = {}
        for v in mine:
            for kind, amount in v.sales_today.items():
                totals[kind] = totals.get(kind, 0) + amount
        out.append(StoreView(s, mine, totals, sum(v.sales_count for v in mine), s in commandable))
    return out


@dataclass(frozen=True)
class FeedRow:
    id: int
    ts: str
    time: str
    """``ts`` on the shop's clock, HH:MM:SS."""
    store_id: str
    terminal_id: str
    kind: str
    staff_id: str
    amount: int | None
    currency: str
    text: str
    """What happened in a few words (item names, a reason): shown as text, never as markup."""
    tenders: tuple[str, ...] = ()
    """How a sale or refund was paid (tender kinds), for the page to name in its language."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": self.ts,
            "time": self.time,
            "store_id": self.store_id,
            "terminal_id": self.terminal_id,
            "kind": self.kind,
            "staff_id": self.staff_id,
            "amount": self.amount,
            "currency": self.currency,
            "text": self.text,
            "tenders": list(self.tenders),
        }


def _tender_kinds(p: dict[str, Any]) -> tuple[str, ...]:
    return tuple(sorted({str(t.get("kind") or "") for t in p.get("tenders") or []} - {""}))


def _feed_text(kind: str, p: dict[str, Any]) -> tuple[int | None, str]:
    if kind in ("sale.completed", "refund.completed"):
        names = [str(x.get("name") or x.get("sku") or "") for x in p.get("lines") or []]
        text = ", ".join(n for n in names[:4] if n) + (" …" if len(names) > 4 else "")
        return int(p.get("total") or 0), text
    if kind == "line.voided":
        return int(p.get("amount") or 0), f"{p.get('sku', '')} {p.get('reason', '')}".strip()
    if kind == "sale.voided":
        return int(p.get("total") or 0), str(p.get("reason") or "")
    if kind.startswith("approval."):
        return p.get("amount") if isinstance(p.get("amount"), int) else None, (
            f"{p.get('right', '')} {p.get('approver_id') or ''} {p.get('reason') or ''}"
        ).strip()
    return None, str(p.get("reason") or "")


def _is_feed(kind: str, payload: dict[str, Any]) -> bool:
    return kind != "drawer.opened" or payload.get("reason") == "no_sale"


def _feed_cond(ev: Any, stores: list[str] | None) -> Any:
    cond = ev.kind.in_(FEED_KINDS)
    return cond if stores is None else cond & ev.store_id.in_(stores)


def feed(
    db: CentralDB, stores: list[str] | None, limit: int = 50, upto: int | None = None
) -> list[FeedRow]:
    """The newest ``limit`` feed rows of ``stores`` (None: every store) up to event id
    ``upto``, oldest first."""
    if stores == []:
        return []
    ev = db.m.Event
    cond = _feed_cond(ev, stores)
    if upto is not None:
        cond &= ev.id <= upto
    rows = list(ev.select().where(cond).order_by(ev.id.desc()).limit(limit))
    return _feed_rows(reversed(rows), db.tz)


LATE_WINDOW = 1000
"""How many event ids below its cursor a feed looks back for rows committed late."""


class FeedCursor:
    """Where one open feed is, in event ids. Each poll returns the feed rows stored since the
    last one, oldest first.

    Ids are handed out when a row is inserted, not when it commits, so on PostgreSQL (several
    collectors, each its own transaction) a row can become visible after a row with a higher
    id. Each poll therefore also looks ``LATE_WINDOW`` ids back for rows it has not seen. The
    first poll only notes what is already there below the cursor: the page showed it."""

    def __init__(self, stores: list[str] | None, after: int, limit: int = 200) -> None:
        self.stores = stores
        self.after = after
        self.limit = limit
        self.seen: set[int] = set()
        self._primed = False

    def poll(self, db: CentralDB) -> list[FeedRow]:
        if self.stores == []:
            return []
        ev = db.m.Event
        # The top is read first, so a row committed while this poll runs comes next time.
        top = last_event_id(db)
        if top < self.after:  # a database restored from a backup: start over at its end
            self.after, self.seen = top, set()
        low = max(0, self.after - LATE_WINDOW)
        cap = LATE_WINDOW + self.limit  # at most LATE_WINDOW of them are at or below after
        cond = _feed_cond(ev, self.stores) & (ev.id > low) & (ev.id <= top)
        raw = list(ev.select().where(cond).order_by(ev.id).limit(cap))
        if not self._primed:
            self.seen = {int(r.id) for r in raw if r.id <= self.after}
            self._primed = True
        fresh = [r for r in raw if int(r.id) not in self.seen]
        self.seen.update(int(r.id) for r in fresh)
        self.after = int(raw[-1].id) if len(raw) == cap else max(self.after, top)
        self.seen = {i for i in self.seen if i > self.after - LATE_WINDOW}
        return _feed_rows(fresh, db.tz)


def _feed_rows(rows: Iterable[Any], tz: ZoneInfo | None) -> list[FeedRow]:
    out = []
    for r in rows:
        payload = json.loads(r.payload)
        if not _is_feed(r.kind, payload):
            continue
        amount, text = _feed_text(r.kind, payload)
        out.append(
            FeedRow(
                id=int(r.id),
                ts=r.ts,
                time=local(r.ts, tz, "%H:%M:%S"),
                store_id=r.store_id,
                terminal_id=r.terminal_id,
                kind=r.kind,
                staff_id=r.staff_id or "",
                amount=amount,
                currency=str(payload.get("currency") or ""),
                text=text,
                tenders=_tender_kinds(payload),
            )
        )
    return out


def last_event_id(db: CentralDB) -> int:
    ev = db.m.Event
    return int(ev.select(pw.fn.MAX(ev.id)).scalar() or 0)


@dataclass
class StaffView:
    staff_id: str
    name: str
    role: str
    status: str
    trainee: bool
    terminals: list[str]
    """The terminals that reported this clerk."""
    changed_at: str


def staff_of(db: CentralDB, store_id: str) -> list[StaffView]:
    """The store's staff as its terminals reported them (``staff.saved`` entries), the newest
    record of each clerk winning."""
    ev = db.m.Event
    rows = (
        ev.select(ev.terminal_id, ev.ts, ev.payload)
        .where((ev.store_id == store_id) & (ev.kind == "staff.saved"))
        .order_by(ev.ts, ev.id)
        .tuples()
    )
    by_id: dict[str, StaffView] = {}
    for terminal_id, ts, payload in rows:
        rec = (json.loads(payload) or {}).get("staff") or {}
        sid = str(rec.get("staff_id") or "")
        if not sid:
            continue
        view = by_id.get(sid)
        terminals = sorted({*(view.terminals if view else []), terminal_id})
        by_id[sid] = StaffView(
            staff_id=sid,
            name=str(rec.get("name") or ""),
            role=str(rec.get("role") or ""),
            status=str(rec.get("status") or "active"),
            trainee=bool(rec.get("trainee")),
            terminals=terminals,
            changed_at=ts,
        )
    return [by_id[k] for k in sorted(by_id)]
