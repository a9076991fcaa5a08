"""The messages besides commands: command replies, journal events (one or a batch), the
collector's acks and the terminal's retained status, each with its encoder and decoder."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from terminal.link.protocol.envelopes import RejectCode
from terminal.link.protocol.schema import from_json, nonempty, nonneg, sub_path, to_json
from terminal.link.protocol.topics import PROTOCOL_VERSION, check_id
from terminal.link.protocol.wire import (
    MAX_COMMAND_BYTES,
    MAX_EVENT_BYTES,
    MAX_SMALL_BYTES,
    ValidationError,
    canonical_json,
    loads,
)


@dataclass(frozen=True, slots=True)
class ReplyError:
    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    id: str | None
    """The command's id; None when the command was too broken to read one."""
    terminal: str
    status: Literal["done", "error"]
    error: ReplyError | None = None
    result: Any = None
    v: int = PROTOCOL_VERSION
    ts: str = ""

    def validate(self, path: str) -> None:
        if self.status == "error" and self.error is None:
            raise ValidationError(sub_path(path, "error"), "an error reply needs an error")

    @classmethod
    def done(cls, id: str, terminal: str, result: Any = None, ts: str = "") -> Reply:
        return cls(id=id, terminal=terminal, status="done", result=result, ts=ts)

    @classmethod
    def failed(
        cls,
        id: str | None,
        terminal: str,
        code: RejectCode | str,
        message: str,
        field_path: str | None = None,
        ts: str = "",
    ) -> Reply:
        return cls(
            id=id,
            terminal=terminal,
            status="error",
            error=ReplyError(str(code), message, field_path),
            ts=ts,
        )


def encode_reply(reply: Reply) -> bytes:
    return canonical_json(to_json(reply))


def decode_reply(data: bytes | bytearray | str) -> Reply:
    return from_json(Reply, loads(data, max_bytes=MAX_EVENT_BYTES))


# --- events, acks, status --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    terminal: str
    seq: int
    kind: str
    entry: object
    """The journal entry as the ledger serialised it (its outbox row body). Not walked again
    after parsing: event messages are read without floats (``loads`` refuses them, NaN and
    repeated keys anywhere in the message), so what ``loads`` returns is already valid
    canonical JSON, and a second walk over every entry cost as much as the parse."""
    v: int = PROTOCOL_VERSION

    def validate(self, path: str) -> None:
        check_id(self.terminal, sub_path(path, "terminal"))
        if self.seq < 1:
            raise ValidationError(sub_path(path, "seq"), "must be >= 1")
        nonempty(self.kind, path, "kind", 64)


def encode_event(terminal: str, seq: int, kind: str, body: bytes) -> bytes:
    """Wrap an outbox row without re-parsing its body: ``body`` is already JSON."""
    head = json.dumps(
        {"v": PROTOCOL_VERSION, "terminal": terminal, "seq": seq, "kind": kind},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return head[:-1] + b',"entry":' + body + b"}"


def decode_event(data: bytes | bytearray | str) -> Event:
    """One event message (a JSON object). For messages that may carry a batch, use
    :func:`decode_events`."""
    obj = loads(data, max_bytes=MAX_EVENT_BYTES)
    return _event(obj, "$")


def _event(obj: Any, path: str) -> Event:
    if isinstance(obj, dict) and "v" in obj and obj["v"] != PROTOCOL_VERSION:
        raise ValidationError(sub_path(path, "v"), f"unsupported protocol version {obj['v']!r}")
    return from_json(Event, obj, path)


MAX_BATCH_EVENTS = 1000
MAX_BATCH_BYTES = 16 * 1024 * 1024


def encode_event_batch(events: Iterable[bytes]) -> bytes:
    """Several already encoded events (from :func:`encode_event`, in sequence order) as one
    message: a JSON array. Fewer, larger messages cut the per-message cost on both ends."""
    return b"[" + b",".join(events) + b"]"


def decode_events(data: bytes | bytearray | str) -> list[Event]:
    """An event message: one event (object) or a batch (array) of one terminal's events."""
    obj = loads(data, max_bytes=MAX_BATCH_BYTES)
    if isinstance(obj, list):
        if not obj:
            raise ValidationError("$", "an empty batch")
        if len(obj) > MAX_BATCH_EVENTS:
            raise ValidationError("$", f"more than {MAX_BATCH_EVENTS} events in one batch")
        events = [_event(o, f"[{i}]") for i, o in enumerate(obj)]
        if len({e.terminal for e in events}) != 1:
            raise ValidationError("[0].terminal", "a batch carries one terminal's events")
        return events
    if len(data) > MAX_EVENT_BYTES:
        raise ValidationError("$", f"message is {len(data)} bytes, the limit is {MAX_EVENT_BYTES}")
    return [_event(obj, "$")]


@dataclass(frozen=True, slots=True)
class Ack:
    """Collector -> terminal. Idempotent: acking a sequence twice, or one the terminal no
    longer holds, changes nothing."""

    terminal: str
    upto: int = 0
    """Every event with seq <= upto is stored (highest contiguous sequence)."""
    seqs: list[int] = field(default_factory=list)
    """Further single events stored beyond ``upto`` (after a gap)."""
    resend_from: int | None = None
    """The collector lost events from here on: send them again even if acknowledged."""
    v: int = PROTOCOL_VERSION

    def validate(self, path: str) -> None:
        check_id(self.terminal, sub_path(path, "terminal"))
        nonneg(self.upto, path, "upto")
        if len(self.seqs) > 100_000:
            raise ValidationError(sub_path(path, "seqs"), "too many")
        for i, s in enumerate(self.seqs):
            if s < 1:
                raise ValidationError(sub_path(path, f"seqs[{i}]"), "must be >= 1")
        if self.resend_from is not None and self.resend_from < 1:
            raise ValidationError(sub_path(path, "resend_from"), "must be >= 1")


def encode_ack(ack: Ack) -> bytes:
    return canonical_json(to_json(ack))


def decode_ack(data: bytes | bytearray | str) -> Ack:
    obj = loads(data, max_bytes=MAX_COMMAND_BYTES)
    if isinstance(obj, dict) and "v" in obj and obj["v"] != PROTOCOL_VERSION:
        raise ValidationError("v", f"unsupported protocol version {obj['v']!r}")
    return from_json(Ack, obj)


@dataclass(frozen=True, slots=True)
class Status:
    """Retained on the terminal's status topic. The MQTT last will publishes the offline form
    (with the fields known at connect time) when the terminal vanishes."""

    terminal: str
    store: str
    state: Literal["online", "offline"]
    version: str
    ts: str
    last_seq: int | None = None
    """Newest journal sequence number on the terminal."""
    acked_seq: int | None = None
    """Highest sequence the collector has acknowledged (contiguously) in this run."""
    outbox_depth: int | None = None
    health: dict[str, str] = field(default_factory=dict)
    """Device -> "ok", "fault" or "unknown"."""
    reason: str = ""
    """Offline: "shutdown" (clean stop) or "lost" (the last will)."""
    v: int = PROTOCOL_VERSION


def encode_status(status: Status) -> bytes:
    return canonical_json(to_json(status))


def decode_status(data: bytes | bytearray | str) -> Status:
    obj = loads(data, max_bytes=MAX_SMALL_BYTES)
    if isinstance(obj, dict) and "v" in obj and obj["v"] != PROTOCOL_VERSION:
        raise ValidationError("v", f"unsupported protocol version {obj['v']!r}")
    return from_json(Status, obj)
