"""What the back office reads and commands: the collector's ``CentralDB`` (one per process, its
peewee connections per thread) and the posctl homes by store id."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provisioning.collector.db import CentralDB
from provisioning.home import Home

if TYPE_CHECKING:
    from provisioning.web.config import WebConfig


@dataclass
class Central:
    db: CentralDB
    homes: dict[str, Home]
    """store id -> the posctl home holding that store's owner key and terminals."""
    reply_timeout: float


_central: Central | None = None


def open_central(cfg: WebConfig) -> Central:
    global _central
    if _central is not None and _central.db.url == cfg.db_url:
        return _central
    db = CentralDB(cfg.db_url, tz=cfg.tz)
    db.create()
    homes: dict[str, Home] = {}
    for root in cfg.homes:
        home = Home(Path(root))
        if home.exists():
            homes[str(home.store()["store_id"])] = home
    _central = Central(db, homes, cfg.reply_timeout)
    return _central


def get() -> Central:
    if _central is None:
        raise RuntimeError("the back office is not configured: call config.configure first")
    return _central


@contextmanager
def reading() -> Iterator[CentralDB]:
    """The collector's database for the length of one request (or one poll of the live feed):
    the thread's connection is closed afterwards, so a finished request leaves none open."""
    c = get()
    with c.db.db.connection_context():
        yield c.db
