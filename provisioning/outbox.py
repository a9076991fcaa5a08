"""posctl's command outbox: every command posctl signs is kept here, in a SQLite file in the
owner's home, until its terminal has replied, so a broker crash, a terminal that is offline or
one that has never connected loses none of them. ``posctl commands retry`` publishes the same
signed bytes again; the terminal applies a command id once and answers a repeated one "done".

The signed JSON is kept as text, so the sqlite3 shell shows what is there. Nothing in clear: a
command's PINs and card codes are sealed to the terminal before signing, so
the stored bytes hold only ciphertext; replies are kept as status and error, never their result.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from terminal.link import protocol as wire

FILE_NAME = "commands.sqlite3"

UNSENT = "unsent"
"""Signed and kept, but the broker never confirmed it (down, unreachable)."""
SENT = "sent"
"""The broker confirmed it; no reply yet."""
DONE = "done"
REFUSED = "refused"
WAITING = (UNSENT, SENT)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS command (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    terminal TEXT NOT NULL,
    type TEXT NOT NULL,
    seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_try TEXT,
    reply_code TEXT,
    reply_message TEXT,
    replied_at TEXT
);
"""


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    terminal: str
    type: str
    seq: int
    created_at: datetime
    expires_at: datetime
    payload: bytes
    state: str
    attempts: int
    reply_code: str | None
    reply_message: str | None


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


class CommandOutbox:
    """One SQLite file; every call opens its own short transaction, so several posctl runs
    (web, CLI) can share it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fresh = not path.exists()
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        if fresh:
            os.chmod(path, 0o600)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def record(
        self,
        *,
        id: str,
        terminal: str,
        type: str,
        seq: int,
        expires_at: datetime,
        payload: bytes,
        now: datetime,
    ) -> None:
        self._db.execute(
            "INSERT INTO command (id, terminal, type, seq, created_at, expires_at, payload, "
            "state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (id, terminal, type, seq, _iso(now), _iso(expires_at), payload.decode(), UNSENT),
        )

    def resigned(self, id: str, seq: int, expires_at: datetime, payload: bytes) -> None:
        """The same command id signed again with a newer sequence number (see Remote.resign)."""
        self._db.execute(
            "UPDATE command SET seq = ?, expires_at = ?, payload = ? WHERE id = ?",
            (seq, _iso(expires_at), payload.decode(), id),
        )

    def published(self, id: str, now: datetime) -> None:
        self._db.execute(
            "UPDATE command SET state = CASE WHEN state = ? THEN ? ELSE state END, "
            "attempts = attempts + 1, last_try = ? WHERE id = ?",
            (UNSENT, SENT, _iso(now), id),
        )

    def replied(self, reply: wire.Reply, now: datetime) -> None:
        if reply.id is None:
            return
        code = reply.error.code if reply.error else None
        message = reply.error.message if reply.error else None
        self._db.execute(
            "UPDATE command SET state = ?, reply_code = ?, reply_message = ?, replied_at = ? "
            "WHERE id = ?",
            (DONE if reply.status == "done" else REFUSED, code, message, _iso(now), reply.id),
        )

    def get(self, id: str) -> Entry | None:
        rows = self._select("WHERE id = ?", (id,))
        return rows[0] if rows else None

    def waiting(self, terminals: list[str] | None = None) -> list[Entry]:
        """Commands without a reply, oldest first (the order their sequence numbers need)."""
        rows = self._select("WHERE state IN (?, ?)", WAITING)
        return [e for e in rows if terminals is None or e.terminal in terminals]

    def entries(self) -> list[Entry]:
        return self._select("", ())

    def _select(self, where: str, params: tuple[object, ...]) -> list[Entry]:
        cur = self._db.execute(
            "SELECT id, terminal, type, seq, created_at, expires_at, payload, state, attempts, "
            f"reply_code, reply_message FROM command {where} ORDER BY n",
            params,
        )
        return [
            Entry(
                r[0],
                r[1],
                r[2],
                r[3],
                datetime.fromisoformat(r[4]),
                datetime.fromisoformat(r[5]),
                str(r[6]).encode(),
                r[7],
                r[8],
                r[9],
                r[10],
            )
            for r in cur.fetchall()
        ]


def open_outbox(root: Path) -> CommandOutbox:
    return CommandOutbox(root / FILE_NAME)
