"""The relay's small types: the outbox it drains, an event in flight, and its counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import paho.mqtt.client as mqtt


class OutboxLike(Protocol):
    """``terminal.ledger.outbox.Outbox``."""

    def pending(self, limit: int, after_seq: int = 0) -> list[Any]: ...

    def acknowledge(self, seqs: Any) -> int: ...

    def depth(self) -> int: ...

    def requeue_from(self, seq: int) -> int: ...


@dataclass(slots=True)
class _Flight:
    body: bytes
    sent_at: float
    copy: mqtt.MQTTMessageInfo | None = None
    """The last MQTT message carrying this event; paho holds it until the broker's PUBACK."""


@dataclass(slots=True)
class RelayStats:
    """Counters for status screens, tests and benches (read from any thread; approximate)."""

    connected: bool = False
    connects: int = 0
    published: int = 0
    resent: int = 0
    acked: int = 0
    acked_upto: int = 0
    in_flight: int = 0
    commands: int = 0
    last_error: str = ""
    ack_errors: int = 0
    restarts: int = 0
    """Times the loop hit an unexpected error and started over with a fresh connection."""
    dropped_commands: int = 0
    """Command messages that got no reply (the reply could not be built or published)."""
    extra: dict[str, Any] = field(default_factory=dict)
