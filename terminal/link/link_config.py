"""The relay's ``[link]`` settings: ``LinkConfig`` built and checked from the configuration
section, and ``LinkConfigError`` naming the key that is unusable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from terminal.link import protocol as p

DEFAULT_EVENTS_PER_MESSAGE = 50
"""Measured with bench/link.py (100,000 queued events, local mosquitto, 2 cores): one event per
message drains at 0.65-0.96 times the rate of a raw paho QoS 1 loop (3,200-4,900 events/s),
50 per message at 17,000-21,700 events/s, because paho's, the broker's and the collector's cost
is mostly per message, not per event. While selling, a batch
holds whatever is pending, usually one event, so batching adds no delay."""


class LinkConfigError(ValueError):
    """A [link] setting is unusable; the message names the key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"[link] {key}: {message}")
        self.key = key


@dataclass(frozen=True, slots=True)
class LinkConfig:
    host: str
    port: int
    store_id: str
    terminal_id: str
    ca: str = ""
    cert: str = ""
    key: str = ""
    """Client certificate and key; with ``ca`` empty the connection is plain TCP (tests and a
    broker on the same machine only)."""
    owner_keys: tuple[str, ...] = ()
    keepalive: int = 30
    window: int = 1000
    """Events sent but not yet acknowledged by the collector."""
    batch: int = 500
    """Outbox rows read per query."""
    events_per_message: int = DEFAULT_EVENTS_PER_MESSAGE
    """More than 1 sends events in batches (a JSON array per message, see
    ``protocol.decode_events``, which every collector reads)."""
    max_inflight: int = 20
    """QoS 1 messages awaiting the broker's PUBACK; lowered to the broker's Receive Maximum
    (mosquitto's max_inflight_messages, 20 by default) when that is smaller."""
    ack_timeout: float = 30.0
    """Seconds without an ack before an event is sent again."""
    status_interval: float = 60.0
    backoff_min: float = 0.5
    backoff_max: float = 60.0
    session_expiry: int = 7 * 24 * 3600
    """How long the broker keeps this terminal's subscriptions and queued commands while it is
    offline."""
    client_id: str = ""
    version: str = ""

    @classmethod
    def from_section(
        cls,
        section: Mapping[str, Any],
        *,
        terminal_id: str,
        store_id: str | None = None,
        version: str = "",
    ) -> LinkConfig:
        """Build from the ``[link]`` section (a mapping); unknown keys are ignored, bad values
        raise LinkConfigError naming the key."""
        store = store_id if store_id is not None else section.get("store", "")
        try:
            p.check_id(store, "store")
        except p.ValidationError as exc:
            raise LinkConfigError("store", exc.message) from None
        try:
            p.check_id(terminal_id, "terminal")
        except p.ValidationError as exc:
            raise LinkConfigError("terminal id", exc.message) from None
        kwargs: dict[str, Any] = {"store_id": store, "terminal_id": terminal_id}
        for f, kind in (
            ("host", str),
            ("port", int),
            ("ca", str),
            ("cert", str),
            ("key", str),
            ("keepalive", int),
            ("window", int),
            ("batch", int),
            ("max_inflight", int),
            ("events_per_message", int),
            ("ack_timeout", float),
            ("status_interval", float),
            ("backoff_min", float),
            ("backoff_max", float),
            ("session_expiry", int),
            ("client_id", str),
        ):
            if f not in section:
                continue
            value = section[f]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise LinkConfigError(f, f"must be {kind.__name__}, got {value!r}")
            kwargs[f] = value
        keys = section.get("owner_keys", ())
        if not isinstance(keys, list | tuple) or not all(isinstance(k, str) for k in keys):
            raise LinkConfigError("owner_keys", "must be a list of strings")
        for i, k in enumerate(keys):
            try:
                p.load_public_key(k)
            except ValueError as exc:
                raise LinkConfigError(f"owner_keys[{i}]", str(exc)) from None
        kwargs["owner_keys"] = tuple(keys)
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("port", 8883)
        cfg = cls(**kwargs, version=version)
        cfg.check()
        return cfg

    def check(self) -> None:
        if not 1 <= self.port <= 65535:
            raise LinkConfigError("port", "must be 1-65535")
        if not 1 <= self.window <= 50_000:
            # MQTT message ids are 16 bits: paho cannot track more messages than that.
            raise LinkConfigError("window", "must be 1-50000")
        if not 1 <= self.events_per_message <= p.MAX_BATCH_EVENTS:
            raise LinkConfigError("events_per_message", f"must be 1-{p.MAX_BATCH_EVENTS}")
        if self.max_inflight < 1:
            raise LinkConfigError("max_inflight", "must be at least 1")
        if self.batch < 1:
            raise LinkConfigError("batch", "must be at least 1")
        if self.ack_timeout <= 0:
            raise LinkConfigError("ack_timeout", "must be positive")
        if not 0 < self.backoff_min <= self.backoff_max:
            raise LinkConfigError("backoff_min", "must be positive and <= backoff_max")
        if bool(self.cert) != bool(self.key):
            raise LinkConfigError("cert", "cert and key go together")
        if self.cert and not self.ca:
            raise LinkConfigError("ca", "a client certificate needs the CA file")

    def trusted_keys(self) -> p.TrustedKeys:
        return p.TrustedKeys(self.owner_keys)
