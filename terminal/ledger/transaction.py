"""The ledger's write transaction and the translation of SQLite failures into ``LedgerError``.

The lowest module of the ledger: the ledger, catalog and outbox all write through it, and it
imports nothing of theirs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import peewee

from terminal.core.ports import LedgerError, LedgerFull, LedgerReadOnly

SQLITE_FULL = 13
SQLITE_READONLY = 8


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is SQLite reporting a full disk."""
    for e in (exc, exc.__cause__, exc.__context__):
        if e is None:
            continue
        if getattr(e, "sqlite_errorcode", None) == SQLITE_FULL:
            return True
        if "database or disk is full" in str(e):
            return True
    return False


def is_read_only(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is SQLite refusing to write a read-only file."""
    for e in (exc, exc.__cause__, exc.__context__):
        if e is None:
            continue
        code = getattr(e, "sqlite_errorcode", None)
        if code is not None and code & 0xFF == SQLITE_READONLY:
            return True
        if "readonly database" in str(e):
            return True
    return False


def _rollback(db: peewee.SqliteDatabase) -> None:
    # After SQLITE_FULL or an I/O error SQLite may already have rolled the transaction back;
    # a second ROLLBACK would raise and hide the real error.
    conn = db.connection()
    if conn.in_transaction:
        conn.rollback()


_outer = threading.local()
"""Per thread: the ids of the databases with an ``outer_transaction`` open on this thread."""


def _open_outer() -> set[int]:
    ids: set[int] | None = getattr(_outer, "ids", None)
    if ids is None:
        ids = _outer.ids = set()
    return ids


def in_outer_transaction(db: peewee.SqliteDatabase) -> bool:
    return id(db) in _open_outer()


@contextmanager
def outer_transaction(db: peewee.SqliteDatabase) -> Iterator[None]:
    """One transaction around many writes (an owner command: catalog rows, staff rows and
    journal entries): every ``write_transaction`` inside it on this thread becomes a savepoint
    of it, and an error anywhere rolls the whole of it back."""
    with write_transaction(db):
        ids = _open_outer()
        ids.add(id(db))
        try:
            yield
        finally:
            ids.discard(id(db))


@contextmanager
def write_transaction(db: peewee.SqliteDatabase) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back whole on any error.

    IMMEDIATE takes the write lock up front, so two writers serialise on the busy timeout
    instead of failing halfway with SQLITE_BUSY. Inside it, ``db.atomic()`` is a savepoint.
    Inside an ``outer_transaction`` it is a savepoint of that.
    """
    if db.in_transaction():
        if in_outer_transaction(db):
            with db.atomic():
                yield
            return
        raise LedgerError("a ledger write cannot be nested inside another transaction")
    db.begin("IMMEDIATE")
    marker = db.transaction()
    db.push_transaction(marker)
    try:
        yield
    except BaseException:
        db.pop_transaction()
        _rollback(db)
        raise
    db.pop_transaction()
    try:
        db.commit()
    except BaseException:
        _rollback(db)
        raise


def translate(exc: BaseException, what: str) -> LedgerError:
    """The ``LedgerError`` to raise for ``exc``: ``LedgerFull`` when the disk is full."""
    if isinstance(exc, LedgerError):
        return exc
    if is_disk_full(exc):
        return LedgerFull(f"{what}: the disk is full; nothing was written")
    if is_read_only(exc):
        return LedgerReadOnly(f"{what}: the ledger is read-only; nothing was written")
    return LedgerError(f"{what}: {exc}")
