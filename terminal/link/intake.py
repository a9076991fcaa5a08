"""Command intake: the terminal's gate for owner commands.

``Intake.handle(payload)`` takes the raw bytes of one MQTT message on the terminal's command
topic and returns the reply to publish. In order it: parses and schema-checks (malformed ->
error), verifies the Ed25519 signature against the owner keys trusted at enrolment (forged or
unknown signer -> error), checks the target (another store or terminal -> error), answers "done"
again without doing anything for a message id that was already applied, checks the validity
window (expired or not yet valid -> error), checks the owner's per-target sequence number
(not above the last applied one -> replay, error), refuses PINs and card codes in clear, opens
the sealed ones, and finally runs the handler registered for the type inside one ledger
transaction with its ``command.applied`` entry, so a refused command changes nothing. It never
raises: whatever goes wrong becomes an error reply. Every rejection is journaled as
``command.rejected`` and every applied command as ``command.applied``, so the journal alone
rebuilds the intake's memory after a restart.

It is plain synchronous code with no MQTT in it: the relay feeds it messages, tests feed it
bytes directly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from terminal.core.errors import PosError
from terminal.core.ports import Clock, Ledger, LedgerError
from terminal.core.rights import ApprovalRequired, PermissionDenied
from terminal.link import protocol as p
from terminal.link import sealing

log = logging.getLogger(__name__)

Handler = Callable[[Any], Any]
"""Gets the typed body dataclass of a verified command; returns a JSON-safe result (or None).
Raising ``PosError``/``ValueError``/``LookupError``/``PermissionDenied`` means "refused, nothing
changed" (reply code ``invalid``); any other exception is reported as ``failed``."""

APPLIED = "command.applied"
REJECTED = "command.rejected"
_MESSAGE_LIMIT = 300
_DONE_CACHE = 10_000
"""Results kept in memory to repeat in duplicate replies (ids themselves are all kept)."""


def _printable(text: str) -> str:
    # An exception's text may quote input: keep it encodable for the journal and the reply.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _clip(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


