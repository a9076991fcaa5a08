"""The signed command envelope: target, parsing untrusted bytes into a schema-checked
:class:`Command`, verifying its signature, the reject codes, and signing a command on the
owner's side."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature

from terminal.link.protocol.bodies import BODY_TYPES
from terminal.link.protocol.schema import (
    format_time,
    from_json,
    kind_of,
    parse_time,
    sub_path,
    to_json,
)
from terminal.link.protocol.signing import Signer, TrustedKeys
from terminal.link.protocol.topics import PROTOCOL_VERSION, check_id
from terminal.link.protocol.wire import (
    MAX_COMMAND_BYTES,
    ValidationError,
    canonical_json,
    dumps_canonical,
    loads,
)

MAX_COMMAND_LIFETIME = timedelta(days=31)
CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future ``issued_at`` may be before the terminal calls it not yet valid."""


class RejectCode(StrEnum):
    """Stable codes in error replies and ``command.rejected`` journal entries."""

    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_SIGNER = "unknown_signer"
    BAD_SIGNATURE = "bad_signature"
    WRONG_TARGET = "wrong_target"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REPLAY = "replay"
    UNKNOWN_TYPE = "unknown_type"
    UNSUPPORTED = "unsupported"
    """Valid and authentic, but this terminal has no handler for the type."""
    INVALID = "invalid"
    """The handler refused the body (e.g. an unknown role); nothing was changed."""
    FAILED = "failed"
    """The handler failed unexpectedly; see the message."""
    BAD_SEAL = "bad_seal"
    """A sealed field does not open with this terminal's sealing key (altered, sealed for
    another terminal or command), or the terminal has no sealing key; nothing was changed."""
    CLEAR_SECRET = "clear_secret"
    """A PIN or card code came in clear (readable by anyone on the broker): refused, nothing
    was changed; send it sealed."""


@dataclass(frozen=True, slots=True)
class Target:
    store: str
    terminal: str | None = None
    """None: every terminal of the store."""

    def validate(self, path: str) -> None:
        check_id(self.store, sub_path(path, "store"))
        if self.terminal is not None:
            check_id(self.terminal, sub_path(path, "terminal"))

    @property
    def scope(self) -> str:
        """The owner's sequence counters are per scope: one per terminal, one per store."""
        if self.terminal is None:
            return f"store:{self.store}"
        return f"terminal:{self.store}/{self.terminal}"


