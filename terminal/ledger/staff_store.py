"""Staff data in the ledger file: the projected records (staff, roles, training records,
ratings) and the secret state that is never journaled (PIN and card hashes, lockouts).

``SqliteStaffStore`` implements ``core.staff.StaffDirectory`` and ``core.evaluation.
StaffJournal``. The projected tables are written only by the staff projection inside the
ledger's post; the secret tables are written here directly, one statement each, so a PIN change
is durable on its own. No table holds a PIN or a card code: PINs are scrypt hashes, cards are an
HMAC lookup id plus an scrypt hash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from terminal.core.evaluation import in_period
from terminal.core.pins import CardKey, ScryptParams
from terminal.core.records import JournalEntry
from terminal.core.staff import (
    CardCredential,
    LockState,
    PinCredential,
    Role,
    StaffMember,
    StaffStatus,
    TrainingRecord,
    grants_from_payload,
    grants_to_payload,
)
from terminal.core.staff_wiring import StaffServices, StaffSettings, build_staff_services
from terminal.ledger.journal import JOURNAL_COLUMNS, entry_from_row


def migrate_v1(db: Any) -> None:
    db.execute_sql(
        """CREATE TABLE staff (
            staff_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            gender TEXT,
            contact TEXT NOT NULL DEFAULT '',
            photo TEXT,
            overrides TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'left')),
            trainee INTEGER NOT NULL DEFAULT 0,
            seq INTEGER NOT NULL REFERENCES journal (seq)
        ) WITHOUT ROWID"""
    )
    db.execute_sql(
        """CREATE TABLE staff_role (
            name TEXT PRIMARY KEY,
            label TEXT NOT NULL,
            grants TEXT NOT NULL,
            requires_training INTEGER NOT NULL DEFAULT 0,
            seq INTEGER NOT NULL REFERENCES journal (seq)
        ) WITHOUT ROWID"""
    )
    db.execute_sql(
        """CREATE TABLE staff_training (
            seq INTEGER PRIMARY KEY REFERENCES journal (seq),
            staff_id TEXT NOT NULL,
            date TEXT NOT NULL,
            content TEXT NOT NULL,
            result TEXT NOT NULL,
            recorded_by TEXT
        )"""
    )
    db.execute_sql("CREATE INDEX staff_training_staff ON staff_training (staff_id, date)")
    db.execute_sql(
        "CREATE TABLE staff_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID"
    )
    db.execute_sql(
        """CREATE TABLE staff_rating (
            seq INTEGER PRIMARY KEY REFERENCES journal (seq),
            ts TEXT NOT NULL,
            training INTEGER NOT NULL,
            sale_id TEXT NOT NULL,
            staff_id TEXT,
            rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5)
        )"""
    )
    db.execute_sql("CREATE INDEX staff_rating_staff ON staff_rating (staff_id, ts)")
    # Secret state: not projections of the journal, never rebuilt from it.
    db.execute_sql(
        """CREATE TABLE staff_pin (
            staff_id TEXT PRIMARY KEY,
            pin_hash TEXT NOT NULL,
            must_change INTEGER NOT NULL
        ) WITHOUT ROWID"""
    )
    db.execute_sql(
        """CREATE TABLE staff_card (
            lookup_id TEXT PRIMARY KEY,
            staff_id TEXT NOT NULL,
            verifier TEXT NOT NULL
        ) WITHOUT ROWID"""
    )
    db.execute_sql("CREATE INDEX staff_card_staff ON staff_card (staff_id)")
    db.execute_sql(
        """CREATE TABLE staff_lock (
            staff_id TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            locks INTEGER NOT NULL,
            locked_until TEXT
        ) WITHOUT ROWID"""
    )


def migrate_v2(db: Any) -> None:
    db.execute_sql("ALTER TABLE staff ADD COLUMN name_zh TEXT NOT NULL DEFAULT ''")


MIGRATIONS = (migrate_v1, migrate_v2)


class ProjectionSink:
    """``core.staff.StaffSink`` writing inside the ledger's transaction for one entry."""

    def __init__(self, db: Any, entry: JournalEntry) -> None:
        self._db = db
        self._entry = entry

    def save_member(self, member: StaffMember) -> None:
        self._db.execute_sql(
            "INSERT INTO staff (staff_id, name, role, gender, contact, photo, overrides, status, "
            "trainee, seq, name_zh) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (staff_id) DO UPDATE SET name = excluded.name, "
            "name_zh = excluded.name_zh, role = excluded.role, "
            "gender = excluded.gender, "
            "contact = excluded.contact, photo = excluded.photo, overrides = excluded.overrides, "
            "status = excluded.status, trainee = excluded.trainee, seq = excluded.seq",
            (
                member.staff_id,
                member.name,
                member.role,
                member.gender,
                member.contact,
                member.photo,
                json.dumps(grants_to_payload(member.overrides), sort_keys=True),
                member.status.value,
                int(member.trainee),
                self._entry.seq,
                member.name_zh,
            ),
        )

    def save_role(self, role: Role) -> None:
        self._db.execute_sql(
            "INSERT INTO staff_role (name, label, grants, requires_training, seq) "
            "VALUES (?,?,?,?,?) ON CONFLICT (name) DO UPDATE SET label = excluded.label, "
            "grants = excluded.grants, requires_training = excluded.requires_training, "
            "seq = excluded.seq",
            (
                role.name,
                role.label,
                json.dumps(grants_to_payload(role.grants), sort_keys=True),
                int(role.requires_training),
                self._entry.seq,
            ),
        )

    def add_training_record(self, staff_id: str, record: TrainingRecord) -> None:
        self._db.execute_sql(
            "INSERT INTO staff_training (seq, staff_id, date, content, result, recorded_by) "
            "VALUES (?,?,?,?,?,?)",
            (
                self._entry.seq,
                staff_id,
                record.date,
                record.content,
                record.result,
                record.recorded_by,
            ),
        )

    def set_snapshot_version(self, version: int) -> None:
        self._db.execute_sql(
            "INSERT INTO staff_meta (key, value) VALUES ('snapshot_version', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (version,),
        )


