"""The journal: sequence, hash chain, gapless series, canonical payloads, append-only."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.core.canonical import canonical, entry_hash
from terminal.core.clock import ManualClock
from terminal.core.ports import LedgerError
from terminal.core.records import JournalEntry
from terminal.ledger.db import open_ledger
from terminal.ledger.journal import GENESIS, entry_body, hash_and_body, payload_dict
from terminal.ledger.ledger import SqliteLedger
from terminal.ledger.verify import verify_file

from .builders import post_sale, sale


def test_entries_are_numbered_and_chained(ledger: SqliteLedger, clock: ManualClock) -> None:
    first = ledger.post("note.test", {"n": 1}, staff_id="u1")
    clock.advance(1.5)
    second = ledger.post("note.test", {"n": 2}, staff_id=None)
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash
    assert first.ts == "2026-01-05T02:00:00.000000+00:00"
    assert second.ts == "2026-01-05T02:00:01.500000+00:00"
    assert first.terminal_id == "T01" and first.uuid != second.uuid
    # The hash is sha256 over prev_hash and the canonical entry, as docs/ledger.md says.
    fields = {
        "seq": 2,
        "uuid": second.uuid,
        "ts": second.ts,
        "terminal_id": "T01",
        "kind": "note.test",
        "staff_id": None,
        "payload": {"n": 2},
        "number": None,
        "series": None,
        "training": False,
        "prev_hash": first.hash,
    }
    text = first.hash + json.dumps(fields, sort_keys=True, separators=(",", ":"))
    assert second.hash == hashlib.sha256(text.encode()).hexdigest()
    assert ledger.entries() == [first, second]
    assert ledger.entries(after_seq=1) == [second]
    assert ledger.entries(limit=1) == [first]
    assert ledger.last_entry() == second


def test_payload_is_stored_canonically(ledger: SqliteLedger, ledger_file: Path) -> None:
    entry = ledger.post(
        "note.test", {"b": [1, 2], "a": "苹果", "c": {"y": 1, "x": 2}}, staff_id="u"
    )
    raw = sqlite3.connect(ledger_file).execute("SELECT payload FROM journal").fetchone()[0]
    assert raw == '{"a":"苹果","b":[1,2],"c":{"x":2,"y":1}}'
    assert entry.payload == {"a": "苹果", "b": [1, 2], "c": {"x": 2, "y": 1}}
    assert entry_hash(entry) == entry.hash


@pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": object()}, {"x": b"bytes"}])
def test_non_json_payload_is_refused_and_nothing_stored(ledger: SqliteLedger, bad: dict) -> None:
    with pytest.raises(LedgerError, match="payload"):
        ledger.post("note.test", bad, staff_id="u1")
    assert ledger.last_entry() is None
    assert ledger.post("note.test", {}, staff_id="u1").seq == 1


def test_series_are_gapless_and_separate(ledger: SqliteLedger) -> None:
    numbers = [post_sale(ledger, sale(1)).number for _ in range(3)]
    z = ledger.post(
        "report.z", {"from_seq": 1, "to_seq": 3, "totals": {}}, staff_id="m", series="z"
    )
    training = post_sale(ledger, sale(1, training=True))
    after = post_sale(ledger, sale(1))
    assert numbers == [1, 2, 3]
    assert (z.number, z.series) == (1, "z")
    # Practice sales number on their own, so real receipt numbers stay gapless.
    assert (training.number, training.series) == (1, "training.receipt")
    assert (after.number, after.series) == (4, "receipt")


def test_failed_post_consumes_no_number_and_no_seq(ledger: SqliteLedger) -> None:
    post_sale(ledger, sale(1))
    broken = sale(1).to_payload()
    del broken["lines"]
    with pytest.raises(LedgerError, match=r"sale\.completed was not recorded"):
        ledger.post("sale.completed", broken, staff_id="u1", series="receipt")
    entry = post_sale(ledger, sale(1))
    assert (entry.seq, entry.number) == (2, 2)
    assert verify_file(ledger.path).ok


def test_training_entries_never_reach_the_outbox(ledger: SqliteLedger) -> None:
    post_sale(ledger, sale(1, training=True))
    real = post_sale(ledger, sale(1))
    assert [r.seq for r in ledger.outbox().pending(10)] == [real.seq]


def test_journal_rejects_update_and_delete(ledger: SqliteLedger, ledger_file: Path) -> None:
    ledger.post("note.test", {"n": 1}, staff_id="u1")
    conn = sqlite3.connect(ledger_file)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE journal SET payload = '{}' WHERE seq = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM journal")
    conn.close()
    assert ledger.entries()[0].payload == {"n": 1}


def test_posts_from_two_threads_are_serialised(ledger: SqliteLedger) -> None:
    errors: list[BaseException] = []

    def work(who: str) -> None:
        try:
            for i in range(40):
                post_sale(ledger, sale(2, staff_id=who, sale_id=f"{who}-{i}"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    entries = ledger.entries(limit=1000)
    assert [e.seq for e in entries] == list(range(1, 81))
    assert sorted(e.number for e in entries) == list(range(1, 81))
    assert verify_file(ledger.path).ok


def test_two_ledger_objects_on_one_file_share_one_sequence(ledger_file: Path) -> None:
    """The terminal and a maintenance command each hold a ledger on the same file."""
    a = open_ledger(ledger_file, "T01", ManualClock())
    b = open_ledger(ledger_file, "T01", ManualClock())
    seqs = []
    for i in range(10):
        seqs.append((a if i % 2 else b).post("note.test", {"i": i}, staff_id=None).seq)
    assert seqs == list(range(1, 11))
    a.close()
    b.close()
    assert verify_file(ledger_file).ok


_POSTER = """
import sys
from terminal.ledger.db import open_ledger
led = open_ledger(sys.argv[1], "T01")
for i in range(60):
    led.post("note.test", {"who": sys.argv[2], "i": i}, staff_id=sys.argv[2],
             series="receipt")