@dataclass(frozen=True, slots=True)
class _Envelope:
    v: int
    id: str
    type: str
    target: Target
    issued_at: str
    expires_at: str
    seq: int
    signer: str
    body: dict[str, object]
    sig: str


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed, schema-checked command. ``verify`` must still be called before trusting it."""

    v: int
    id: str
    type: str
    target: Target
    issued_at: datetime
    expires_at: datetime
    seq: int
    signer: str
    body: Any
    """The typed body dataclass for ``type`` (see ``BODY_TYPES``)."""
    raw_body: dict[str, Any]
    signed_bytes: bytes
    """Canonical JSON of everything but ``sig``: what the signature covers."""
    signature: bytes

    def verify(self, trusted: TrustedKeys) -> None:
        """Raises CommandRejected (unknown_signer or bad_signature) unless the signature is
        valid for a trusted key."""
        key = trusted.get(self.signer)
        if key is None:
            raise CommandRejected(
                RejectCode.UNKNOWN_SIGNER, f"key {self.signer} is not trusted by this terminal"
            )
        try:
            key.verify(self.signature, self.signed_bytes)
        except InvalidSignature:
            raise CommandRejected(
                RejectCode.BAD_SIGNATURE, "the signature does not match the message"
            ) from None

    def summary(self) -> dict[str, Any]:
        """What journal entries and logs say about a command (never the whole body)."""
        return {
            "id": self.id,
            "type": self.type,
            "seq": self.seq,
            "signer": self.signer,
            "scope": self.target.scope,
            "issued_at": format_time(self.issued_at),
            "expires_at": format_time(self.expires_at),
        }


class CommandRejected(Exception):
    """A command that must not be applied: ``code`` goes into the error reply and journal."""

    def __init__(self, code: RejectCode, message: str, field_path: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field_path


def parse_command(data: bytes | bytearray | str) -> Command:
    """Untrusted bytes -> a schema-checked Command, or ValidationError naming the field.

    Checks structure, version, types and the body's schema; not signature, target, time or
    order (see :func:`Command.verify` and the terminal's intake)."""
    try:
        return _parse_command(data)
    except RecursionError:
        raise ValidationError("$", "nested too deeply") from None


def _parse_command(data: bytes | bytearray | str) -> Command:
    obj = loads(data, max_bytes=MAX_COMMAND_BYTES)
    if not isinstance(obj, dict):
        raise ValidationError("$", f"must be an object, got {kind_of(obj)}")
    if "v" in obj and obj["v"] != PROTOCOL_VERSION:
        raise ValidationError("v", f"unsupported protocol version {obj['v']!r}")
    env: _Envelope = from_json(_Envelope, obj)
    try:
        uuid.UUID(env.id)
    except ValueError:
        raise ValidationError("id", f"not a UUID: {env.id!r}") from None
    body_type = BODY_TYPES.get(env.type)
    if body_type is None:
        raise ValidationError("type", f"unknown command type {env.type!r}")
    if env.seq < 1:
        raise ValidationError("seq", "must be >= 1")
    issued = parse_time(env.issued_at, "issued_at")
    expires = parse_time(env.expires_at, "expires_at")
    if expires <= issued:
        raise ValidationError("expires_at", "must be after issued_at")
    if expires - issued > MAX_COMMAND_LIFETIME:
        raise ValidationError("expires_at", f"a command may live at most {MAX_COMMAND_LIFETIME}")
    if not re.fullmatch(r"[0-9a-f]{16}", env.signer):
        raise ValidationError("signer", "must be a 16-digit hex key id")
    try:
        signature = base64.b64decode(env.sig, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("sig", "not base64") from None
    if len(signature) != 64:
        raise ValidationError("sig", "an Ed25519 signature is 64 bytes")
    body = from_json(body_type, env.body, "body")
    unsigned = {k: v for k, v in obj.items() if k != "sig"}
    return Command(
        v=env.v,
        id=env.id,
        type=env.type,
        target=env.target,
        issued_at=issued,
        expires_at=expires,
        seq=env.seq,
        signer=env.signer,
        body=body,
        raw_body=env.body,
        # ``loads`` refused floats and JSON keys are strings, so the value is canonical-clean.
        signed_bytes=dumps_canonical(unsigned),
        signature=signature,
    )


def peek_id(data: bytes | bytearray | str) -> str | None:
    """The ``id`` of a message that failed to parse, if one can be read, for the error reply."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError, TypeError):
        return None
    cid = obj.get("id") if isinstance(obj, dict) else None
    # Only an id that looks like one goes back in the reply (never a lone surrogate or junk).
    if isinstance(cid, str) and re.fullmatch(r"[0-9A-Za-z-]{1,64}", cid):
        return cid
    return None


def sign_command(
    signer: Signer,
    *,
    type: str,
    body: Mapping[str, Any] | Any,
    target: Target,
    seq: int,
    issued_at: datetime,
    ttl: timedelta = timedelta(hours=24),
    id: str | None = None,
) -> bytes:
    """Build and sign one command; returns the bytes to publish. ``body`` may be a body
    dataclass or a plain dict (checked against the schema either way)."""
    if type not in BODY_TYPES:
        raise ValueError(f"unknown command type {type!r}")
    raw_body = to_json(body) if hasattr(body, "__dataclass_fields__") else dict(body)
    from_json(BODY_TYPES[type], raw_body, "body")
    target.validate("target")
    unsigned = {
        "v": PROTOCOL_VERSION,
        "id": id or str(uuid.uuid4()),
        "type": type,
        "target": {"store": target.store, "terminal": target.terminal},
        "issued_at": format_time(issued_at),
        "expires_at": format_time(issued_at + ttl),
        "seq": seq,
        "signer": signer.key_id,
        "body": raw_body,
    }
    sig = signer.sign(canonical_json(unsigned))
    return canonical_json({**unsigned, "sig": base64.b64encode(sig).decode()})
