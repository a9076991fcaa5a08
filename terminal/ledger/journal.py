"""How a journal entry is serialised, hashed and read back from rows and outbox bodies.

The canonical form and the hash are ``terminal.core.canonical``'s, the one definition the
collector re-checks the chain with. The first entry's ``prev_hash`` is ``GENESIS``. The same
canonical form (with ``hash`` included) is the body the outbox hands to the link.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from terminal.core.canonical import canonical, entry_text, text_hash, with_hash
from terminal.core.records import JournalEntry

GENESIS = "0" * 64

JOURNAL_COLUMNS = (
    "seq, uuid, ts, terminal_id, kind, staff_id, payload, number, series, training, prev_hash, hash"
)


def entry_body(entry: JournalEntry) -> bytes:
    """The canonical JSON of every field, hash included: what the outbox sends."""
    return with_hash(entry_text(entry), entry.hash).encode("utf-8")


def hash_and_body(entry: JournalEntry, payload_text: str) -> tuple[str, bytes]:
    """``entry_hash`` and ``entry_body`` of an entry whose payload is already canonical text,
    without serialising the payload again on the sale commit path."""
    text = entry_text(entry, payload_text)
    digest = text_hash(entry.prev_hash, text)
    return digest, with_hash(text, digest).encode("utf-8")


def entry_from_body(body: bytes) -> JournalEntry:
    return JournalEntry(**json.loads(body))


def entry_from_row(row: Sequence[Any]) -> JournalEntry:
    """A row selected with ``JOURNAL_COLUMNS``."""
    seq, uuid, ts, terminal_id, kind, staff_id, payload, number, series, training, prev, h = row
    return JournalEntry(
        seq=seq,
        uuid=uuid,
        ts=ts,
        terminal_id=terminal_id,
        kind=kind,
        staff_id=staff_id,
        payload=json.loads(payload),
        number=number,
        series=series,
        training=bool(training),
        prev_hash=prev,
        hash=h,
    )


def payload_dict(payload: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Canonical text of a payload and the plain dict it parses back to (a deep copy that
    holds only JSON types, which is what every later reader will see)."""
    text = canonical(dict(payload))
    return text, json.loads(text)
