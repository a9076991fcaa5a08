"""The collector recomputes each entry's hash exactly as the terminal's journal does, whatever
the strings hold; a wrong hash or a broken link is still caught."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from provisioning.collector.db import Event, entry_hash
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
    entry = dataclasses.replace(entry, hash=journal.entry_hash(entry))
    ev = Event.from_mapping("S1", "T1", dataclasses.asdict(entry))
    assert entry_hash(ev) == entry.hash
    # Any change to a hashed field changes the hash.
    assert entry_hash(dataclasses.replace(ev, training=not ev.training)) != entry.hash
    assert entry_hash(dataclasses.replace(ev, uuid=ev.uuid + "\u00e9")) != entry.hash


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
    entry = dataclasses.replace(entry, hash=journal.entry_hash(entry))
    ev = Event.from_mapping("S1", "T1", dataclasses.asdict(entry))
    assert entry_hash(ev) == entry.hash
