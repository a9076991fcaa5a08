"""Canonical JSON and the journal entry hash: the one definition the ledger writes, the link
signs and the collector re-checks.

Canonical JSON is ``json.dumps`` with sorted keys, no whitespace, UTF-8 kept as is and NaN and
infinities refused. The hash of a journal entry is ``sha256(prev_hash + text)`` in hex, where
``text`` is the canonical JSON of every entry field except ``hash``. The outbox body is the same
object with ``hash`` added, which sorts first.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol


def canonical(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept as is; NaN and infinities are refused."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


_encode_str = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False


def _scalar(value: Any) -> str:
    """``canonical(value)`` for an entry's scalar fields without a json.dumps call each: eleven
    of those per entry cost as much as storing it. Anything else goes through ``canonical``."""
    t = type(value)
    if t is str:
        return _encode_str(value)
    if t is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    return canonical(value)


class EntryFields(Protocol):
    """The hashed fields of a journal entry, as ``JournalEntry`` and the collector's event
    both carry them."""

    @property
    def seq(self) -> int: ...
    @property
    def uuid(self) -> str: ...
    @property
    def ts(self) -> str: ...
    @property
    def terminal_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def staff_id(self) -> str | None: ...
    @property
    def payload(self) -> Any: ...
    @property
    def number(self) -> int | None: ...
    @property
    def series(self) -> str | None: ...
    @property
    def training(self) -> bool: ...
    @property
    def prev_hash(self) -> str: ...


def entry_text(entry: EntryFields, payload_text: str | None = None) -> str:
    """The canonical JSON of every hashed field of ``entry``. Built piece by piece, keys in
    sorted order, so a payload already serialised (``payload_text``) is not serialised again."""
    j = _scalar
    if payload_text is None:
        payload_text = canonical(entry.payload)
    return (
        '{"kind":' + j(entry.kind)
        + ',"number":' + j(entry.number)
        + ',"payload":' + payload_text
        + ',"prev_hash":' + j(entry.prev_hash)
        + ',"seq":' + j(entry.seq)
        + ',"series":' + j(entry.series)
        + ',"staff_id":' + j(entry.staff_id)
        + ',"terminal_id":' + j(entry.terminal_id)
        + ',"training":' + j(entry.training)
        + ',"ts":' + j(entry.ts)
        + ',"uuid":' + j(entry.uuid)
        + "}"
    )  # fmt: skip


def text_hash(prev_hash: str, text: str) -> str:
    """The hash of an entry whose ``entry_text`` is ``text``."""
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def entry_hash(entry: EntryFields, payload_text: str | None = None) -> str:
    """The journal's hash of an entry: sha256 over ``prev_hash`` followed by ``entry_text``."""
    return text_hash(entry.prev_hash, entry_text(entry, payload_text))


def with_hash(text: str, digest: str) -> str:
    """``text`` (an ``entry_text``) with the ``hash`` field added: "hash" sorts before every
    other field, so it goes right after the opening brace."""
    return '{"hash":' + _scalar(digest) + "," + text[1:]
