"""The collector: takes every terminal's events off the broker, stores each once in the central
database, acknowledges them, and asks terminals to resend what is missing.

- Events arrive through the MQTT 5 shared subscription ``$share/collectors/pos/v1/+/+/events``,
  so any number of collectors split the stream; the database's unique (terminal, seq) makes a
  redelivered or resent event a no-op, whichever collector gets it.
- MQTT acknowledgements are manual: an event is PUBACKed to the broker only after the
  transaction holding it has committed, so a collector killed mid-batch leaves its messages to
  be redelivered.
- After each batch the collector publishes an :class:`~terminal.link.protocol.Ack` per terminal:
  ``upto`` = highest contiguous sequence stored, ``seqs`` = stored events beyond a hole. The
  terminal deletes acknowledged rows from its outbox.
- A hole (a sequence number missing below the highest stored) that stays open for
  ``gap_grace`` seconds gets a resend request: an Ack with ``resend_from``. The collector holds
  no owner signing key, so it never sends signed commands; the ack topic is writable only by
  collector identities (see ``provisioning.broker``). A hole that survives a resend for
  ``gap_skip_after`` seconds while the terminal is online with an empty outbox is an entry the
  terminal never sends (a training-mode entry) or has lost: it is recorded as a
  ``collector.gap_skipped`` alert and the contiguous mark moves past it.
- An event that cannot be stored (unreadable, or holding what the database cannot: see
  ``rejects``) is kept in ``rejected_events`` with its reason, raised as a
  ``collector.event_rejected`` alert and acknowledged; the rest of its batch is stored.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from provisioning.collector import rejects
from provisioning.collector.db import CentralDB
from provisioning.collector.events import Event
from provisioning.collector.rejects import Rejected
from terminal.link import protocol as wire

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    host: str
    port: int
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    client_id: str = "collector"
    """Ignored by a broker with ``use_username_as_clientid`` (it uses the certificate CN)."""
    keepalive: int = 30

    def tls_context(self) -> ssl.SSLContext | None:
        if self.ca is None:
            return None
        ctx = ssl.create_default_context(cafile=str(self.ca))
        if self.cert is not None:
            ctx.load_cert_chain(str(self.cert), str(self.key) if self.key else None)
        return ctx


@dataclass(slots=True)
class CollectorStats:
    received: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    acks_sent: int = 0
    resend_requests: int = 0
    gaps_skipped: int = 0
    store_failures: int = 0
    last_error: str = ""


@dataclass(slots=True)
class _Gap:
    contiguous: int
    seen_at: float
    requested_at: float | None = None


@dataclass(frozen=True, slots=True)
class _Incoming:
    """One message, already decoded on the network thread (so decoding overlaps with the
    writer's commits): its events (one, or a batch), a status, or nothing when it was
    rejected."""

    events: list[Event]
    rejected: list[Rejected]
    status: tuple[tuple[str, str], wire.Status] | None
    mid: int
    qos: int


@dataclass(slots=True)
class _Batch:
    events: list[Event] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    acks: list[tuple[int, int]] = field(default_factory=list)
    """(mid, qos) to PUBACK once the batch is committed."""


class Collector:
    def __init__(
        self,
        db: CentralDB,
        broker: BrokerConfig,
        *,
        group: str = wire.COLLECTOR_GROUP,
        batch_max: int = 1000,
        batch_wait: float = 0.02,
        gap_grace: float = 2.0,
        gap_skip_after: float = 120.0,
        tick: float = 0.5,
        session_expiry: int = 0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.broker = broker
        self.group = group
        self.batch_max = batch_max
        self.batch_wait = batch_wait
        self.gap_grace = gap_grace
        self.gap_skip_after = gap_skip_after
        self.tick = tick
        self.session_expiry = session_expiry
        self._mono = monotonic
        self.stats = CollectorStats()
        self._queue: queue.Queue[_Incoming] = queue.Queue()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._writer: threading.Thread | None = None
        self._gaps: dict[tuple[str, str], _Gap] = {}
        self._client = self._make_client()

    # --- MQTT ----------------------------------------------------------------------------------
    def _make_client(self) -> mqtt.Client:
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.broker.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        ctx = self.broker.tls_context()
        if ctx is not None:
            c.tls_set_context(ctx)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        c.reconnect_delay_set(min_delay=1, max_delay=30)
        return c

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any):
        if rc.is_failure:
            self.stats.last_error = f"connect refused: {rc}"
            log.error("collector: broker refused the connection: %s", rc)
            return
        self._connected.set()
        # Subscribing on every connect: a clean session (or a broker that lost its state)
        # would otherwise leave the collector connected but deaf.
        client.subscribe(
            [
                (wire.shared(wire.EVENTS_FILTER, self.group), 1),
                (wire.STATUS_FILTER, 1),
            ]
        )

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, rcs: Any, props: Any):
        bad = [str(r) for r in rcs if r.is_failure]
        if bad:
            self.stats.last_error = f"subscription refused: {', '.join(bad)}"
            log.error("collector: %s (check the broker ACL for this identity)", bad)
        else:
            self._subscribed.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any):
        self._connected.clear()
        self._subscribed.clear()
        if not self._stop.is_set():
            log.warning("collector: disconnected (%s); reconnecting", rc)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.stats.received += 1
        # paho types the payload as bytes | bytearray; bytes() of a bytes object is that object.
        events, rejected, status = self._decode(msg.topic, bytes(msg.payload))
        self._queue.put(_Incoming(events, rejected, status, msg.mid, msg.qos))

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self, wait: float = 10.0) -> Collector:
        """Connect, subscribe and start storing; returns once subscribed (or raises)."""
        self.db.create()
        self._stop.clear()
        self._writer = threading.Thread(target=self._run, name="collector-writer", daemon=True)
        self._writer.start()
        props = Properties(PacketTypes.CONNECT)
        # A session that outlives its collector stays a member of the shared subscription and
        # keeps taking its share of the events into a queue nobody reads. By default the session
        # ends with the connection, so the other collectors get everything at once; what was in
        # flight to a dead collector comes again from the terminals, which re-send unacknowledged
        # events. A lone collector may keep its session to have the broker queue events while it
        # restarts.
        props.SessionExpiryInterval = self.session_expiry
        self._client.connect_async(
            self.broker.host,
            self.broker.port,
            keepalive=self.broker.keepalive,
            clean_start=self.session_expiry == 0,
            properties=props,
        )
        self._client.loop_start()
        if wait and not self._subscribed.wait(wait):
            err = self.stats.last_error or "no answer from the broker"
            self.stop()
            raise ConnectionError(
                f"collector could not subscribe at {self.broker.host}:{self.broker.port}: {err}"
            )
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._writer is not None:
            self._writer.join(10)
            self._writer = None
        self._client.disconnect()
        self._client.loop_stop()
        self.db.close()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # --- the writer thread -------------------------------------------------------------------
    def _run(self) -> None:
        last_tick = self._mono()
        try:
            while not self._stop.is_set():
                batch, statuses = self._collect()
                if batch.events or batch.rejected or batch.acks:
                    self._store(batch)
                for terminal, status in statuses:
                    self._status(terminal, status)
                now = self._mono()
                if now - last_tick >= self.tick:
                    last_tick = now
                    try:
                        self._check_gaps(now)
                    except Exception as exc:  # a database hiccup must not end the writer
                        self.stats.last_error = f"gap check failed: {exc}"
                        log.exception("collector: gap check failed")
        finally:
            # peewee connections are per thread: this one is closed by the thread that used it.
            self.db.close()

    def _collect(self) -> tuple[_Batch, list[tuple[tuple[str, str], wire.Status]]]:
        batch = _Batch()
        statuses: list[tuple[tuple[str, str], wire.Status]] = []
        try:
            first = self._queue.get(timeout=min(self.tick, 0.2))
        except queue.Empty:
            return batch, statuses
        deadline = self._mono() + self.batch_wait
        item: _Incoming | None = first
        while item is not None:
            batch.events.extend(item.events)
            batch.rejected.extend(item.rejected)
            if item.status is not None:
                statuses.append(item.status)
            if item.qos > 0:
                batch.acks.append((item.mid, item.qos))
            if len(batch.events) >= self.batch_max:
                break
            try:
                remaining = deadline - self._mono()
                item = (
                    self._queue.get(timeout=remaining)
                    if remaining > 0
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                item = None
        return batch, statuses

    def _decode(
        self, topic: str, payload: bytes
    ) -> tuple[list[Event], list[Rejected], tuple[tuple[str, str], wire.Status] | None]:
        try:
            info = wire.parse_topic(topic)
            if info.kind == "events":
                return (*self._decode_events(info, payload), None)
            if info.kind == "status":
                if not payload:  # a cleared retained status
                    return [], [], None
                return [], [], ((info.store, str(info.terminal)), wire.decode_status(payload))
            raise wire.ValidationError("topic", f"not a collector topic: {topic}")
        except (wire.ValidationError, ValueError, TypeError, RecursionError) as exc:
            # PUBACKed all the same: a malformed message will not get better by redelivery, and
            # holding it would block the session.
            self.stats.rejected += 1
            log.warning("collector: rejected message on %s: %s", topic, exc)
            return [], [], None

    def _decode_events(
        self, info: wire.TopicInfo, payload: bytes
    ) -> tuple[list[Event], list[Rejected]]:
        """Each event of the message on its own: one bad event in a batch is kept aside as
        rejected and the others go on to be stored."""
        key = (info.store, str(info.terminal))
        try:
            obj = wire.loads(payload, max_bytes=wire.MAX_BATCH_BYTES)
            items = obj if isinstance(obj, list) else [obj]
            if not items or len(items) > wire.MAX_BATCH_EVENTS:
                raise wire.ValidationError(
                    "$", f"a batch holds 1 to {wire.MAX_BATCH_EVENTS} events"
                )
            if not isinstance(obj, list) and len(payload) > wire.MAX_EVENT_BYTES:
                raise wire.ValidationError("$", f"an event is at most {wire.MAX_EVENT_BYTES} bytes")
        except (wire.ValidationError, ValueError, TypeError, RecursionError) as exc:
            self.stats.rejected += 1
            reason = f"unreadable message: {exc}"[:500]
            return [], [Rejected(*key, None, reason, rejects.raw_bytes(payload))]
        events: list[Event] = []
        bad: list[Rejected] = []
        for i, item in enumerate(items):
            try:
                events.append(self._event(info, self._wire_event(item, f"[{i}]")))
            except (wire.ValidationError, ValueError, TypeError, OverflowError) as exc:
                self.stats.rejected += 1
                # Its seq counts as delivered (acknowledged, so the terminal moves on) only when
                # the event speaks for the terminal whose topic it came on.
                own = isinstance(item, dict) and item.get("terminal") == info.terminal
                seq = rejects.storable_seq(item.get("seq")) if own else None
                bad.append(Rejected(*key, seq, str(exc)[:500], rejects.raw_text(item)))
        return events, bad

    @staticmethod
    def _wire_event(obj: Any, path: str) -> wire.Event:
        if isinstance(obj, dict) and "v" in obj and obj["v"] != wire.PROTOCOL_VERSION:
            raise wire.ValidationError(f"{path}.v", f"unsupported protocol version {obj['v']!r}")
        ev = wire.from_json(wire.Event, obj, path)
        assert isinstance(ev, wire.Event)
        return ev

    @staticmethod
    def _event(info: wire.TopicInfo, ev: wire.Event) -> Event:
        if ev.terminal != info.terminal:
            # The ACL ties the topic to the publisher; a body naming another terminal is forged
            # or broken either way.
            raise wire.ValidationError("terminal", "does not match the topic")
        entry = ev.entry
        if not isinstance(entry, dict):
            raise wire.ValidationError("entry", "must be an object")
        if entry.get("seq") != ev.seq:
            raise wire.ValidationError("entry.seq", "does not match the event's seq")
        if entry.get("terminal_id", ev.terminal) != ev.terminal:
            raise wire.ValidationError("entry.terminal_id", "does not match the topic")
        return Event.from_mapping(info.store, ev.terminal, {**entry, "kind": ev.kind})

    def _store(self, batch: _Batch) -> None:
        try:
            has_events = batch.events or batch.rejected
            result = self.db.store(batch.events, batch.rejected) if has_events else None
        except Exception as exc:
            # Nothing is PUBACKed. The unacknowledged messages would hold the broker's in-flight
            # slots for good, so the connection starts over; what they carried comes again
            # (from the kept session, or from the terminals, which re-send unacknowledged
            # events).
            self.stats.last_error = f"store failed: {exc}"
            self.stats.store_failures += 1
            log.exception("collector: store failed; reconnecting so the events come again")
            self._restart_connection()
            return
        for mid, qos in batch.acks:
            self._client.ack(mid, qos)
        if result is None:
            return
        self.stats.inserted += result.inserted
        self.stats.duplicates += result.duplicates
        # Rejected events are acknowledged like stored ones, so the sender moves on.
        self.stats.rejected += len(result.rejected) - len(batch.rejected)
        for r in result.rejected:
            log.warning(
                "collector: rejected event %s/%s seq %s: %s",
                r.store_id,
                r.terminal_id,
                r.seq,
                r.reason,
            )
        beyond: dict[tuple[str, str], set[int]] = {}
        done = [(ev.store_id, ev.terminal_id, ev.seq) for ev in batch.events]
        done += [(r.store_id, r.terminal_id, r.seq) for r in result.rejected if r.seq]
        for store_id, terminal_id, seq in done:
            key = (store_id, terminal_id)
            if (
                key in result.contiguous
                and rejects.storable_seq(seq)
                and seq > result.contiguous[key]
            ):
                beyond.setdefault(key, set()).add(seq)
        for key, upto in result.contiguous.items():
            self._send_ack(
                key[0],
                wire.Ack(terminal=key[1], upto=upto, seqs=sorted(beyond.get(key, ()))),
            )

    def _restart_connection(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        # Drop what was queued on the old connection: its PUBACKs would go nowhere.
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        delay = 0.5
        while not self._stop.is_set():
            try:
                self._client.reconnect()
                break
            except OSError as exc:
                self.stats.last_error = f"reconnect failed: {exc}"
                self._stop.wait(delay)
                delay = min(delay * 2, 30.0)
        self._client.loop_start()

    def _send_ack(self, store: str, ack: wire.Ack) -> None:
        self._client.publish(wire.ack_topic(store, ack.terminal), wire.encode_ack(ack), qos=1)
        self.stats.acks_sent += 1

    def _status(self, key: tuple[str, str], status: wire.Status) -> None:
        try:
            self.db.set_status(key[0], key[1], wire.to_json(status))
        except Exception as exc:
            self.stats.last_error = f"status store failed: {exc}"
            log.exception("collector: could not store a status")

    # --- gaps --------------------------------------------------------------------------------
    def _check_gaps(self, now: float) -> None:
        open_gaps = self.db.gaps()
        for key in list(self._gaps):
            if key not in open_gaps or open_gaps[key][0] != self._gaps[key].contiguous:
                del self._gaps[key]
        for key, (contiguous, _max_seq) in open_gaps.items():
            gap = self._gaps.get(key)
            if gap is None:
                self._gaps[key] = _Gap(contiguous, now)
                continue
            if gap.requested_at is None:
                if now - gap.seen_at >= self.gap_grace:
                    self._request_resend(key, contiguous + 1)
                    gap.requested_at = now
            elif now - gap.requested_at >= self.gap_skip_after and self._drained(key):
                moved = self.db.skip_gap(key[0], key[1], contiguous)
                if moved is not None:
                    self.stats.gaps_skipped += 1
                    del self._gaps[key]
                    self._send_ack(key[0], wire.Ack(terminal=key[1], upto=moved))

    def _request_resend(self, key: tuple[str, str], seq: int) -> None:
        self._send_ack(key[0], wire.Ack(terminal=key[1], upto=seq - 1, resend_from=seq))
        self.stats.resend_requests += 1
        log.info("collector: asked %s/%s to resend from %d", key[0], key[1], seq)

    def _drained(self, key: tuple[str, str]) -> bool:
        """The terminal says it is online with nothing left to send."""
        st = self.db.state(*key)
        s = (st or {}).get("status") or {}
        return s.get("state") == "online" and not s.get("outbox_depth")
