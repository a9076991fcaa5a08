"""The central database: every event each terminal reported, stored once by (terminal id, seq),
the report rows derived from them, and each terminal's delivery state (highest contiguous
sequence stored, highest seen, last status).

One small layer over peewee that runs on SQLite (the default, a file path or ``sqlite:///...``)
and on PostgreSQL (``postgresql://user@host:port/db``). The tables are in ``models``, the rows
derived from events in ``projection``, the chain check in ``chain``, the sales report in
``reports``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import peewee as pw
from playhouse.db_url import connect as db_connect

from provisioning.collector import rejects
from provisioning.collector.chain import chain_alerts
from provisioning.collector.events import Event, payload_json
from provisioning.collector.models import SCHEMA_VERSION, build_models
from provisioning.collector.projection import ALERT_COLUMNS, day_of, project
from provisioning.collector.rejects import Rejected
from provisioning.collector.reports import sales_report


@dataclass(slots=True)
class StoreResult:
    """What one ``store`` call did, per terminal."""

    inserted: int = 0
    duplicates: int = 0
    contiguous: dict[tuple[str, str], int] = field(default_factory=dict)
    """(store, terminal) -> highest seq such that 1..seq are all stored (or skipped)."""
    max_seq: dict[tuple[str, str], int] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    """Events kept in ``rejected_events`` instead of being stored."""

    def merge(self, other: StoreResult) -> None:
        self.inserted += other.inserted
        self.duplicates += other.duplicates
        self.contiguous.update(other.contiguous)
        self.max_seq.update(other.max_seq)
        self.rejected += other.rejected


def open_database(url: str) -> pw.Database:
    """``url`` is a peewee database URL, or a plain file path meaning SQLite."""
    if "://" not in url:
        Path(url).expanduser().parent.mkdir(parents=True, exist_ok=True)
        url = "sqlite:///" + str(Path(url).expanduser().resolve())
    if url.startswith(("sqlite:", "sqlite+")):
        db = db_connect(
            url,
            pragmas={
                "journal_mode": "wal",
                "synchronous": "full",
                "busy_timeout": 30000,
                "foreign_keys": 1,
            },
        )
    elif url.startswith(("postgres:", "postgresql:", "postgres+", "postgresql+")):
        try:
            import psycopg2  # noqa: F401 - fail here with an actionable message
        except ImportError as e:
            raise RuntimeError(
                "PostgreSQL needs psycopg2: install the extra with "
                "`pip install 'pos-terminal[postgres]'`"
            ) from e
        db = db_connect(url)
    else:
        raise ValueError(
            f"unsupported database URL {url!r}: use a file path, sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DB"
        )
    return db


class CentralDB:
    """The collector's store. Thread-safe for one writer thread plus readers; several
    collector processes may share one database (writes per terminal are serialised by a row
    lock on PostgreSQL and by the database lock on SQLite)."""

    def __init__(self, url: str, *, tz: str | None = None) -> None:
        self.url = url
        self.db = open_database(url)
        self.m = build_models(self.db)
        self.tz = ZoneInfo(tz) if tz else None
        self._is_sqlite = isinstance(self.db, pw.SqliteDatabase)
        self._lock = threading.Lock()

    def create(self) -> CentralDB:
        with self.db.connection_context():
            self.db.create_tables(self.m.all, safe=True)
            self.m.MetaRow.insert(key="schema_version", value=str(SCHEMA_VERSION)).on_conflict(
                conflict_target=[self.m.MetaRow.key],
                update={self.m.MetaRow.value: str(SCHEMA_VERSION)},
            ).execute()
        return self

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    @contextmanager
    def _tx(self) -> Iterator[None]:
        if self._is_sqlite:
            # IMMEDIATE takes the write lock up front, so two collector processes on one file
            # serialise instead of failing half-way with "database is locked".
            with self.db.atomic("IMMEDIATE"):
                yield
        else:
            with self.db.atomic():
                yield

    def _day(self, iso: str) -> str:
        return day_of(iso, self.tz)

    # --- writes ----------------------------------------------------------------------------------
    def store(self, events: Iterable[Event], rejected: Iterable[Rejected] = ()) -> StoreResult:
        """Store events once each. Events already stored (same store, terminal and seq) count
        as duplicates and change nothing. An event the database cannot hold is kept in
        ``rejected_events`` instead, with those given in ``rejected`` (see ``rejects``), and
        the others are stored. Returns per-terminal contiguous and max seq."""
        good, bad = rejects.split(list(events))
        bad += rejected
        try:
            return self._store_all(good, bad)
        except rejects.DATA_ERRORS:
            pass  # something the screen did not foresee: find the events at fault
        result = StoreResult()
        self._store_isolating(good, bad, result)
        if bad:
            result.merge(self._store_all([], bad))
        return result

    def _store_isolating(self, evs: list[Event], bad: list[Rejected], result: StoreResult) -> None:
        """Store ``evs`` in halves until each event the database refuses is alone, and add
        those to ``bad``: a few transactions for one bad event in a large batch."""
        if not evs:
            return
        try:
            result.merge(self._store_all(evs, []))
        except rejects.DATA_ERRORS as exc:
            if len(evs) == 1:
                bad.append(rejects.rejected_event(evs[0], f"{type(exc).__name__}: {exc}"))
                return
            half = len(evs) // 2
            self._store_isolating(evs[:half], bad, result)
            self._store_isolating(evs[half:], bad, result)

    def _store_all(self, events: list[Event], bad: list[Rejected]) -> StoreResult:
        by_terminal: dict[tuple[str, str], list[Event]] = {}
        for ev in events:
            by_terminal.setdefault((ev.store_id, ev.terminal_id), []).append(ev)
        refused: dict[tuple[str, str], list[Rejected]] = {}
        for r in bad:
            refused.setdefault((r.store_id, r.terminal_id), []).append(r)
        result = StoreResult(rejected=list(bad))
        now = datetime.now(UTC).isoformat()
        with self._lock, self._tx():
            for key in sorted(by_terminal.keys() | refused.keys()):
                state = self._lock_state(*key)
                evs = by_terminal.get(key, [])
                # Rejections first: the contiguous mark walks over them as over stored events.
                self._insert_rejected(refused.get(key, []), now)
                seqs = [e.seq for e in evs] + [r.seq for r in refused.get(key, []) if r.seq]
                new = self._insert_new(key, evs, now) if evs else []
                result.inserted += len(new)
                result.duplicates += len(evs) - len(new)
                contiguous = self._advance(*key, int(state.contiguous))
                max_seq = max(int(state.max_seq), *seqs) if seqs else int(state.max_seq)
                self._update_state(key, contiguous=contiguous, max_seq=max_seq, last_event_at=now)
                result.contiguous[key] = contiguous
                result.max_seq[key] = max_seq
        return result

    def _insert_new(self, key: tuple[str, str], evs: list[Event], now: str) -> list[Event]:
        # Under the terminal's lock no other writer adds its events, so what is not stored now
        # is new; ON CONFLICT in the insert is only a second line of defence.
        existing = self._existing(key, min(e.seq for e in evs), max(e.seq for e in evs))
        fresh: dict[int, Event] = {}
        for ev in evs:
            if ev.seq not in existing and ev.seq not in fresh:
                fresh[ev.seq] = ev
        new = [fresh[seq] for seq in sorted(fresh)]
        if new:
            self._insert_events(new, now)
            self._project(new)
            self._check_chain(key, new, now)
        return new

    def _insert_rejected(self, bad: list[Rejected], now: str) -> None:
        if not bad:
            return
        self._insert_many(
            "rejected_events",
            ("store_id", "terminal_id", "seq", "reason", "raw", "digest", "received_at"),
            [
                (
                    r.store_id,
                    r.terminal_id,
                    r.seq,
                    r.reason,
                    r.raw[: rejects.RAW_KEEP],
                    r.digest,
                    now,
                )
                for r in bad
            ],
        )
        # One alert per event (per terminal for messages without a usable seq, which share 0).
        alerts = [
            (
                r.store_id,
                r.terminal_id,
                r.seq or 0,
                now,
                rejects.REJECTED_ALERT,
                None,
                json.dumps({"seq": r.seq, "reason": r.reason}, sort_keys=True),
            )
            for r in bad
        ]
        self._insert_many("alerts", ALERT_COLUMNS, alerts)

    def _existing(self, key: tuple[str, str], low: int, high: int) -> set[int]:
        p = self.db.param
        rows = self.db.execute_sql(
            f"SELECT seq FROM events WHERE store_id = {p} AND terminal_id = {p} "
            f"AND seq BETWEEN {p} AND {p}",
            (key[0], key[1], low, high),
        ).fetchall()
        return {int(r[0]) for r in rows}

    def _insert_many(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """One prepared INSERT for many rows: building each row's SQL through the ORM costs
        more than storing it."""
        if not rows:
            return
        p = self.db.param
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join([p] * len(columns))
        sql = f'INSERT INTO "{table}" ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING'
        cursor = self.db.cursor()
        cursor.executemany(sql, rows)

    def _where_state(self, key: tuple[str, str]) -> Any:
        st = self.m.State
        return (st.store_id == key[0]) & (st.terminal_id == key[1])

    def _update_state(self, key: tuple[str, str], **values: Any) -> None:
        self.m.State.update(**values).where(self._where_state(key)).execute()

    def _lock_state(self, store_id: str, terminal_id: str) -> Any:
        st = self.m.State
        st.insert(store_id=store_id, terminal_id=terminal_id).on_conflict_ignore().execute()
        q = st.select().where(self._where_state((store_id, terminal_id)))
        if not self._is_sqlite:
            # Serialises writers of one terminal across collector processes, so each sees the
            # other's committed events when it walks the contiguous mark forward.
            q = q.for_update()
        return q.get()

    _EVENT_COLUMNS = (
        "store_id",
        "terminal_id",
        "seq",
        "uuid",
        "ts",
        "kind",
        "staff_id",
        "payload",
        "number",
        "series",
        "training",
        "prev_hash",
        "hash",
        "received_at",
    )

    def _insert_events(self, evs: list[Event], now: str) -> None:
        self._insert_many(
            "events",
            self._EVENT_COLUMNS,
            [
                (
                    ev.store_id,
                    ev.terminal_id,
                    ev.seq,
                    ev.uuid,
                    ev.ts,
                    ev.kind,
                    ev.staff_id,
                    payload_json(ev),
                    ev.number,
                    ev.series,
                    ev.training,
                    ev.prev_hash,
                    ev.hash,
                    now,
                )
                for ev in evs
            ],
        )

    def _advance(self, store_id: str, terminal_id: str, contiguous: int) -> int:
        """Walk forward from ``contiguous`` over stored (or rejected) seqs while there is no
        hole."""
        p = self.db.param
        sql = (
            f"SELECT seq FROM events WHERE store_id = {p} AND terminal_id = {p} AND seq > {p} "
            f"UNION SELECT seq FROM rejected_events WHERE store_id = {p} AND terminal_id = {p} "
            f"AND seq > {p} ORDER BY seq LIMIT 5000"
        )
        while True:
            rows = self.db.execute_sql(
                sql, (store_id, terminal_id, contiguous, store_id, terminal_id, contiguous)
            ).fetchall()
            moved = False
            for (seq,) in rows:
                if int(seq) != contiguous + 1:
                    return contiguous
                contiguous = int(seq)
                moved = True
            if not moved:
                return contiguous

    def skip_gap(self, store_id: str, terminal_id: str, contiguous: int) -> int | None:
        """Give up on the hole after ``contiguous``: move the mark to just below the next stored
        event and walk on, and record a ``collector.gap_skipped`` alert. Returns the new mark,
        or None when the hole has closed or moved meanwhile (another collector acted)."""
        ev_t = self.m.Event
        now = datetime.now(UTC).isoformat()
        key = (store_id, terminal_id)
        with self._lock, self._tx():
            state = self._lock_state(store_id, terminal_id)
            if int(state.contiguous) != contiguous:
                return None
            nxt = (
                ev_t.select(pw.fn.MIN(ev_t.seq))
                .where(
                    (ev_t.store_id == store_id)
                    & (ev_t.terminal_id == terminal_id)
                    & (ev_t.seq > contiguous)
                )
                .scalar()
            )
            if nxt is None:
                return None
            moved = self._advance(store_id, terminal_id, int(nxt) - 1)
            self._update_state(key, contiguous=moved)
            self.m.Alert.insert(
                store_id=store_id,
                terminal_id=terminal_id,
                seq=int(nxt) - 1,
                ts=now,
                kind="collector.gap_skipped",
                staff_id=None,
                detail=json.dumps({"from_seq": contiguous + 1, "to_seq": int(nxt) - 1}),
            ).on_conflict_ignore().execute()
        return moved

    def _check_chain(self, key: tuple[str, str], new: list[Event], now: str) -> None:
        """Alerts for hashes that do not match their content or their stored neighbours."""
        p = self.db.param
        rows = self.db.execute_sql(
            f"SELECT seq, hash, prev_hash FROM events WHERE store_id = {p} AND terminal_id = {p} "
            f"AND seq BETWEEN {p} AND {p}",
            (key[0], key[1], new[0].seq - 1, new[-1].seq + 1),
        ).fetchall()
        stored = {int(seq): (h, prev) for seq, h, prev in rows}
        self._insert_many("alerts", ALERT_COLUMNS, chain_alerts(key, new, stored, now))

    def _project(self, evs: list[Event]) -> None:
        for table, (columns, rows) in project(evs, self._day).items():
            self._insert_many(table, columns, rows)

    def set_status(self, store_id: str, terminal_id: str, status: Mapping[str, Any]) -> None:
        st = self.m.State
        now = datetime.now(UTC).isoformat()
        with self._lock, self._tx():
            st.insert(store_id=store_id, terminal_id=terminal_id).on_conflict_ignore().execute()
            self._update_state(
                (store_id, terminal_id),
                status=json.dumps(dict(status), sort_keys=True, ensure_ascii=False),
                status_at=now,
            )

    # --- reads -----------------------------------------------------------------------------------
    def states(self) -> list[dict[str, Any]]:
        st = self.m.State
        with self._lock:
            rows = list(st.select().order_by(st.store_id, st.terminal_id).dicts())
        for r in rows:
            r["status"] = json.loads(r["status"]) if r.get("status") else None
        return rows

    def state(self, store_id: str, terminal_id: str) -> dict[str, Any] | None:
        for r in self.states():
            if r["store_id"] == store_id and r["terminal_id"] == terminal_id:
                return r
        return None

    def gaps(self) -> dict[tuple[str, str], tuple[int, int]]:
        """Terminals with a hole: (store, terminal) -> (contiguous, max seen)."""
        st = self.m.State
        with self._lock:
            rows = st.select(st.store_id, st.terminal_id, st.contiguous, st.max_seq).where(
                st.max_seq > st.contiguous
            )
            return {(r.store_id, r.terminal_id): (int(r.contiguous), int(r.max_seq)) for r in rows}

    def events(
        self, store_id: str, terminal_id: str, after_seq: int = 0, limit: int = 1000
    ) -> list[Event]:
        ev_t = self.m.Event
        with self._lock:
            rows = list(
                ev_t.select()
                .where(
                    (ev_t.store_id == store_id)
                    & (ev_t.terminal_id == terminal_id)
                    & (ev_t.seq > after_seq)
                )
                .order_by(ev_t.seq)
                .limit(limit)
            )
        return [
            Event(
                store_id=r.store_id,
                terminal_id=r.terminal_id,
                seq=int(r.seq),
                uuid=r.uuid,
                ts=r.ts,
                kind=r.kind,
                staff_id=r.staff_id,
                payload=json.loads(r.payload),
                number=r.number,
                series=r.series,
                training=bool(r.training),
                prev_hash=r.prev_hash,
                hash=r.hash,
            )
            for r in rows
        ]

    def event_count(self, terminal_id: str | None = None) -> int:
        ev_t = self.m.Event
        with self._lock:
            q = ev_t.select()
            if terminal_id is not None:
                q = q.where(ev_t.terminal_id == terminal_id)
            return q.count()

    def recent_sales(self, limit: int = 20) -> list[dict[str, Any]]:
        sale_t = self.m.Sale
        with self._lock:
            # Sales completed in the same second: the later journal entry first.
            q = sale_t.select().order_by(sale_t.completed_at.desc(), sale_t.seq.desc())
            return list(q.limit(limit).dicts())

    def recent_alerts(self, limit: int = 20) -> list[dict[str, Any]]:
        alert_t = self.m.Alert
        with self._lock:
            rows = list(alert_t.select().order_by(alert_t.ts.desc()).limit(limit).dicts())
        for r in rows:
            r["detail"] = json.loads(r["detail"])
        return rows

    def rejected(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest events the collector refused, with their reasons."""
        r_t = self.m.Rejected
        with self._lock:
            return list(
                r_t.select(r_t.store_id, r_t.terminal_id, r_t.seq, r_t.reason, r_t.received_at)
                .order_by(r_t.received_at.desc(), r_t.id.desc())
                .limit(limit)
                .dicts()
            )

    def report(
        self,
        *,
        by: str = "store",
        day: str | None = None,
        since: str | None = None,
        until: str | None = None,
        store_id: str | None = None,
        terminal_id: str | None = None,
        staff_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Totals over sales (training excluded), grouped by "store", "clerk", "day" or
        "terminal". Days are "YYYY-MM-DD" in the collector's time zone, ``until`` inclusive."""
        filters = {
            "day": day,
            "since": since,
            "until": until,
            "store_id": store_id,
            "terminal_id": terminal_id,
            "staff_id": staff_id,
        }
        return sales_report(self.m, self._lock, by, filters)
