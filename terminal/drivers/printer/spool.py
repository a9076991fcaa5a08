"""The persistent job spool: one small SQLite file per printer in the data directory.

A job is inserted before ``submit`` returns, so a crash or power cut after a sale never loses its
receipt. The key is unique: submitting a key that is already spooled (pending or printed) is a
no-op, which is what makes printing idempotent.
A job whose ``attempts`` is above zero may already be (partly) on paper: the printer prints it
again under its ``reprint_title``. Rows move pending -> sending -> done, or to
failed when the document itself cannot be rendered. "sending" is written (and synced) before the
first byte goes out, so after a power cut the spool knows the job may be half printed.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from terminal.core import crashpoint
from terminal.core.records import QR, Barcode, Block, Feed, PrintDoc, Row, Rule, Text

_BLOCK_TYPES: dict[str, type] = {
    "text": Text,
    "row": Row,
    "rule": Rule,
    "qr": QR,
    "barcode": Barcode,
    "feed": Feed,
}
_TYPE_NAMES = {cls: name for name, cls in _BLOCK_TYPES.items()}
# Field names per block type: ``asdict`` deep-copies every block and would be most of the cost
# of spooling a receipt, which happens on the sale's path.
_FIELDS = {cls: tuple(f.name for f in fields(cls)) for cls in _BLOCK_TYPES.values()}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    doc TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    done_at TEXT,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS jobs_open ON jobs (state, id);
"""


class SpoolError(RuntimeError):
    """The spool file cannot be opened or written."""


def doc_to_json(doc: PrintDoc) -> str:
    blocks = [
        {"type": _TYPE_NAMES[type(b)], **{f: getattr(b, f) for f in _FIELDS[type(b)]}}
        for b in doc.blocks
    ]
    return json.dumps(
        {
            "key": doc.key,
            "kind": doc.kind,
            "cut": doc.cut,
            "blocks": blocks,
            "reprint_title": doc.reprint_title,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def doc_from_json(text: str) -> PrintDoc:
    d = json.loads(text)
    blocks: list[Block] = []
    for b in d["blocks"]:
        fields = dict(b)
        cls = _BLOCK_TYPES[fields.pop("type")]
        blocks.append(cls(**fields))
    extra = {"reprint_title": d["reprint_title"]} if "reprint_title" in d else {}
    return PrintDoc(key=d["key"], kind=d["kind"], blocks=tuple(blocks), cut=d["cut"], **extra)


@dataclass(frozen=True, slots=True)
class SpooledJob:
    key: str
    doc: PrintDoc
    state: str
    attempts: int
    last_error: str


class Spool:
    """Thread-safe: ``add`` runs on the caller's thread, everything else on the owner thread."""

    def __init__(self, path: Path, keep_done_days: int = 30) -> None:
        self.path = Path(path)
        self.keep_done_days = keep_done_days
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise SpoolError(
                f"cannot create printer spool directory {self.path.parent}: {e}"
            ) from e
        # One owner per spool: a second process (doctor while the service runs) would print the
        # same pending jobs again.
        self._lock_fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise SpoolError(
                f"printer spool {self.path} is in use by another process "
                "(stop the pos-terminal service first)"
            ) from None
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as e:
            os.close(self._lock_fd)
            raise SpoolError(f"cannot open printer spool {self.path}: {e}") from e

    def close(self) -> None:
        with self._lock:
            if self._lock_fd < 0:
                return
            self._db.close()
            os.close(self._lock_fd)
            self._lock_fd = -1

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except sqlite3.Error as e:
            raise SpoolError(f"printer spool {self.path}: {e}") from e

    def add(self, doc: PrintDoc, now: datetime, *, durable: bool = True) -> bool:
        """Persist a job; False when the key was already spooled (pending or printed).

        ``durable=False`` is for a job the ledger already holds (a receipt owed): the row is
        written without an fsync of its own, so a sale costs one durable commit, not two. A
        killed process keeps it (it is in the WAL); a power cut may lose it, and then the
        ledger's owed row brings it back. The "sending" mark, synced, makes it durable before
        any byte goes out.
        """
        with self._lock:
            # Answered by a read: a resubmitted key (the checkout submits the receipt the
            # receipt desk already spooled) must not cost a synced write.
            if self._exec("SELECT 1 FROM jobs WHERE key = ?", (doc.key,)).fetchone():
                return False
            body = doc_to_json(doc)
            if not durable:
                self._exec("PRAGMA synchronous=NORMAL")
            try:
                cur = self._exec(
                    "INSERT OR IGNORE INTO jobs (key, kind, doc, state, created_at) "
                    "VALUES (?, ?, ?, 'pending', ?)",
                    (doc.key, doc.kind, body, now.isoformat()),
                )
            finally:
                if not durable:
                    self._exec("PRAGMA synchronous=FULL")
            added = cur.rowcount == 1
            if added:
                crashpoint.reached("spool.added")
            return added

    def next_job(self) -> SpooledJob | None:
        with self._lock:
            row = self._exec(
                "SELECT key, doc, state, attempts, last_error FROM jobs "
                "WHERE state IN ('pending', 'sending') ORDER BY id LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        return SpooledJob(row[0], doc_from_json(row[1]), row[2], row[3], row[4])

    def mark_sending(self, key: str, now: datetime) -> None:
        with self._lock:
            self._exec(
                "UPDATE jobs SET state = 'sending', attempts = attempts + 1, sent_at = ? "
                "WHERE key = ?",
                (now.isoformat(), key),
            )

    def mark_done(self, key: str, now: datetime) -> None:
        with self._lock:
            self._exec(
                "UPDATE jobs SET state = 'done', done_at = ?, last_error = '' WHERE key = ?",
                (now.isoformat(), key),
            )

    def mark_failed(self, key: str, error: str) -> None:
        """A document that can never print (bad barcode data...): kept for inspection, not
        retried, so it does not hold up the receipts behind it."""
        with self._lock:
            self._exec(
                "UPDATE jobs SET state = 'failed', last_error = ? WHERE key = ?", (error[:500], key)
            )

    def note_error(self, key: str, error: str) -> None:
        with self._lock:
            self._exec("UPDATE jobs SET last_error = ? WHERE key = ?", (error[:500], key))

    def pending_count(self) -> int:
        with self._lock:
            return int(
                self._exec(
                    "SELECT count(*) FROM jobs WHERE state IN ('pending', 'sending')"
                ).fetchone()[0]
            )

    def state_of(self, key: str) -> str | None:
        with self._lock:
            row = self._exec("SELECT state FROM jobs WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def prune(self, now: datetime) -> int:
        """Forget printed jobs older than ``keep_done_days`` (their keys stop being remembered)."""
        cutoff = (now - timedelta(days=self.keep_done_days)).isoformat()
        with self._lock:
            return self._exec(
                "DELETE FROM jobs WHERE state = 'done' AND done_at < ?", (cutoff,)
            ).rowcount
