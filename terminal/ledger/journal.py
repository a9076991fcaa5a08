"""The journal's canonical form: how an entry is serialised, hashed and read back.

The hash of an entry is ``sha256(prev_hash + canonical(fields))`` in hex, where ``fields`` are
all ``JournalEntry`` fields except ``hash`` and ``canonical`` is JSON with sorted keys, no
whitespace and raw UTF-8. The first entry's ``prev_hash`` is ``GENESIS``. The same canonical
form (with ``hash`` included) is the body the outbox hands to the link, so the collector can
re-check the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from terminal.core.records import JournalEntry

GENESIS = "0" * 64

JOURNAL_COLUMNS = (
    "seq, uuid, ts, terminal_id, kind, staff_id, payload, number, series, training, prev_hash, hash"
)


def canonical(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept as is; NaN and infinities are refused."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _fields(entry: JournalEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "uuid": entry.uuid,
        "ts": entry.ts,
        "terminal_id": entry.terminal_id,
        "kind": entry.kind,
        "staff_id": entry.staff_id,
        "payload": entry.payload,
        "number": entry.number,
        "series": entry.series,
        "training": entry.training,
        "prev_hash": entry.prev_hash,
    }


def entry_hash(entry: JournalEntry) -> str:
    data = entry.prev_hash + canonical(_fields(entry))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def entry_body(entry: JournalEntry) -> bytes:
    """The canonical JSON of every field, hash included: what the outbox sends."""
    fields = _fields(entry)
    fields["hash"] = entry.hash
    return canonical(fields).encode("utf-8")


def hash_and_body(entry: JournalEntry, payload_text: str) -> tuple[str, bytes]:
    """``entry_hash`` and ``entry_body`` of an entry whose payload is already canonical text,
    without serialising the payload twice more on the sale commit path.

    Canonical JSON sorts keys and escapes every quote inside strings, so the top-level
    ``"payload":null`` placeholder occurs exactly once and "hash" is always the first key."""
    fields = _fields(entry)
    fields["payload"] = None
    text = canonical(fields).replace('"payload":null', '"payload":' + payload_text, 1)
    digest = hashlib.sha256((entry.prev_hash + text).encode("utf-8")).hexdigest()
    body = '{"hash":' + canonical(digest) + "," + text[1:]
    return digest, body.encode("utf-8")


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
