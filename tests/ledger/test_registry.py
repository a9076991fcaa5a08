"""The projector registry: discovery, conflicts, and an area's projector running inside the
post's transaction (a refusing projector leaves no journal row)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import peewee
import pytest

from terminal.core.clock import ManualClock
from terminal.core.ports import LedgerError
from terminal.core.records import JournalEntry
from terminal.ledger.db import open_ledger
from terminal.ledger.projections import (
    ProjectionArea,
    RegistryError,
    check_areas,
    discover_areas,
)


def _notes_v1(db: Any) -> None:
    db.execute_sql("CREATE TABLE note (seq INTEGER PRIMARY KEY, text TEXT NOT NULL)")


def _note(entry: JournalEntry, db: Any) -> None:
    if not entry.payload.get("text"):
        raise ValueError("a note needs text")
    db.execute_sql("INSERT INTO note VALUES (?, ?)", (entry.seq, entry.payload["text"]))


NOTES = ProjectionArea(name="notes", projectors={"note.added": _note}, migrations=(_notes_v1,))


def test_builtin_areas_are_discovered() -> None:
    areas = {a.name: a for a in discover_areas()}
    assert {"sales", "shifts"} <= set(areas)
    assert "sale.completed" in areas["sales"].projectors
    assert "report.z" in areas["shifts"].projectors


def test_conflicting_areas_are_refused() -> None:
    twin = ProjectionArea(name="twin", projectors={"note.added": _note})
    with pytest.raises(RegistryError, match=r"note\.added"):
        check_areas([NOTES, twin])
    with pytest.raises(RegistryError, match="twice"):
        check_areas([NOTES, NOTES])
    with pytest.raises(RegistryError):
        check_areas([ProjectionArea(name="ledger")])


def test_area_projector_runs_in_the_post_transaction(tmp_path: Path) -> None:
    led = open_ledger(
        tmp_path / "l.sqlite3", "T01", ManualClock(), areas=[*discover_areas(), NOTES]
    )
    led.post("note.added", {"text": "hello"}, staff_id="u1")
    with pytest.raises(LedgerError, match="a note needs text"):
        led.post("note.added", {"text": ""}, staff_id="u1")
    assert led.db.execute_sql("SELECT seq, text FROM note").fetchall() == [(1, "hello")]
    assert [e.seq for e in led.entries()] == [1]
    assert led.outbox().depth() == 1
    led.close()


def test_area_added_later_is_built_from_history(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    led = open_ledger(path, "T01", ManualClock())
    led.post("note.added", {"text": "before the area existed"}, staff_id=None)
    led.close()
    led = open_ledger(path, "T01", ManualClock(), areas=[*discover_areas(), NOTES])
    assert led.db.execute_sql("SELECT text FROM note").fetchall() == [("before the area existed",)]
    led.close()


def test_area_models_are_bound_to_the_ledger(tmp_path: Path) -> None:
    class Memo(peewee.Model):
        seq = peewee.IntegerField(primary_key=True)
        text = peewee.TextField()

        class Meta:
            table_name = "memo"

    def v1(db: Any) -> None:
        db.execute_sql("CREATE TABLE memo (seq INTEGER PRIMARY KEY, text TEXT NOT NULL)")

    def project(entry: JournalEntry, db: Any) -> None:
        Memo.create(seq=entry.seq, text=entry.payload["text"])

    area = ProjectionArea(
        name="memos", projectors={"memo.added": project}, migrations=(v1,), models=(Memo,)
    )
    led = open_ledger(tmp_path / "l.sqlite3", "T01", ManualClock(), areas=[*discover_areas(), area])
    led.post("memo.added", {"text": "via a model"}, staff_id=None)
    assert [m.text for m in Memo.select()] == ["via a model"]
    led.close()
