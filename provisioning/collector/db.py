"""The central database: every event each terminal reported, stored once by (terminal id, seq),
plus the tables the owner's reports read (sales, lines, tenders, alerts) and each terminal's
delivery state (highest contiguous sequence stored, highest seen, last status).

One small layer over peewee that runs on SQLite (the default, a file path or ``sqlite:///...``)
and on PostgreSQL (``postgresql://user@host:port/db``). Models are built per ``CentralDB`` so two
collectors (or a collector and a report) in one process never share a binding.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import peewee as pw
from playhouse.db_url import connect as db_connect

SCHEMA_VERSION = 1

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


def canonical(value: Any) -> str:
    """The ledger's canonical JSON: sorted keys, no whitespace, UTF-8 kept, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


_encode_str = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False


def _scalar_json(value: Any) -> str:
    """``canonical(value)`` for the envelope's scalars without a json.dumps call each: eleven
    of those per entry cost as much as storing it. Anything else goes through ``canonical``."""
    t = type(value)
    if t is str:
        return _encode_str(value)
    if t is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    return canonical(value)


def entry_hash(ev: Event) -> str:
    """The journal's hash of an entry: sha256 over ``prev_hash`` followed by the canonical JSON
    of every other field (``docs/ledger.md``). Built piece by piece so the payload, the only
    large part, is serialised once for both the hash and the stored copy."""
    j = _scalar_json
    body = (
        '{"kind":' + j(ev.kind)
        + ',"number":' + j(ev.number)
        + ',"payload":' + payload_json(ev)
        + ',"prev_hash":' + j(ev.prev_hash)
        + ',"seq":' + j(ev.seq)
        + ',"series":' + j(ev.series)
        + ',"staff_id":' + j(ev.staff_id)
        + ',"terminal_id":' + j(ev.terminal_id)
        + ',"training":' + j(ev.training)
        + ',"ts":' + j(ev.ts)
        + ',"uuid":' + j(ev.uuid)
        + "}"
    )  # fmt: skip
    return hashlib.sha256((ev.prev_hash + body).encode("utf-8")).hexdigest()


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


@dataclass(slots=True)
class StoreResult:
    """What one ``store`` call did, per terminal."""

    inserted: int = 0
    duplicates: int = 0
    contiguous: dict[tuple[str, str], int] = field(default_factory=dict)
    """(store, terminal) -> highest seq such that 1..seq are all stored (or skipped)."""
    max_seq: dict[tuple[str, str], int] = field(default_factory=dict)


