"""When the data directory cannot be written: which way it fails (full, read-only, unusable),
named with its path, so the screen can say where and what to do instead of showing a Python
exception, and the services that could not be opened fail with that same error."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from typing import Any, NoReturn

from terminal.core.errors import PosError
from terminal.core.ports import LedgerError, LedgerFull, LedgerReadOnly

FULL = "data_dir.full"
READ_ONLY = "data_dir.read_only"
UNUSABLE = "data_dir.unusable"


class DataDirUnusable(PosError):
    """The terminal could not open its ledger in ``path``; ``code`` says why."""

    code = UNUSABLE

    def __init__(self, message: str, code: str, path: Path, detail: str = "") -> None:
        super().__init__(message, code=code)
        self.path = path
        self.detail = detail


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and e not in seen:
        seen.append(e)
        e = e.__cause__ or e.__context__
    return seen


def _storage_error(e: BaseException) -> bool:
    return isinstance(e, OSError | sqlite3.Error | LedgerError) or type(e).__module__ == "peewee"


def _statvfs(path: Path) -> os.statvfs_result | None:
    for p in (path, *path.parents):
        try:
            return os.statvfs(p)
        except OSError:
            continue
    return None


def diagnose(path: Path, exc: BaseException) -> DataDirUnusable | None:
    """Why opening the data directory ``path`` failed with ``exc``; None when ``exc`` is no
    storage problem (a bug must still show as one)."""
    chain = _chain(exc)
    if not any(_storage_error(e) for e in chain):
        return None
    text = " ".join(str(e) for e in chain)
    errnos = {getattr(e, "errno", None) for e in chain}
    st = _statvfs(path)
    read_only = (
        any(isinstance(e, LedgerReadOnly) for e in chain)
        or errno.EROFS in errnos
        or "readonly database" in text
        or (st is not None and bool(st.f_flag & os.ST_RDONLY))
    )
    full = (
        any(isinstance(e, LedgerFull) for e in chain)
        or errno.ENOSPC in errnos
        or "database or disk is full" in text
        or (st is not None and st.f_bavail == 0)
    )
    detail = str(exc) or type(exc).__name__
    if read_only:
        return DataDirUnusable(f"the data directory {path} is read-only", READ_ONLY, path, detail)
    if full:
        return DataDirUnusable(f"the disk holding {path} is full", FULL, path, detail)
    return DataDirUnusable(f"the data directory {path} cannot be used: {detail}", UNUSABLE,
                           path, detail)


class Unavailable:
    """Stands in for a service that could not be opened: any use raises the start-up error,
    which the screens show in words, rather than an AttributeError on None."""

    def __init__(self, error: DataDirUnusable) -> None:
        self._error = error

    def __getattr__(self, name: str) -> NoReturn:
        raise self.__dict__["_error"]

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Unavailable({self.__dict__['_error'].code})"


def stand_ins(error: DataDirUnusable) -> dict[str, Any]:
    """The facade's service attributes, each failing with ``error``."""
    u = Unavailable(error)
    return {"ledger": u, "catalog": u, "auth": u, "staff": u, "gate": u}