led.close()
"""


def test_posts_from_two_processes_at_once(ledger_file: Path) -> None:
    open_ledger(ledger_file, "T01", ManualClock()).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", _POSTER, str(ledger_file), who])
        for who in ("p1", "p2")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    led = open_ledger(ledger_file, "T01", ManualClock())
    entries = led.entries(limit=1000)
    led.close()
    assert [e.seq for e in entries] == list(range(1, 121))
    assert [e.number for e in entries] == list(range(1, 121))
    assert {e.staff_id for e in entries} == {"p1", "p2"}
    assert verify_file(ledger_file).ok


def test_listener_runs_after_commit_and_cannot_undo_it(ledger: SqliteLedger) -> None:
    seen = []

    def listener(entry: JournalEntry) -> None:
        seen.append(entry.seq)
        raise RuntimeError("listener bug")

    ledger.subscribe(listener)
    entry = ledger.post("note.test", {}, staff_id=None)
    assert seen == [1] and ledger.last_entry() == entry


def test_canonical_form() -> None:
    assert canonical({"b": 1, "a": ["é", None, True]}) == '{"a":["é",null,true],"b":1}'


_json_scalars = st.none() | st.booleans() | st.integers() | st.text()
_json = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(
    payload=st.dictionaries(st.text(), _json, max_size=6),
    kind=st.text(min_size=1),
    staff=st.none() | st.text(),
    number=st.none() | st.integers(min_value=1),
)
def test_hash_and_body_match_the_full_serialisation(
    payload: dict, kind: str, staff: str | None, number: int | None
) -> None:
    """The commit path splices the payload's canonical text into the entry; the hash and
    the outbox body must be byte for byte what serialising the whole entry gives, whatever
    the payload strings contain (quotes, "payload":null, non-ASCII)."""
    text, obj = payload_dict(payload)
    entry = JournalEntry(
        seq=7, uuid="u", ts="2026-01-01T00:00:00.000000+00:00", terminal_id="T1", kind=kind,
        staff_id=staff, payload=obj, number=number, series="receipt", training=False,
        prev_hash="0" * 64, hash="",
    )
    digest, body = hash_and_body(entry, text)
    assert digest == entry_hash(entry)
    assert body == entry_body(dataclasses.replace(entry, hash=digest))