def _models(db: pw.Database) -> SimpleNamespace:
    class Base(pw.Model):
        class Meta:
            database = db

    class EventRow(Base):
        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        seq = pw.BigIntegerField()
        uuid = pw.CharField(max_length=64)
        ts = pw.CharField(max_length=40)
        kind = pw.CharField(max_length=64, index=True)
        staff_id = pw.CharField(max_length=64, null=True)
        payload = pw.TextField()
        number = pw.BigIntegerField(null=True)
        series = pw.CharField(max_length=32, null=True)
        training = pw.BooleanField(default=False)
        prev_hash = pw.CharField(max_length=80)
        hash = pw.CharField(max_length=80)
        received_at = pw.CharField(max_length=40)

        class Meta:
            table_name = "events"
            indexes = ((("store_id", "terminal_id", "seq"), True),)

    class TerminalState(Base):
        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        contiguous = pw.BigIntegerField(default=0)
        max_seq = pw.BigIntegerField(default=0)
        last_event_at = pw.CharField(max_length=40, null=True)
        status = pw.TextField(null=True)
        status_at = pw.CharField(max_length=40, null=True)

        class Meta:
            table_name = "terminal_state"
            indexes = ((("store_id", "terminal_id"), True),)

    class Sale(Base):
        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        seq = pw.BigIntegerField()
        sale_id = pw.CharField(max_length=64)
        kind = pw.CharField(max_length=16)
        receipt_no = pw.BigIntegerField(null=True)
        staff_id = pw.CharField(max_length=64)
        shift_id = pw.CharField(max_length=64, null=True)
        currency = pw.CharField(max_length=8)
        completed_at = pw.CharField(max_length=40)
        day = pw.CharField(max_length=10, index=True)
        subtotal = pw.BigIntegerField()
        discount_total = pw.BigIntegerField()
        tax_total = pw.BigIntegerField()
        total = pw.BigIntegerField()
        rounding = pw.BigIntegerField(default=0)
        training = pw.BooleanField(default=False)
        original_sale_id = pw.CharField(max_length=64, null=True)

        class Meta:
            table_name = "sales"
            indexes = ((("store_id", "terminal_id", "seq"), True),)

    class SaleLine(Base):
        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        seq = pw.BigIntegerField()
        sale_id = pw.CharField(max_length=64, index=True)
        line_no = pw.IntegerField()
        sku = pw.CharField(max_length=64, index=True)
        name = pw.CharField(max_length=200)
        qty_milli = pw.BigIntegerField()
        unit_price = pw.BigIntegerField()
        gross = pw.BigIntegerField()
        discount = pw.BigIntegerField()
        net = pw.BigIntegerField()
        tax = pw.BigIntegerField()

        class Meta:
            table_name = "sale_lines"
            indexes = ((("store_id", "terminal_id", "seq", "line_no"), True),)

    class Tender(Base):
        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        seq = pw.BigIntegerField()
        sale_id = pw.CharField(max_length=64, index=True)
        idx = pw.IntegerField()
        kind = pw.CharField(max_length=16)
        amount = pw.BigIntegerField()
        tendered = pw.BigIntegerField(default=0)
        change = pw.BigIntegerField(default=0)
        reference = pw.CharField(max_length=128, default="")

        class Meta:
            table_name = "tenders"
            indexes = ((("store_id", "terminal_id", "seq", "idx"), True),)

    class Alert(Base):
        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        seq = pw.BigIntegerField()
        ts = pw.CharField(max_length=40, index=True)
        kind = pw.CharField(max_length=64)
        staff_id = pw.CharField(max_length=64, null=True)
        detail = pw.TextField()

        class Meta:
            table_name = "alerts"
            indexes = ((("store_id", "terminal_id", "seq", "kind"), True),)

    class MetaRow(Base):
        key = pw.CharField(max_length=64, primary_key=True)
        value = pw.TextField()

        class Meta:
            table_name = "collector_meta"

    return SimpleNamespace(
        Event=EventRow,
        State=TerminalState,
        Sale=Sale,
        Line=SaleLine,
        Tender=Tender,
        Alert=Alert,
        MetaRow=MetaRow,
        all=[EventRow, TerminalState, Sale, SaleLine, Tender, Alert, MetaRow],
    )


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
        self.m = _models(self.db)
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
        try:
            when = datetime.fromisoformat(iso)
        except ValueError:
            return iso[:10]
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(self.tz).date().isoformat() if self.tz else when.date().isoformat()

    # --- writes ----------------------------------------------------------------------------------
    def store(self, events: Iterable[Event]) -> StoreResult:
        """Store events once each. Events already stored (same store, terminal and seq) count
        as duplicates and change nothing. Returns per-terminal contiguous and max seq."""
        by_terminal: dict[tuple[str, str], list[Event]] = {}
        for ev in events:
            by_terminal.setdefault((ev.store_id, ev.terminal_id), []).append(ev)
        result = StoreResult()
        now = datetime.now(UTC).isoformat()
        with self._lock, self._tx():
            for key, evs in sorted(by_terminal.items()):
                state = self._lock_state(*key)
                # Under the terminal's lock no other writer adds its events, so what is not
                # stored now is new; ON CONFLICT below is only a second line of defence.
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
                result.inserted += len(new)
                result.duplicates += len(evs) - len(new)
                contiguous = self._advance(*key, int(state.contiguous))
                max_seq = max(int(state.max_seq), max(e.seq for e in evs))
                self._update_state(key, contiguous=contiguous, max_seq=max_seq, last_event_at=now)
                result.contiguous[key] = contiguous
                result.max_seq[key] = max_seq
        return result

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
        """Walk forward from ``contiguous`` over stored seqs while there is no hole."""
        ev_t = self.m.Event
        while True:
            rows = (
                ev_t.select(ev_t.seq)
                .where(
                    (ev_t.store_id == store_id)
                    & (ev_t.terminal_id == terminal_id)
                    & (ev_t.seq > contiguous)
                )
                .order_by(ev_t.seq)
                .limit(5000)
                .tuples()
            )
            moved = False
            for (seq,) in rows:
                if seq != contiguous + 1:
                    return contiguous
                contiguous = seq
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
        """Tamper evidence: each entry's hash must match its content, and must be the
        ``prev_hash`` of the entry after it. A mismatch is stored anyway (refusing it would only
        make the terminal send it forever) and raised as an alert for the owner."""
        p = self.db.param
        rows = self.db.execute_sql(
            f"SELECT seq, hash, prev_hash FROM events WHERE store_id = {p} AND terminal_id = {p} "
            f"AND seq BETWEEN {p} AND {p}",
            (key[0], key[1], new[0].seq - 1, new[-1].seq + 1),
        ).fetchall()
        stored = {int(seq): (h, prev) for seq, h, prev in rows}
        alerts: list[tuple] = []
        for ev in new:
            computed = entry_hash(ev)
            if computed != ev.hash:
                detail = {"seq": ev.seq, "hash": ev.hash, "computed": computed}
                alerts.append((*key, ev.seq, now, "collector.hash_mismatch", None, detail))
            before = stored.get(ev.seq - 1)
            if before is not None and before[0] != ev.prev_hash:
                detail = {"seq": ev.seq, "prev_hash": ev.prev_hash, "stored": before[0]}
                alerts.append((*key, ev.seq, now, "collector.chain_broken", None, detail))
            after = stored.get(ev.seq + 1)
            if after is not None and after[1] != ev.hash:
                detail = {"seq": ev.seq + 1, "prev_hash": after[1], "stored": ev.hash}
                alerts.append((*key, ev.seq + 1, now, "collector.chain_broken", None, detail))
        self._insert_many(
            "alerts",
            self._ALERT_COLUMNS,
            [(*a[:6], json.dumps(a[6], sort_keys=True)) for a in alerts],
        )

    def _project(self, evs: list[Event]) -> None:
        sales: list[tuple] = []
        lines: list[tuple] = []
        tenders: list[tuple] = []
        alerts: list[tuple] = []
        for ev in evs:
            p = ev.payload
            if ev.kind in SALE_KINDS and isinstance(p.get("lines"), list):
                self._sale_rows(ev, sales, lines, tenders)
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
        self._insert_many("sales", self._SALE_COLUMNS, sales)
        self._insert_many("sale_lines", self._LINE_COLUMNS, lines)
        self._insert_many("tenders", self._TENDER_COLUMNS, tenders)
        self._insert_many("alerts", self._ALERT_COLUMNS, alerts)

    _SALE_COLUMNS = (
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
    _LINE_COLUMNS = (
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
    _TENDER_COLUMNS = (
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
    _ALERT_COLUMNS = ("store_id", "terminal_id", "seq", "ts", "kind", "staff_id", "detail")

    def _sale_rows(
        self, ev: Event, sales: list[tuple], lines: list[tuple], tenders: list[tuple]
    ) -> None:
        p = ev.payload
        sale_id = str(p.get("sale_id") or ev.uuid)
        completed = str(p.get("completed_at") or ev.ts)
        receipt = p.get("receipt_no", ev.number)
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
                self._day(completed),
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
            return list(sale_t.select().order_by(sale_t.completed_at.desc()).limit(limit).dicts())

    def recent_alerts(self, limit: int = 20) -> list[dict[str, Any]]:
        alert_t = self.m.Alert
        with self._lock:
            rows = list(alert_t.select().order_by(alert_t.ts.desc()).limit(limit).dicts())
        for r in rows:
            r["detail"] = json.loads(r["detail"])
        return rows

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
        sale_t, tender_t = self.m.Sale, self.m.Tender
        group_cols = {
            "store": [sale_t.store_id],
            "clerk": [sale_t.staff_id],
            "day": [sale_t.day],
            "terminal": [sale_t.store_id, sale_t.terminal_id],
        }
        if by not in group_cols:
            raise ValueError(f"report by {by!r}: choose store, clerk, day or terminal")
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
        cols = group_cols[by]
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
        with self._lock:
            rows = list(q.dicts())
            tq = (
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
            tender_rows = list(tq)
        key_names = [c.name for c in cols]
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
            for k in (
                "sales_count",
                "refunds_count",
                "net_sales",
                "refunds_total",
                "tax",
                "discounts",
            ):
                item[k] = int(r[k] or 0)
            item["by_tender"] = by_tender
            out.append(item)
        return out