class Intake:
    def __init__(
        self,
        *,
        store_id: str,
        terminal_id: str,
        ledger: Ledger,
        trusted: p.TrustedKeys,
        clock: Clock,
        handlers: Mapping[str, Handler] | None = None,
        clock_skew: timedelta = p.CLOCK_SKEW,
        seal_key: X25519PrivateKey | None = None,
    ) -> None:
        """``seal_key`` opens the secret fields posctl sealed to this terminal (see
        ``terminal.link.sealing``); without it a command carrying sealed fields is refused."""
        self._seal_key = seal_key
        self.store_id = p.check_id(store_id, "store_id")
        self.terminal_id = p.check_id(terminal_id, "terminal_id")
        self._ledger = ledger
        self._trusted = trusted
        self._clock = clock
        self._skew = clock_skew
        self._handlers: dict[str, Handler] = {}
        for kind, fn in (handlers or {}).items():
            self.register(kind, fn)
        self._applied: set[str] = set()
        self._results: dict[str, Any] = {}
        self._last_seq: dict[tuple[str, str], int] = {}
        self.stats: dict[str, int] = dict.fromkeys(
            ("applied", "rejected", "crashes", "unjournaled"), 0
        )
        """Counters for status and tests: ``crashes`` are failures outside any handler."""
        # The relay calls handle() from its network thread, tests and tools from theirs.
        self._lock = threading.Lock()

    # --- set-up ----------------------------------------------------------------------------

    def register(self, kind: str, handler: Handler) -> None:
        if kind not in p.COMMAND_TYPES:
            raise ValueError(f"no command type {kind!r} in the protocol")
        self._handlers[kind] = handler

    def handled_types(self) -> list[str]:
        return sorted(self._handlers)

    def load(self) -> int:
        """Rebuild applied ids and sequence counters from the journal's ``command.applied``
        entries; call once before the first ``handle``. Returns how many were read."""
        count = 0
        for payload in self._applied_payloads():
            cid, signer, scope, seq = (
                payload.get("id"),
                payload.get("signer"),
                payload.get("scope"),
                payload.get("seq"),
            )
            if not isinstance(cid, str) or not isinstance(seq, int):
                continue
            self._applied.add(cid)
            key = (str(signer), str(scope))
            self._last_seq[key] = max(self._last_seq.get(key, 0), seq)
            count += 1
        return count

    def _applied_payloads(self) -> list[Mapping[str, Any]]:
        db = getattr(self._ledger, "db", None)
        if db is not None:
            # The journal is indexed on (kind, seq): this reads only command entries.
            from terminal.ledger.journal import JOURNAL_COLUMNS, entry_from_row

            rows = db.execute_sql(
                f"SELECT {JOURNAL_COLUMNS} FROM journal WHERE kind = ? ORDER BY seq", (APPLIED,)
            ).fetchall()
            return [entry_from_row(r).payload for r in rows]
        out: list[Mapping[str, Any]] = []
        after = 0
        while True:
            batch = self._ledger.entries(after_seq=after, limit=1000)
            if not batch:
                return out
            out += [e.payload for e in batch if e.kind == APPLIED]
            after = batch[-1].seq

    # --- state, for status and tests -------------------------------------------------------

    def last_seq(self, signer: str, scope: str) -> int:
        return self._last_seq.get((signer, scope), 0)

    def was_applied(self, command_id: str) -> bool:
        return command_id in self._applied

    def state(self) -> dict[str, Any]:
        """Everything the intake remembers (a test compares it before and after)."""
        with self._lock:
            return {
                "applied": sorted(self._applied),
                "last_seq": {f"{k[0]}|{k[1]}": v for k, v in sorted(self._last_seq.items())},
            }

    # --- the gate --------------------------------------------------------------------------

    def handle(self, payload: bytes | bytearray, *, topic: str | None = None) -> p.Reply:
        """One command message in, one reply out. Never raises, whatever ``payload`` holds: a
        failure nobody foresaw is journaled and answered as ``failed`` like any other."""
        with self._lock:
            try:
                return self._handle(payload, topic)
            except Exception as exc:
                log.exception("command intake failed on a %d-byte message", len(payload))
                self.stats["crashes"] += 1
                why = f"{type(exc).__name__}: {exc}"
                try:
                    cid = p.peek_id(payload)
                    return self._reject(None, cid, p.RejectCode.FAILED, why, None, 0, topic)
                except Exception:
                    self.stats["unjournaled"] += 1
                    return p.Reply.failed(None, self.terminal_id, p.RejectCode.FAILED, "failed")

    def _handle(self, payload: bytes | bytearray, topic: str | None) -> p.Reply:
        try:
            cmd = p.parse_command(payload)
        except p.ValidationError as exc:
            code = p.RejectCode.TOO_LARGE if len(payload) > p.MAX_COMMAND_BYTES else None
            if code is None:
                code = (
                    p.RejectCode.UNKNOWN_TYPE
                    if exc.field == "type" and "unknown command type" in exc.message
                    else p.RejectCode.MALFORMED
                )
            # An oversized message is not parsed even to find its id.
            cid = None if code is p.RejectCode.TOO_LARGE else p.peek_id(payload)
            return self._reject(None, cid, code, exc.message, exc.field, len(payload), topic)
        try:
            cmd.verify(self._trusted)
            self._check_target(cmd)
            if cmd.id in self._applied:
                # Same message again (a retry or a re-delivery): the answer it got, no
                # change, no journal entry.
                return p.Reply.done(cmd.id, self.terminal_id, self._results.get(cmd.id), self._ts())
            self._check_time(cmd)
            self._check_order(cmd)
            handler = self._handlers.get(cmd.type)
            if handler is None:
                raise p.CommandRejected(
                    p.RejectCode.UNSUPPORTED, f"this terminal does not handle {cmd.type}"
                )
            self._check_secrets(cmd)
            cmd = self._unseal(cmd)
        except p.CommandRejected as exc:
            return self._reject(cmd, cmd.id, exc.code, exc.message, exc.field, len(payload), topic)
        return self._apply(cmd, handler, len(payload), topic)

    def _check_secrets(self, cmd: p.Command) -> None:
        """Secrets travel sealed or not at all: a PIN or card code in clear has crossed the
        broker readable, so the command is refused rather than acted on."""
        for name in p.SEALABLE.get(cmd.type, ()):
            if getattr(cmd.body, name, None):
                raise p.CommandRejected(
                    p.RejectCode.CLEAR_SECRET,
                    f"{name} must travel sealed to this terminal (body.sealed.{name}), never in "
                    "clear",
                    f"body.{name}",
                )
        clear = p.snapshot_clear_secrets(cmd.body) if isinstance(cmd.body, p.StaffSnapshot) else []
        if clear:
            raise p.CommandRejected(
                p.RejectCode.CLEAR_SECRET,
                "PINs and card codes in a staff snapshot must travel sealed",
                clear[0],
            )

    def _check_target(self, cmd: p.Command) -> None:
        t = cmd.target
        if t.store != self.store_id:
            raise p.CommandRejected(
                p.RejectCode.WRONG_TARGET,
                f"addressed to store {t.store}, this is {self.store_id}",
                "target.store",
            )
        if t.terminal is not None and t.terminal != self.terminal_id:
            raise p.CommandRejected(
                p.RejectCode.WRONG_TARGET,
                f"addressed to terminal {t.terminal}, this is {self.terminal_id}",
                "target.terminal",
            )

    def _check_time(self, cmd: p.Command) -> None:
        now = self._clock.now()
        if now >= cmd.expires_at:
            raise p.CommandRejected(
                p.RejectCode.EXPIRED,
                f"expired at {p.format_time(cmd.expires_at)} (terminal time {p.format_time(now)})",
                "expires_at",
            )
        if cmd.issued_at > now + self._skew:
            raise p.CommandRejected(
                p.RejectCode.NOT_YET_VALID,
                f"issued at {p.format_time(cmd.issued_at)}, after the terminal time "
                f"{p.format_time(now)}; check the terminal's clock",
                "issued_at",
            )

    def _check_order(self, cmd: p.Command) -> None:
        last = self._last_seq.get((cmd.signer, cmd.target.scope), 0)
        if cmd.seq <= last:
            raise p.CommandRejected(
                p.RejectCode.REPLAY,
                f"sequence {cmd.seq} is not after the last applied {last} for {cmd.target.scope}",
                "seq",
            )

    def _unseal(self, cmd: p.Command) -> p.Command:
        """The command with its sealed fields opened into the body, so handlers and the staff
        service see plain values. Only the body changes: journal entries carry the summary,
        never the body, so no opened secret is written anywhere."""
        if isinstance(cmd.body, p.StaffSnapshot):
            return self._unseal_snapshot(cmd)
        sealed: dict[str, str] = getattr(cmd.body, "sealed", None) or {}
        if not sealed:
            return cmd
        opened = {name: self._open(cmd, name, token) for name, token in sealed.items()}
        body = dataclasses.replace(cmd.body, **opened, sealed={})
        try:
            body.validate("body")
        except p.ValidationError as exc:
            raise p.CommandRejected(p.RejectCode.MALFORMED, exc.message, exc.field) from None
        return dataclasses.replace(cmd, body=body)

    def _unseal_snapshot(self, cmd: p.Command) -> p.Command:
        lists: dict[str, list[dict[str, Any]]] = {}
        for list_name, secret in p.SNAPSHOT_SECRETS.items():
            entries = []
            for i, entry in enumerate(getattr(cmd.body, list_name)):
                entry = dict(entry)
                token = entry.pop("sealed", {}).get(secret)
                if token is not None:
                    entry[secret] = self._open(cmd, p.snapshot_seal_field(list_name, i), token)
                entries.append(entry)
            lists[list_name] = entries
        return dataclasses.replace(cmd, body=dataclasses.replace(cmd.body, **lists))

    def _open(self, cmd: p.Command, name: str, token: str) -> str:
        if self._seal_key is None:
            raise p.CommandRejected(
                p.RejectCode.BAD_SEAL,
                "this terminal has no sealing key ([link] seal_key): re-enrol it with `posctl "
                "terminal enroll` and install the new bundle",
                "body.sealed",
            )
        if cmd.target.terminal is None:
            raise p.CommandRejected(
                p.RejectCode.BAD_SEAL,
                "sealed fields are sealed to one terminal, but the command is for the whole store",
                "target.terminal",
            )
        ad = sealing.associated_data(
            command_id=cmd.id,
            store=cmd.target.store,
            terminal=cmd.target.terminal,
            type=cmd.type,
            field=name,
        )
        try:
            return sealing.open_sealed(self._seal_key, token, ad)
        except sealing.SealError as exc:
            raise p.CommandRejected(
                p.RejectCode.BAD_SEAL, str(exc), f"body.sealed.{name}"
            ) from None

    def _apply(self, cmd: p.Command, handler: Handler, size: int, topic: str | None) -> p.Reply:
        # The handler's writes and the command.applied entry commit together or not at all, so
        # a command refused halfway (the last quick key unknown, a price SQLite cannot hold)
        # leaves no trace but its rejection.
        batch = getattr(self._ledger, "batch", None)
        try:
            with batch() if batch is not None else contextlib.nullcontext():
                result = handler(cmd.body)
                try:
                    p.canonical_json(result)
                except p.ValidationError:
                    log.error("handler for %s returned a non-JSON result", cmd.type)
                    result = None
                self._ledger.post(APPLIED, cmd.summary(), staff_id=None)
        except (PosError, PermissionDenied, ApprovalRequired, ValueError, LookupError) as exc:
            code = getattr(exc, "code", None)
            message = str(exc) if not isinstance(code, str) else f"{exc} ({code})"
            field_path = exc.field if isinstance(exc, p.ValidationError) else None
            return self._reject(cmd, cmd.id, p.RejectCode.INVALID, message, field_path, size, topic)
        except LedgerError as exc:
            return self._reject(cmd, cmd.id, p.RejectCode.FAILED, str(exc), None, size, topic)
        except Exception as exc:
            log.exception("handler for %s failed", cmd.type)
            return self._reject(
                cmd, cmd.id, p.RejectCode.FAILED, f"{type(exc).__name__}: {exc}", None, size, topic
            )
        self._applied.add(cmd.id)
        key = (cmd.signer, cmd.target.scope)
        self._last_seq[key] = max(self._last_seq.get(key, 0), cmd.seq)
        if len(self._results) >= _DONE_CACHE:
            self._results.pop(next(iter(self._results)))
        self._results[cmd.id] = result
        self.stats["applied"] += 1
        return p.Reply.done(cmd.id, self.terminal_id, result, self._ts())

    def _reject(
        self,
        cmd: p.Command | None,
        command_id: str | None,
        code: p.RejectCode,
        message: str,
        field_path: str | None,
        size: int,
        topic: str | None,
    ) -> p.Reply:
        message = _clip(_printable(message))
        self.stats["rejected"] += 1
        record: dict[str, Any] = {
            "code": code.value,
            "message": message,
            "field": field_path,
            "size": size,
            "topic": topic,
        }
        if cmd is not None:
            record.update(cmd.summary())
        else:
            record["id"] = command_id
        try:
            self._ledger.post(REJECTED, record, staff_id=None)
        except Exception as exc:
            # Counted and logged: the reply still goes out, and the loop goes on.
            self.stats["unjournaled"] += 1
            log.error("rejection of %s not journaled: %s", command_id, exc)
        return p.Reply.failed(command_id, self.terminal_id, code, message, field_path, self._ts())

    def _ts(self) -> str:
        return p.format_time(self._clock.now())