def project_rating(entry: JournalEntry, db: Any) -> None:
    p = entry.payload
    rating = p.get("rating")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValueError(f"sale.rated: rating must be 1-5, not {rating!r}")
    db.execute_sql(
        "INSERT INTO staff_rating (seq, ts, training, sale_id, staff_id, rating) "
        "VALUES (?,?,?,?,?,?)",
        (
            entry.seq,
            entry.ts,
            int(entry.training),
            str(p.get("sale_id", "")),
            entry.staff_id,
            rating,
        ),
    )


_STAFF_COLS = "staff_id, name, role, gender, contact, photo, overrides, status, trainee, name_zh"


def _norm_ts(ts: str) -> str:
    """The journal's own timestamp form, so SQL can compare it as text."""
    when = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="microseconds")


class SqliteStaffStore:
    def __init__(self, db: Any) -> None:
        self.db = db

    # --- records -----------------------------------------------------------------------------

    def _member_from_row(self, row: Sequence[Any]) -> StaffMember:
        staff_id, name, role, gender, contact, photo, overrides, status, trainee, name_zh = row
        records = self.db.execute_sql(
            "SELECT date, content, result, recorded_by FROM staff_training WHERE staff_id = ? "
            "ORDER BY date, seq",
            (staff_id,),
        ).fetchall()
        return StaffMember(
            staff_id=staff_id,
            name=name,
            role=role,
            name_zh=name_zh,
            gender=gender,
            contact=contact,
            photo=photo,
            overrides=grants_from_payload(json.loads(overrides)),
            status=StaffStatus(status),
            trainee=bool(trainee),
            training=tuple(TrainingRecord(*r) for r in records),
        )

    def member(self, staff_id: str) -> StaffMember | None:
        row = self.db.execute_sql(
            f"SELECT {_STAFF_COLS} FROM staff WHERE staff_id = ?", (staff_id,)
        ).fetchone()
        return self._member_from_row(row) if row else None

    def members(self) -> list[StaffMember]:
        rows = self.db.execute_sql(
            f"SELECT {_STAFF_COLS} FROM staff ORDER BY name, staff_id"
        ).fetchall()
        return [self._member_from_row(r) for r in rows]

    def stored_role(self, name: str) -> Role | None:
        row = self.db.execute_sql(
            "SELECT name, label, grants, requires_training FROM staff_role WHERE name = ?",
            (name,),
        ).fetchone()
        return _role(row) if row else None

    def stored_roles(self) -> list[Role]:
        rows = self.db.execute_sql(
            "SELECT name, label, grants, requires_training FROM staff_role ORDER BY name"
        ).fetchall()
        return [_role(r) for r in rows]

    def snapshot_version(self) -> int:
        row = self.db.execute_sql(
            "SELECT value FROM staff_meta WHERE key = 'snapshot_version'"
        ).fetchone()
        return int(row[0]) if row else 0

    # --- secrets -----------------------------------------------------------------------------

    def pin(self, staff_id: str) -> PinCredential | None:
        row = self.db.execute_sql(
            "SELECT staff_id, pin_hash, must_change FROM staff_pin WHERE staff_id = ?",
            (staff_id,),
        ).fetchone()
        return PinCredential(row[0], row[1], bool(row[2])) if row else None

    def set_pin(self, credential: PinCredential) -> None:
        self.db.execute_sql(
            "INSERT INTO staff_pin (staff_id, pin_hash, must_change) VALUES (?,?,?) "
            "ON CONFLICT (staff_id) DO UPDATE SET pin_hash = excluded.pin_hash, "
            "must_change = excluded.must_change",
            (credential.staff_id, credential.pin_hash, int(credential.must_change)),
        )

    def card(self, lookup_id: str) -> CardCredential | None:
        row = self.db.execute_sql(
            "SELECT lookup_id, staff_id, verifier FROM staff_card WHERE lookup_id = ?",
            (lookup_id,),
        ).fetchone()
        return CardCredential(*row) if row else None

    def cards_of(self, staff_id: str) -> list[CardCredential]:
        rows = self.db.execute_sql(
            "SELECT lookup_id, staff_id, verifier FROM staff_card WHERE staff_id = ? "
            "ORDER BY lookup_id",
            (staff_id,),
        ).fetchall()
        return [CardCredential(*r) for r in rows]

    def set_card(self, credential: CardCredential) -> None:
        self.db.execute_sql(
            "INSERT INTO staff_card (lookup_id, staff_id, verifier) VALUES (?,?,?) "
            "ON CONFLICT (lookup_id) DO UPDATE SET staff_id = excluded.staff_id, "
            "verifier = excluded.verifier",
            (credential.lookup_id, credential.staff_id, credential.verifier),
        )

    def remove_card(self, lookup_id: str) -> None:
        self.db.execute_sql("DELETE FROM staff_card WHERE lookup_id = ?", (lookup_id,))

    def lock_state(self, staff_id: str) -> LockState:
        row = self.db.execute_sql(
            "SELECT failures, locks, locked_until FROM staff_lock WHERE staff_id = ?",
            (staff_id,),
        ).fetchone()
        return LockState(staff_id, row[0], row[1], row[2]) if row else LockState(staff_id)

    def set_lock_state(self, state: LockState) -> None:
        self.db.execute_sql(
            "INSERT INTO staff_lock (staff_id, failures, locks, locked_until) VALUES (?,?,?,?) "
            "ON CONFLICT (staff_id) DO UPDATE SET failures = excluded.failures, "
            "locks = excluded.locks, locked_until = excluded.locked_until",
            (state.staff_id, state.failures, state.locks, state.locked_until),
        )

    # --- journal reads for training and evaluation -------------------------------------------

    def staff_entries(
        self,
        *,
        kinds: Sequence[str],
        since: str | None = None,
        until: str | None = None,
        training: bool | None = False,
        staff_id: str | None = None,
        page: int = 1000,
    ) -> Iterator[JournalEntry]:
        if not kinds:
            return
        where = [f"kind IN ({','.join('?' * len(kinds))})"]
        args: list[Any] = list(kinds)
        if training is not None:
            where.append("training = ?")
            args.append(int(training))
        if staff_id is not None:
            where.append("staff_id = ?")
            args.append(staff_id)
        if since is not None:
            where.append("ts >= ?")
            args.append(_norm_ts(since))
        if until is not None:
            where.append("ts < ?")
            args.append(_norm_ts(until))
        sql = (
            f"SELECT {JOURNAL_COLUMNS} FROM journal WHERE seq > ? AND {' AND '.join(where)} "
            "ORDER BY seq LIMIT ?"
        )
        after = 0
        while True:
            rows = self.db.execute_sql(sql, (after, *args, page)).fetchall()
            if not rows:
                return
            for row in rows:
                entry = entry_from_row(row)
                if in_period(entry.ts, since, until):
                    yield entry
            after = rows[-1][0]

    def ratings(self, staff_id: str, *, training: bool = False) -> list[tuple[str, int]]:
        """(sale_id, rating) pairs for one clerk, oldest first."""
        rows = self.db.execute_sql(
            "SELECT sale_id, rating FROM staff_rating WHERE staff_id = ? AND training = ? "
            "ORDER BY seq",
            (staff_id, int(training)),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]


def _role(row: Sequence[Any]) -> Role:
    name, label, grants, requires_training = row
    return Role(name, label, grants_from_payload(json.loads(grants)), bool(requires_training))


def open_staff(
    ledger: Any,
    clock: Any,
    card_key_path: Path,
    settings: StaffSettings | None = None,
    *,
    scrypt: ScryptParams | None = None,
) -> StaffServices:
    """The staff services on a ``SqliteLedger``: the store reads the ledger's own file, and the
    card key lives at ``card_key_path`` (created on first start, outside the database)."""
    store = SqliteStaffStore(ledger.db)
    return build_staff_services(
        ledger,
        store,
        store,
        clock,
        CardKey.load_or_create(card_key_path),
        settings,
        scrypt=scrypt,
    )
