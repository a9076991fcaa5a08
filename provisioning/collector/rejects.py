"""Events the collector will not store, kept aside one by one instead of failing their batch.

A terminal (buggy or hostile) can publish on its own events topic something the wire format
lets through but the central database cannot hold: a lone surrogate in a string (no UTF-8 for
it), a sequence number or an amount beyond 64 bits, text longer than its column. Refusing the
whole batch would hold every other terminal's events behind it and, since the sender re-sends
what is not acknowledged, would do so for ever. So each such event is screened out before the
batch is written (:func:`problem`), or found by writing the batch one event at a time when the
database refuses something the screen did not foresee; it is kept in ``rejected_events`` with
its reason, raised as a ``collector.event_rejected`` alert, and acknowledged like a stored one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import peewee as pw

from provisioning.collector.events import Event
from terminal.core.canonical import canonical

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

REJECTED_ALERT = "collector.event_rejected"

RAW_KEEP = 8192
"""Characters of a rejected event's text kept: enough to see what was sent, while a terminal
flooding its topic with junk cannot fill the central database at the rate it can publish."""

DATA_ERRORS: tuple[type[BaseException], ...] = (
    pw.DataError,
    pw.IntegrityError,
    OverflowError,
    UnicodeError,
    ValueError,
    TypeError,
)
"""What the database (or the projection) raises for a value it cannot hold: the event is at
fault, not the database. Anything else (a lost connection, a locked file) fails the batch so
that it comes again."""

# The events table's text columns and their widths (models.EventRow).
_TEXT_LIMITS = (
    ("uuid", 64),
    ("ts", 40),
    ("kind", 64),
    ("staff_id", 64),
    ("series", 32),
    ("prev_hash", 80),
    ("hash", 80),
)


@dataclass(frozen=True, slots=True)
class Rejected:
    """One event (or one unreadable message) the collector refused."""

    store_id: str
    terminal_id: str
    seq: int | None
    """The event's sequence number when it is one the database can hold, else None."""
    reason: str
    raw: str
    """The event as received, as ASCII JSON (or the message's bytes, escaped); the first
    ``RAW_KEEP`` characters are stored."""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw.encode("ascii", "backslashreplace")).hexdigest()


def storable_seq(seq: object) -> int | None:
    if isinstance(seq, int) and not isinstance(seq, bool) and 1 <= seq <= INT64_MAX:
        return seq
    return None


def raw_text(obj: object) -> str:
    """``obj`` as JSON with every non-ASCII character escaped, so a lone surrogate survives
    storing."""
    try:
        return json.dumps(obj, ensure_ascii=True, sort_keys=True, default=repr)
    except (TypeError, ValueError, RecursionError):
        return repr(obj)


def raw_bytes(data: bytes, limit: int = 65536) -> str:
    text = data[:limit].decode("utf-8", "backslashreplace")
    return text.encode("ascii", "backslashreplace").decode("ascii")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _walk(value: Any, path: str, depth: int = 0) -> Iterator[tuple[str, Any]]:
    yield path, value
    if depth > 64:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(k, f"{path}.<key>", depth + 1)
            yield from _walk(v, f"{path}.{k}" if isinstance(k, str) else path, depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]", depth + 1)


def _value_problem(path: str, value: Any) -> str | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{path}: text that is not valid Unicode (a lone surrogate)"
    elif (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not (INT64_MIN <= value <= INT64_MAX)
    ):
        return f"{path}: number {_short(value)} is beyond 64 bits"
    return None


def problem(ev: Event) -> str | None:
    """Why ``ev`` cannot be stored as it is, or None when it can (as far as can be told
    without the database). Cheap for a good event: it runs on every one."""
    if storable_seq(ev.seq) is None:
        return f"seq {_short(ev.seq)} is out of range (1 to 2^63-1)"
    if ev.number is not None and not INT64_MIN <= ev.number <= INT64_MAX:
        return f"number {_short(ev.number)} is beyond 64 bits"
    texts: list[str] = []
    for name, width in _TEXT_LIMITS:
        value = getattr(ev, name)
        if value is None:
            continue
        if type(value) is not str:
            return f"{name}: must be text, got {type(value).__name__}"
        if len(value) > width:
            return f"{name}: longer than {width} characters"
        texts.append(value)
    # The payload's JSON text is already made. A lone surrogate anywhere fails one UTF-8
    # encoding of everything; only then are the fields walked, to name the place. (A number
    # beyond 64 bits is kept as text in the payload; where the projection needs it as a number,
    # ``bigint`` says so.)
    texts.append(ev.payload_json or canonical(ev.payload))
    try:
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:
        fields = [(name, getattr(ev, name)) for name, _ in _TEXT_LIMITS]
        for path, value in [*fields, *_walk(ev.payload, "payload")]:
            found = _value_problem(path, value)
            if found:
                return found
        return "text that is not valid Unicode"
    return None


def bigint(value: object, *where: str | int) -> int:
    """``value`` (None or empty counting as 0) as an integer a BIGINT column holds; a
    ValueError naming ``where`` otherwise."""
    n = int(value or 0)  # type: ignore[call-overload]
    if not INT64_MIN <= n <= INT64_MAX:
        path = "payload" + "".join(f"[{w}]" if isinstance(w, int) else f".{w}" for w in where)
        raise ValueError(f"{path}: number {_short(n)} is beyond 64 bits")
    return n


def rejected_event(ev: Event, reason: str) -> Rejected:
    raw = raw_text(
        {
            "seq": ev.seq,
            "uuid": ev.uuid,
            "ts": ev.ts,
            "kind": ev.kind,
            "staff_id": ev.staff_id,
            "payload": ev.payload,
            "number": ev.number,
            "series": ev.series,
            "training": ev.training,
            "prev_hash": ev.prev_hash,
            "hash": ev.hash,
        }
    )
    return Rejected(ev.store_id, ev.terminal_id, storable_seq(ev.seq), reason[:500], raw)


def split(events: list[Event]) -> tuple[list[Event], list[Rejected]]:
    """The events that pass :func:`problem`, and the others as rejections."""
    good: list[Event] = []
    bad: list[Rejected] = []
    for ev in events:
        reason = problem(ev)
        if reason is None:
            good.append(ev)
        else:
            bad.append(rejected_event(ev, reason))
    return good, bad
