"""The canonical form and the entry hash: byte for byte what ``json.dumps`` with sorted keys
and no whitespace gives, whatever the values hold."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.core.canonical import canonical, entry_hash, entry_text, text_hash, with_hash
from terminal.core.records import JournalEntry

_scalar = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=8)


def _entry(**changes: object) -> JournalEntry:
    base = JournalEntry(
        seq=1,
        uuid="u",
        ts="2026-01-01T00:00:00+00:00",
        terminal_id="T1",
        kind="note",
        staff_id=None,
        payload={"b": [1, "\u00e9"], "a": None},
        number=None,
        series=None,
        training=False,
        prev_hash="0" * 64,
        hash="",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_canonical_form() -> None:
    assert canonical({"b": 1, "a": ["\u00e9", None, True]}) == '{"a":["\u00e9",null,true],"b":1}'
    with pytest.raises(ValueError):
        canonical(math.nan)


@given(uuid=st.text(max_size=8), staff_id=st.none() | st.text(max_size=8), number=_scalar)
def test_entry_text_is_the_sorted_dump_of_the_fields(
    uuid: str, staff_id: str | None, number: object
) -> None:
    entry = _entry(uuid=uuid, staff_id=staff_id, number=number)
    fields = {k: v for k, v in dataclasses.asdict(entry).items() if k != "hash"}
    assert entry_text(entry) == canonical(fields)
    assert entry_text(entry, canonical(entry.payload)) == canonical(fields)
    digest = hashlib.sha256((entry.prev_hash + canonical(fields)).encode()).hexdigest()
    assert entry_hash(entry) == digest == text_hash(entry.prev_hash, entry_text(entry))
    assert json.loads(with_hash(entry_text(entry), digest)) == {**fields, "hash": digest}
