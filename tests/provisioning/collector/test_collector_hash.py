"""The collector recomputes each entry's hash exactly as the terminal's journal does, whatever
the strings hold; a wrong hash or a broken link is still caught. Both go through
``terminal.core.canonical``, pinned here by a known vector so neither side can drift."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from provisioning.collector.chain import event_hash
from provisioning.collector.events import Event
from terminal.core.canonical import entry_hash
from terminal.core.records import JournalEntry
from terminal.ledger import journal

_text = st.text(max_size=12)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(_text, kids, max_size=3),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(
    seq=st.integers(1, 2**62),
    uuid=_text,
    ts=_text,
    kind=st.text(min_size=1, max_size=12),
    staff_id=st.none() | _text,
    payload=st.dictionaries(_text, _json, max_size=4),
    number=st.none() | st.integers(-(2**70), 2**70),
    series=st.none() | _text,
    training=st.booleans(),
    prev_hash=_text,
)
def test_hash_matches_the_journal(**fields: object) -> None:
    entry = JournalEntry(terminal_id="T1", hash="", **fields)  # type: ignore[arg-type]
    entry = dataclasses.replace(entry, hash=entry_hash(entry))
    ev = Event.from_mapping("S1", "T1", dataclasses.asdict(entry))
    assert event_hash(ev) == entry.hash
    # Any change to a hashed field changes the hash.
    assert event_hash(dataclasses.replace(ev, training=not ev.training)) != entry.hash
    assert event_hash(dataclasses.replace(ev, uuid=ev.uuid + "\u00e9")) != entry.hash


def test_fixed_values_with_escapes_and_non_ascii() -> None:
    entry = JournalEntry(
        seq=3,
        uuid='q"\\\n\t\u2028',
        ts="2026-11-28T08:00:00+00:00",
        terminal_id="T1",
        kind="sale.completed",
        staff_id="\u5f20\u4e09",
        payload={"name": "\u8336 \U0001f375", "ctrl": "\x00\x1f", "n": [1, None, True]},
        number=None,
        series=None,
        training=False,
        prev_hash=journal.GENESIS,
        hash="",
    )
    entry = dataclasses.replace(entry, hash=entry_hash(entry))
    ev = Event.from_mapping("S1", "T1", dataclasses.asdict(entry))
    assert event_hash(ev) == entry.hash


KNOWN = JournalEntry(
    seq=7,
    uuid="3f1c9a4e-2b7d-4c1e-9a5f-0d6e8b2c4a11",
    ts="2026-11-28T08:15:30.250000+00:00",
    terminal_id="T1",
    kind="sale.completed",
    staff_id="\u5f20\u4e09",
    payload={
        "sale_id": "s-0007",
        "lines": [{"sku": "tea", "name": '\u8336 "green"', "qty_milli": 1250, "price": 380}],
        "total": 475,
        "note": None,
        "training": False,
    },
    number=42,
    series="receipt",
    training=False,
    prev_hash="ab" * 32,
    hash="",
)
KNOWN_HASH = "18c4bff9e1be385edfff23b9cf2ef44b3abef4f6632d80ca45c6e4e62a06b046"


def test_known_vector_on_both_sides() -> None:
    """One fixed entry: the documented formula, the ledger's commit path, its outbox body and
    the collector's check all give the same digest, and it is the one written down here."""
    fields = {k: v for k, v in dataclasses.asdict(KNOWN).items() if k != "hash"}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256((KNOWN.prev_hash + text).encode()).hexdigest() == KNOWN_HASH

    payload_text, _ = journal.payload_dict(KNOWN.payload)
    digest, body = journal.hash_and_body(KNOWN, payload_text)
    assert digest == KNOWN_HASH
    assert entry_hash(KNOWN) == KNOWN_HASH
    assert journal.entry_body(dataclasses.replace(KNOWN, hash=digest)) == body

    ev = Event.from_mapping("S1", "T1", json.loads(body))
    assert ev.hash == KNOWN_HASH
    assert event_hash(ev) == KNOWN_HASH


def test_a_drifted_field_changes_the_known_digest() -> None:
    changed = dataclasses.replace(KNOWN, series="z")
    assert entry_hash(changed) != KNOWN_HASH
    ev = Event.from_mapping("S1", "T1", dataclasses.asdict(KNOWN))
    assert event_hash(dataclasses.replace(ev, payload_json="", payload={})) != KNOWN_HASH
