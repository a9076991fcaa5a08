"""``SqliteLedger``: the journal, its projections and the outbox behind ``ports.Ledger``."""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

import peewee

from terminal.core import crashpoint
from terminal.core.pending import PendingSale
from terminal.core.ports import Clock, LedgerError
from terminal.core.records import JournalEntry, ReportTotals, SaleRecord
from terminal.ledger import receipts_owed, reports
from terminal.ledger.catalog import SqliteCatalog
from terminal.ledger.journal import (
    GENESIS,
    JOURNAL_COLUMNS,
    entry_from_row,
    hash_and_body,
    payload_dict,
)
from terminal.ledger.outbox import Outbox
from terminal.ledger.projections import ProjectionArea, projector_table
from terminal.ledger.transaction import (
    in_outer_transaction,
    outer_transaction,
    translate,
    write_transaction,
)

TRAINING_SERIES_PREFIX = "training."
"""Training entries draw from their own series ("training.receipt"), so practice never leaves a
gap in the real receipt numbers."""

log = logging.getLogger(__name__)

Listener = Callable[[JournalEntry], None]


class SqliteLedger:
    """Implements ``terminal.core.ports.Ledger``. Build it with ``open_ledger``.

    Thread-safe: posts are serialised by a lock in this process and by SQLite's write lock
    across processes; reads may run on any thread (each gets its own connection).
    """

    def __init__(
        self,
        db: peewee.SqliteDatabase,
        terminal_id: str,
        clock: Clock,
        areas: Sequence[ProjectionArea],
        *,
        path: Path | None = None,
    ) -> None:
        self.db = db
        self.terminal_id = terminal_id
        self.path = path
        self._clock = clock
        self._areas = list(areas)
        self._projectors = projector_table(self._areas)
        # Reentrant: posts made inside ``batch`` on the same thread take it again.
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._held: list[JournalEntry] | None = None
        """Entries posted inside the open ``batch``: their listeners run after its commit."""
        self._printed: set[int] = set()
        """Seqs whose receipts the printer reported printed, forgotten by the next post."""
        self._printed_lock = threading.Lock()

    # --- writing -----------------------------------------------------------------------

    def post(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        staff_id: str | None,
        series: str | None = None,
        training: bool = False,
    ) -> JournalEntry:
        if not isinstance(kind, str) or not kind:
            raise LedgerError("an entry needs a kind")
        try:
            payload_text, payload_obj = payload_dict(payload)
        except (TypeError, ValueError) as exc:
            raise LedgerError(f"{kind}: payload is not plain JSON data: {exc}") from exc
        counter = None
        if series:
            counter = f"{TRAINING_SERIES_PREFIX}{series}" if training else series
        with self._lock:
            with self._printed_lock:
                # Inside a batch that may roll back, printed receipts wait for a plain post.
                printed = set(self._printed) if self._held is None else set()
            try:
                with write_transaction(self.db):
                    entry = self._append(
                        kind, payload_text, payload_obj, staff_id, counter, training
                    )
                    if printed:
                        # Rides in this commit: settling a printed receipt costs no fsync.
                        receipts_owed.forget(self.db, printed)
            except Exception as exc:
                raise translate(exc, f"{kind} was not recorded") from exc
            with self._printed_lock:
                self._printed -= printed
            if self._held is not None and in_outer_transaction(self.db):
                self._held.append(entry)
                return entry
        crashpoint.reached(f"ledger.{kind}")
        self._tell(entry)
        return entry

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Everything written inside (journal entries, their projections, catalog and staff
        rows) commits as one transaction or not at all: an exception rolls it all back and
        propagates. Listeners hear of the entries only after the commit."""
        with self._lock:
            if self._held is not None:
                raise LedgerError("ledger batches do not nest")
            held: list[JournalEntry] = []
            self._held = held
            try:
                try:
                    with outer_transaction(self.db):
                        yield
                except LedgerError:
                    raise
                except peewee.PeeweeException as exc:
                    raise translate(exc, "the batch was not recorded") from exc
            finally:
                self._held = None
        for entry in held:
            self._tell(entry)

    def _tell(self, entry: JournalEntry) -> None:
        for listener in list(self._listeners):
            try:
                listener(entry)
            except Exception:
                # The entry is committed; a failing listener must not make the caller
                # believe otherwise (it would post the sale twice).
                log.exception("ledger listener failed after seq %d", entry.seq)

    def _append(
        self,
        kind: str,
        payload_text: str,
        payload_obj: dict[str, Any],
        staff_id: str | None,
        counter: str | None,
        training: bool,
    ) -> JournalEntry:
        db = self.db
        last = db.execute_sql("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        number = None
        if counter is not None:
            number = db.execute_sql(
                "INSERT INTO counters (series, last) VALUES (?, 1) "
                "ON CONFLICT (series) DO UPDATE SET last = last + 1 RETURNING last",
                (counter,),
            ).fetchone()[0]
        ts = self._clock.now().astimezone(UTC).isoformat(timespec="microseconds")
        entry = JournalEntry(
            seq=seq,
            uuid=str(uuid.uuid4()),
            ts=ts,
            terminal_id=self.terminal_id,
            kind=kind,
            staff_id=staff_id,
            payload=payload_obj,
            number=number,
            series=counter,
            training=bool(training),
            prev_hash=prev_hash,
            hash="",
        )
        digest, body = hash_and_body(entry, payload_text)
        entry = dataclasses.replace(entry, hash=digest)
        db.execute_sql(
            f"INSERT INTO journal ({JOURNAL_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                entry.seq,
                entry.uuid,
                entry.ts,
                entry.terminal_id,
                entry.kind,
                entry.staff_id,
                payload_text,
                entry.number,
                entry.series,
                int(entry.training),
                entry.prev_hash,
                entry.hash,
            ),
        )
        projector = self._projectors.get(kind)
        if projector is not None:
            projector(entry, db)
        if not training:
            db.execute_sql(
                "INSERT INTO outbox (seq, kind, body) VALUES (?, ?, ?)",
                (entry.seq, entry.kind, body),
            )
        if kind in receipts_owed.RECEIPT_KINDS:
            # The print job, in the sale's own transaction: no commit can leave a sale that
            # nobody will print.
            receipts_owed.owe(db, entry.seq)
        return entry

    def owed_receipts(self) -> list[JournalEntry]:
        """Sales and refunds whose receipt is not printed yet, oldest first."""
        return receipts_owed.owed(self.db)

    def receipt_printed(self, seq: int) -> None:
        """The receipt of ``seq`` is printed (any thread; never blocks on disk): it is
        forgotten in the next post's transaction."""
        with self._printed_lock:
            self._printed.add(seq)

    def settle_receipts(self, seqs: Iterable[int]) -> None:
        """Forget printed receipts now, in one write (start-up)."""
        with self._lock:
            receipts_owed.settle(self.db, seqs)

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(entry)`` after each committed post, on the posting thread (the link
        uses it to wake up; it must not block)."""
        self._listeners.append(listener)

    # --- reading -----------------------------------------------------------------------

    def entries(self, after_seq: int = 0, limit: int = 1000) -> list[JournalEntry]:
        rows = self.db.execute_sql(
            f"SELECT {JOURNAL_COLUMNS} FROM journal WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return [entry_from_row(r) for r in rows]

    def entries_of_kind(self, kind: str) -> list[JournalEntry]:
        """Every entry of one kind, oldest first (start-up replays provisioned settings)."""
        rows = self.db.execute_sql(
            f"SELECT {JOURNAL_COLUMNS} FROM journal WHERE kind = ? ORDER BY seq", (kind,)
        ).fetchall()
        return [entry_from_row(r) for r in rows]

    def entry(self, seq: int) -> JournalEntry | None:
        row = self.db.execute_sql(
            f"SELECT {JOURNAL_COLUMNS} FROM journal WHERE seq = ?", (seq,)
        ).fetchone()
        return entry_from_row(row) if row else None

    def last_entry(self) -> JournalEntry | None:
        row = self.db.execute_sql(
            f"SELECT {JOURNAL_COLUMNS} FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return entry_from_row(row) if row else None

    def pending_sales(self, training: bool = False) -> list[PendingSale]:
        """Open, parked and held sales with the payments taken, oldest change first."""
        from terminal.ledger.projections.pending import pending_sales

        return pending_sales(self.db, training)

    def find_sale(
        self,
        *,
        sale_id: str | None = None,
        receipt_no: int | None = None,
        training: bool = False,
    ) -> SaleRecord | None:
        """A completed sale or refund by id, or by receipt number (real receipts unless
        ``training``). The record carries its ``receipt_no``."""
        if sale_id is not None:
            row = self.db.execute_sql(
                "SELECT seq FROM sale WHERE sale_id = ?", (sale_id,)
            ).fetchone()
        elif receipt_no is not None:
            row = self.db.execute_sql(
                "SELECT seq FROM sale WHERE receipt_no = ? AND training = ?",
                (receipt_no, int(training)),
            ).fetchone()
        else:
            raise ValueError("find_sale needs sale_id or receipt_no")
        if row is None:
            return None
        entry = self.entry(row[0])
        if entry is None:
            raise LedgerError(f"sale projection points at missing journal entry {row[0]}")
        record = SaleRecord.from_payload(entry.payload)
        return dataclasses.replace(record, receipt_no=entry.number)

    def refunded_milli(self, sale_id: str) -> dict[int, int]:
        """Per original line number, the quantity already refunded. A refund's lines carry the
        original sale's line numbers."""
        rows = self.db.execute_sql(
            "SELECT l.line_no, sum(l.qty_milli) FROM sale s "
            "JOIN sale_line l ON l.seq = s.seq "
            "WHERE s.original_sale_id = ? AND s.kind = 'refund' GROUP BY l.line_no",
            (sale_id,),
        ).fetchall()
        return {line_no: qty for line_no, qty in rows}

    def totals(
        self,
        *,
        shift_id: str | None = None,
        since_last_z: bool = False,
        staff_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> ReportTotals:
        return reports.totals(
            self.db,
            shift_id=shift_id,
            since_last_z=since_last_z,
            staff_id=staff_id,
            since=since,
            until=until,
        )

    def current_shift(self, training: bool = False) -> Mapping[str, Any] | None:
        """The open shift: ``shift_id``, ``opened_seq``, ``opened_at``, ``staff_id``,
        ``opening_float``, ``cash_in``, ``cash_out`` (closing fields are None)."""
        return reports.current_shift(self.db, training)

    def shift(self, shift_id: str) -> Mapping[str, Any] | None:
        return reports.shift(self.db, shift_id)

    def last_z(self) -> Mapping[str, Any] | None:
        return reports.last_z(self.db)

    def z_report(self, number: int) -> Mapping[str, Any] | None:
        return reports.z_report(self.db, number)

    # --- other views -------------------------------------------------------------------

    def catalog(self) -> SqliteCatalog:
        """The catalog in the same file (``ports.Catalog`` and ``ports.CatalogWriter``)."""
        return SqliteCatalog(self.db)

    def outbox(self) -> Outbox:
        """The outbox the link drains."""
        return Outbox(self.db)

    def close(self) -> None:
        """Close this thread's connection (other threads' close when they end)."""
        self.db.close()
