from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from terminal.core.records import QR, Barcode, Feed, PrintDoc, Row, Rule, Text
from terminal.drivers.printer.spool import Spool, doc_from_json, doc_to_json

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def doc(key: str) -> PrintDoc:
    return PrintDoc(
        key=key,
        kind="receipt",
        blocks=(
            Text("店", "center", True, 2),
            Row("a", "1", True),
            Rule("="),
            QR("x", 5),
            Barcode("123", "CODE39"),
            Feed(2),
        ),
        cut=False,
    )


def test_document_round_trips_through_json() -> None:
    assert doc_from_json(doc_to_json(doc("k"))) == doc("k")


def test_keys_are_unique_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    s = Spool(path)
    assert s.add(doc("a"), NOW) is True
    assert s.add(doc("b"), NOW) is True
    assert s.add(doc("a"), NOW) is False
    s.mark_sending("a", NOW)
    s.close()

    s = Spool(path)
    job = s.next_job()
    assert job is not None and job.key == "a" and job.state == "sending" and job.attempts == 1
    assert job.doc == doc("a")
    s.mark_done("a", NOW)
    assert s.add(doc("a"), NOW) is False  # printed keys stay remembered
    assert s.pending_count() == 1
    s.mark_failed("b", "bad barcode")
    assert s.next_job() is None and s.pending_count() == 0
    assert s.state_of("b") == "failed"
    s.close()


def test_prune_forgets_old_printed_jobs_only(tmp_path: Path) -> None:
    s = Spool(tmp_path / "spool.sqlite3", keep_done_days=30)
    s.add(doc("old"), NOW)
    s.mark_done("old", NOW)
    s.add(doc("pending"), NOW)
    assert s.prune(NOW + timedelta(days=31)) == 1
    assert s.state_of("old") is None
    assert s.state_of("pending") == "pending"
    s.close()


def test_one_owner_per_spool(tmp_path: Path) -> None:
    import pytest

    from terminal.drivers.printer.spool import SpoolError

    first = Spool(tmp_path / "spool.sqlite3")
    with pytest.raises(SpoolError, match="in use by another process"):
        Spool(tmp_path / "spool.sqlite3")
    first.close()
    first.close()  # closing twice is harmless
    Spool(tmp_path / "spool.sqlite3").close()
