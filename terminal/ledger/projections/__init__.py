"""The projector registry: how an area of the terminal turns journal entries into tables.

Every module in this package that defines a module-level ``AREA = ProjectionArea(...)`` is an
area. ``discover_areas()`` imports them (when the ledger opens, never at import time) and the
ledger then

* runs the area's migrations in order, tracking its version in ``schema_version`` under the
  area's name, and
* after appending a journal entry, calls ``projectors[entry.kind](entry, db)`` inside the same
  transaction, so the projection and the journal row are committed together or not at all.

A projector receives the committed-to-be ``JournalEntry`` (payload already parsed) and the
peewee ``SqliteDatabase``; it writes with ``db.execute_sql`` (or peewee models bound to ``db``)
and raises to refuse the entry, which rolls the whole post back. Projectors must not commit,
must not open a transaction of their own (``db.atomic()`` inside one becomes a savepoint) and
must be deterministic: the projection is a pure function of the journal.

Migrations are plain functions ``fn(db)``: the n-th function in ``migrations`` brings the area
from version n-1 to n. They are append-only history: never edit one that has shipped, add the
next one instead.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from terminal.core.records import JournalEntry

Projector = Callable[[JournalEntry, Any], None]
"""``fn(entry, db)``: ``db`` is the ledger's ``peewee.SqliteDatabase``."""

Migration = Callable[[Any], None]
"""``fn(db)``: one schema step, run inside a transaction."""


@dataclass(frozen=True, slots=True)
class ProjectionArea:
    name: str
    """Key in ``schema_version``; also orders migrations (areas migrate by name, after the
    ledger's own tables)."""
    projectors: Mapping[str, Projector] = field(default_factory=dict)
    """Journal kind -> projector. Two areas may not claim the same kind."""
    migrations: Sequence[Migration] = ()
    models: Sequence[type] = ()
    """peewee models of the area's tables; the ledger binds them to its database on open."""
    after_replay: Callable[[Any], None] | None = None
    """Run once after the replay that fills the area on a ledger with history: for an area
    whose rows other areas' projectors clear (which that replay does not run)."""
    state_tables: Sequence[str] = ()
    """Tables of the area that are state written outside the projectors (secrets, lockouts),
    not projections of the journal: ``ledger verify`` does not rebuild them. Every other table
    an area creates is rebuilt from the journal and compared row by row."""


class RegistryError(Exception):
    """Two areas claim the same kind or name, or an area module is malformed."""


def discover_areas(package: str = __name__) -> list[ProjectionArea]:
    """Import every module of ``package`` and collect their ``AREA``s, sorted by name."""
    pkg = importlib.import_module(package)
    areas: list[ProjectionArea] = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        area = getattr(module, "AREA", None)
        if area is None:
            continue
        if not isinstance(area, ProjectionArea):
            raise RegistryError(f"{module.__name__}.AREA is not a ProjectionArea")
        areas.append(area)
    areas.sort(key=lambda a: a.name)
    check_areas(areas)
    return areas


def check_areas(areas: Sequence[ProjectionArea]) -> None:
    names: set[str] = set()
    owner: dict[str, str] = {}
    for area in areas:
        if area.name in names or area.name == "ledger":
            raise RegistryError(f"projection area name {area.name!r} is used twice")
        names.add(area.name)
        for kind in area.projectors:
            if kind in owner:
                raise RegistryError(
                    f"journal kind {kind!r} is projected by both {owner[kind]!r} and {area.name!r}"
                )
            owner[kind] = area.name


def projector_table(areas: Sequence[ProjectionArea]) -> dict[str, Projector]:
    table: dict[str, Projector] = {}
    for area in areas:
        table.update(area.projectors)
    return table
