"""Schema migrations: from an empty file, from every earlier version, and from a real v1
ledger with history, which must come out verified, projected and ready for the next entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from terminal.core.clock import ManualClock
from terminal.core.ports import LedgerError
from terminal.ledger.db import connect, open_ledger
from terminal.ledger.ledger import SqliteLedger
from terminal.ledger.projections import ProjectionArea, discover_areas
from terminal.ledger.schema import LEDGER_MIGRATIONS, SchemaError, migrate, versions
from terminal.ledger.verify import verify_file

from .builders import line, post_sale, sale
from .v1_fixture import build_v1


def _schema(path: Path) -> list[tuple]:
    db = connect(path)
    rows = db.execute_sql(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    ).fetchall()
    db.close()
    return rows


def _latest() -> dict[str, int]:
    out = {"ledger": len(LEDGER_MIGRATIONS)}
    out.update({a.name: len(a.migrations) for a in discover_areas()})
    return out


def _earlier_versions() -> list[dict[str, int]]:
    latest = _latest()
    targets = [{"ledger": v} for v in range(1, latest["ledger"] + 1)]
    for name, top in latest.items():
        if name == "ledger":
            continue
        for v in range(1, top):
            targets.append({**latest, name: v})
        targets.append({n: top if n != name else 0 for n, top in latest.items()})
    return [t for t in targets if t != latest]


def test_empty_file_migrates_to_latest(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    led = open_ledger(path, "T01", ManualClock())
    assert versions(led.db) == _latest()
    led.close()
    # Opening again changes nothing.
    before = _schema(path)
    open_ledger(path, "T01", ManualClock()).close()
    assert _schema(path) == before


@pytest.mark.parametrize("target", _earlier_versions(), ids=str)
def test_every_earlier_version_migrates_to_the_same_schema(
    tmp_path: Path, target: dict[str, int]
) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    open_ledger(fresh, "T01", ManualClock()).close()
    old = tmp_path / "old.sqlite3"
    db = connect(old)
    assert migrate(db, discover_areas(), target=target) == {k: v for k, v in target.items() if v}
    db.close()
    led = open_ledger(old, "T01", ManualClock())
    assert versions(led.db) == _latest()
    post_sale(led, sale(2))
    led.close()
    assert _schema(old) == _schema(fresh)
    assert verify_file(old).ok


def test_v1_ledger_with_history_upgrades(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    old = build_v1(path)
    assert verify_file(path).ok  # a v1 file is a valid ledger as it stands
    led = open_ledger(path, "T01", ManualClock())
    # New projection areas were filled from the journal that was already there.
    found = led.find_sale(sale_id="old-1")
    assert found is not None and found.receipt_no == 1
    totals = led.totals()
    assert (totals.sales_count, totals.net_sales, totals.opening_float) == (2, 400, 5000)
    assert totals.by_tender == {"cash": 300, "card": 100}
    assert led.current_shift()["shift_id"] == "s1"
    # The chain, the numbering and the outbox continue where v1 stopped.
    entry = post_sale(led, sale(1, shift_id="s1"))
    assert (entry.seq, entry.number, entry.prev_hash) == (4, 3, old[-1].hash)
    assert [r.seq for r in led.outbox().pending(10)] == [1, 2, 3, 4]
    led.close()
    assert verify_file(path).ok


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    led = open_ledger(path, "T01", ManualClock())
    led.db.execute_sql("UPDATE schema_version SET version = 99 WHERE area = 'ledger'")
    led.close()
    with pytest.raises(SchemaError, match="newer than this software"):
        open_ledger(path, "T01", ManualClock())
    assert issubclass(SchemaError, LedgerError)


def test_failing_migration_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    open_ledger(path, "T01", ManualClock()).close()
    before = _schema(path)

    def good(db: Any) -> None:
        db.execute_sql("CREATE TABLE extra (x INTEGER)")

    def bad(db: Any) -> None:
        raise RuntimeError("half way")

    broken = ProjectionArea(name="extra", migrations=(good, bad))
    with pytest.raises(LedgerError, match="half way"):
        open_ledger(path, "T01", ManualClock(), areas=[*discover_areas(), broken])
    assert _schema(path) == before


def test_sales_reclustering_keeps_every_row(tmp_path: Path) -> None:
    """sales v1 keyed lines and tenders by sale id; v2 rebuilds the tables on the seq."""
    path = tmp_path / "l.sqlite3"
    areas = discover_areas()
    db = connect(path)
    migrate(db, areas, target={**_latest(), "sales": 1})
    old = SqliteLedger(db, "T01", ManualClock(), areas, path=path)
    first = sale(3, tenders=[("cash", 200), ("card", 400)])
    post_sale(old, first)
    post_sale(old, sale(1))
    post_sale(old, sale([line(2, "A2", 1000, 200)], kind="refund", original_sale_id=first.sale_id))
    before = old.totals()
    db.close()
    led = open_ledger(path, "T01", ManualClock())
    assert versions(led.db)["sales"] == 2
    assert led.totals() == before
    assert led.find_sale(sale_id=first.sale_id).tenders == first.tenders
    assert led.refunded_milli(first.sale_id) == {2: 1000}
    plan = led.db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT sum(total) FROM sale WHERE training = 0 AND seq > 1"
    ).fetchall()
    assert "PRIMARY KEY" in plan[0][-1]
    post_sale(led, sale(2))
    led.close()
    assert verify_file(path).ok
