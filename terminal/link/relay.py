"""The outbox relay: one MQTT 5 connection per terminal, on its own thread.

It drains the ledger outbox to the terminal's events topic in sequence order at QoS 1, keeping
at most ``window`` events sent but not yet acknowledged by the collector. An event leaves the
outbox only when the collector's ack names it, so nothing is lost across restarts of the
terminal, the broker or the collector: events without an ack are sent again after
``ack_timeout`` and after every reconnect (the collector stores by terminal and sequence, so a
second copy changes nothing there).

It also keeps the retained status message (online with version, last sequence, outbox depth and
device health; offline through the MQTT last will when the terminal vanishes), reconnects with
jittered exponential back-off, and hands owner commands to the :class:`Intake`, publishing each
reply on the command's MQTT 5 response topic with its correlation data.

All MQTT work, outbox reads and acknowledgements happen on the relay's thread, which drives
paho's ``loop()`` itself, so callbacks and the drain never race. ``wake()`` is the only call
other threads make, and it never blocks.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from terminal.core.ports import Clock, Ledger
from terminal.link import protocol as p
from terminal.link.backoff import backoff_delays
from terminal.link.intake import Intake
from terminal.link.link_config import DEFAULT_EVENTS_PER_MESSAGE, LinkConfig, LinkConfigError
from terminal.link.relay_state import OutboxLike, RelayStats, _Flight

# The [link] settings and the back-off have their own modules; what imports them from the relay
# keeps working.
__all__ = [
    "DEFAULT_EVENTS_PER_MESSAGE",
    "LinkConfig",
    "LinkConfigError",
    "OutboxLike",
    "Relay",
    "RelayStats",
    "backoff_delays",
]

log = logging.getLogger(__name__)


class Relay:
    def __init__(
        self,
        config: LinkConfig,
        *,
        ledger: Ledger,
        outbox: OutboxLike,
        clock: Clock,
        intake: Intake | None = None,
        health: Callable[[], Mapping[str, str]] | None = None,
        rng: random.Random | None = None,
        tick: float = 0.05,
    ) -> None:
        self.config = config
        self._ledger = ledger
        self._outbox = outbox
        # ``clock`` stamps messages; network timers (ack timeout, status interval) run on real
        # monotonic time, so a test or demo clock that stands still cannot stall delivery.
        self._clock = clock
        self._intake = intake
        self.intake = intake
        """The command intake (None: this relay takes no commands)."""
        self._health = health or (lambda: {})
        self._delay = backoff_delays(config.backoff_min, config.backoff_max, rng or random.Random())
        self._tick = tick
        self.stats = RelayStats()
        self.connected = threading.Event()
        """Set while a session with the broker is up and subscribed (for tests and status
        screens)."""

        self._events_topic = p.events_topic(config.store_id, config.terminal_id)
        self._status_topic = p.status_topic(config.store_id, config.terminal_id)
        self._reply_topic = p.reply_topic(config.store_id, config.terminal_id)
        self._ack_topic = p.ack_topic(config.store_id, config.terminal_id)
        self._cmd_topics = (
            p.command_topic(config.store_id, config.terminal_id),
            p.store_command_topic(config.store_id),
        )

        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wakeup = threading.Event()
        self._client: mqtt.Client | None = None
        self._session = False
        self._attempt = 0
        self._flights: OrderedDict[int, _Flight] = OrderedDict()
        self._cursor = 0
        self._more = True
        self._rewind: int | None = None
        self._next_status = 0.0
        self._next_poll = 0.0
        self._inflight_limit = config.max_inflight
        self._sub_mid: int | None = -1
        self._first = True
        if intake is not None:
            intake.register("resend.from", self._resend_from)

    # --- public ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the relay is already running")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="link-relay", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """New outbox rows were committed: drain soon. Never blocks (``ports.Link``)."""
        self._wakeup.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Publish the offline status, disconnect cleanly (so the last will is not sent) and end
        the thread. Unacknowledged events stay in the outbox for the next start."""
        if self._thread is None:
            return
        self._stopping.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("link relay thread did not stop within %.1f s", timeout)
        self._thread = None

    # --- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        # The watchdog: whatever goes wrong in one turn (a ledger error, a broken callback, a
        # bug), the client is thrown away and a fresh one connects after a pause, so the link
        # never stays down until a restart.
        try:
            while not self._stopping.is_set():
                try:
                    self._turn()
                except Exception as exc:
                    log.exception("link relay error")
                    self.stats.restarts += 1
                    self._lost(f"{type(exc).__name__}: {exc}")
                    self._discard_client()
                    self._back_off()
            if self._client is not None:
                self._goodbye(self._client)
        finally:
            self.connected.clear()
            self.stats.connected = False

    def _turn(self) -> None:
        """One pass of the loop: (re)connect when the socket is gone, run paho, drain."""
        client = self._client
        if client is None:
            client = self._client = self._make_client()
            self._first = True
        if not self._socket_open(client):
            try:
                self._open(client, self._first)
                self._first = False
            except (OSError, ssl.SSLError, ValueError) as exc:
                self._note_error(f"connect failed: {exc}")
                self._back_off()
                return
        rc = client.loop(timeout=self._tick)
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._lost(f"connection lost ({mqtt.error_string(rc)})")
            self._back_off()
            return
        if self._session:
            self._pump()

    def _discard_client(self) -> None:
        client, self._client = self._client, None
        self._session = False
        self._sub_mid = -1
        # Copies queued in the old client will never be sent: let the ack timeout re-send
        # those events through the next one.
        for f in self._flights.values():
            f.copy = None
        if client is None:
            return
        try:
            sock = client.socket()
            if sock is not None:
                sock.close()
        except OSError:
            pass

    def _socket_open(self, client: mqtt.Client) -> bool:
        sock = client.socket()
        if sock is None:
            return False
        try:
            return sock.fileno() != -1
        except (OSError, ValueError):
            return False

    def _make_client(self) -> mqtt.Client:
        cfg = self.config
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id or f"pos-{cfg.store_id}-{cfg.terminal_id}",
            protocol=mqtt.MQTTv5,
        )
        if cfg.ca:
            client.tls_set(
                ca_certs=cfg.ca,
                certfile=cfg.cert or None,
                keyfile=cfg.key or None,
                cert_reqs=ssl.CERT_REQUIRED,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def _open(self, client: mqtt.Client, first: bool) -> None:
        # The will is sent with each CONNECT: refresh it so its time is this connection's.
        client.will_set(
            self._status_topic,
            p.encode_status(self._status("offline", reason="lost", full=False)),
            qos=1,
            retain=True,
        )
        if client.max_inflight_messages != self._inflight_limit:
            client.max_inflight_messages_set(self._inflight_limit)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.config.session_expiry
        if first:
            # The broker keeps the session (subscriptions, commands queued while this terminal
            # was offline) for session_expiry seconds, so never start clean.
            client.connect(
                self.config.host,
                self.config.port,
                keepalive=self.config.keepalive,
                clean_start=False,
                properties=props,
            )
        else:
            client.reconnect()

    def _back_off(self) -> None:
        wait = self._delay(self._attempt)
        self._attempt += 1
        self._stopping.wait(wait)

    def _note_error(self, message: str) -> None:
        if message != self.stats.last_error:
            log.warning("link: %s", message)
        self.stats.last_error = message

    def _lost(self, why: str) -> None:
        self._note_error(why)
        self._session = False
        self.connected.clear()
        self.stats.connected = False

    # --- callbacks (run inside client.loop on this thread) -----------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: Any,
        reason_code: Any,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            self._note_error(f"broker refused the connection: {reason_code}")
            return
        recv_max = getattr(properties, "ReceiveMaximum", None) if properties else None
        if recv_max is not None and recv_max < self._inflight_limit:
            # paho does not honour the broker's Receive Maximum by itself, and going over it
            # makes the broker drop the connection; paho also cannot change the limit on an open
            # connection, so reconnect with the broker's figure.
            log.warning("link: broker accepts %d messages in flight, reconnecting", recv_max)
            self._inflight_limit = recv_max
            client.disconnect()
            return
        self._session = True
        self._attempt = 0
        self.stats.connects += 1
        self.stats.connected = True
        self.stats.last_error = ""
        topics = [(self._ack_topic, 1)]
        if self._intake is not None:
            topics += [(t, 1) for t in self._cmd_topics]
        self._sub_mid = client.subscribe(topics)[1]
        now = time.monotonic()
        # Whatever was in flight may have died with the old connection: start every timer
        # again, and let the timeout re-send what the collector never acknowledges.
        for f in self._flights.values():
            f.sent_at = now
        self._more = True
        self._next_status = 0.0

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: Any,
        properties: Properties | None,
    ) -> None:
        if mid != self._sub_mid:
            return
        failed = [str(rc) for rc in reason_codes if rc.is_failure]
        if failed:
            # The ACL refuses a subscription: acks or commands will never arrive. Keep sending
            # (the outbox stays until acked) but say so.
            self._note_error(f"subscriptions refused: {', '.join(failed)}")
        self.connected.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: Any,
        reason_code: Any,
        properties: Properties | None,
    ) -> None:
        self._lost(f"disconnected: {reason_code}")

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == self._ack_topic:
            self._on_ack(bytes(msg.payload))
        elif msg.topic in self._cmd_topics and self._intake is not None:
            self._on_command(client, msg)

    def _on_ack(self, payload: bytes) -> None:
        try:
            ack = p.decode_ack(payload)
        except Exception as exc:
            # Anyone allowed on the ack topic could send anything: count it, never fail on it.
            self.stats.ack_errors += 1
            log.warning("link: unreadable ack ignored: %s", exc)
            return
        if ack.terminal != self.config.terminal_id:
            self.stats.ack_errors += 1
            return
        done = [s for s in self._flights if s <= ack.upto]
        extra = set(ack.seqs)
        done += [s for s in extra if s in self._flights and s > ack.upto]
        # Listed seqs not in flight (an earlier copy's ack) are acknowledged too, but never one
        # this run has not sent yet: an ack cannot make the terminal forget an unsent event.
        removable = set(done) | {s for s in extra if s <= self._cursor}
        if removable:
            self._outbox.acknowledge(sorted(removable))
        for s in done:
            self._flights.pop(s, None)
        self.stats.acked += len(done)
        self.stats.acked_upto = max(self.stats.acked_upto, ack.upto)
        self.stats.in_flight = len(self._flights)
        self._more = True
        if ack.resend_from is not None:
            self._outbox.requeue_from(ack.resend_from)
            self._rewind_to(ack.resend_from)

    def _on_command(self, client: mqtt.Client, msg: mqtt.MQTTMessage) -> None:
        self.stats.commands += 1
        try:
            self._answer(client, msg)
        except Exception:
            # The intake answers everything; this is the last line, so one message can never
            # take the connection down with it.
            self.stats.dropped_commands += 1
            log.exception("link: command on %s dropped without a reply", msg.topic)

    def _answer(self, client: mqtt.Client, msg: mqtt.MQTTMessage) -> None:
        assert self._intake is not None
        reply = self._intake.handle(msg.payload, topic=msg.topic)
        props = Properties(PacketTypes.PUBLISH)
        topic = self._reply_topic
        incoming = msg.properties
        if incoming is not None:
            rt = getattr(incoming, "ResponseTopic", None)
            if isinstance(rt, str) and (
                rt == self._reply_topic or rt.startswith(self._reply_topic + "/")
            ):
                topic = rt
            cd = getattr(incoming, "CorrelationData", None)
            if cd is not None:
                props.CorrelationData = cd
        props.MessageExpiryInterval = 7 * 24 * 3600
        client.publish(topic, p.encode_reply(reply), qos=1, properties=props)

    # --- resend ------------------------------------------------------------------------------

    def _resend_from(self, body: p.ResendFrom) -> dict[str, Any]:
        added = self._outbox.requeue_from(body.seq)
        self._rewind_to(body.seq)
        return {"requeued": added, "from": body.seq}

    def _rewind_to(self, seq: int) -> None:
        self._rewind = seq if self._rewind is None else min(self._rewind, seq)
        self._more = True

    # --- the drain ---------------------------------------------------------------------------

    def _pump(self) -> None:
        client = self._client
        assert client is not None
        now = time.monotonic()
        if self._rewind is not None:
            self._cursor = min(self._cursor, self._rewind - 1)
            for s in [s for s in self._flights if s >= self._rewind]:
                del self._flights[s]
            self._rewind = None
        self._resend_overdue(client, now)
        if self._wakeup.is_set():
            self._wakeup.clear()
            self._more = True
        if now >= self._next_poll:
            # A safety net for wakes that never came (rows written by another process).
            self._more = True
            self._next_poll = now + 5.0
        if self._more:
            self._fill(client, now)
        if now >= self._next_status:
            self._publish_status(client)
            self._next_status = now + self.config.status_interval

    def _resend_overdue(self, client: mqtt.Client, now: float) -> None:
        deadline = now - self.config.ack_timeout
        overdue = []
        for seq, f in self._flights.items():
            if f.sent_at > deadline:
                break  # flights are kept in send order, so the rest are newer
            # A copy the broker has not taken yet is still in paho's queue (and is re-sent by
            # paho after a reconnect): adding another would only lengthen that queue, and on a
            # slow link every timeout would add a window's worth of copies.
            if f.copy is None or f.copy.is_published():
                overdue.append(seq)
        if not overdue:
            return
        if not self._send(client, overdue):
            return
        for seq in overdue:
            self._flights[seq].sent_at = now
            self._flights.move_to_end(seq)
        self.stats.resent += len(overdue)

    def _fill(self, client: mqtt.Client, now: float) -> None:
        room = self.config.window - len(self._flights)
        if room <= 0:
            self._more = False
            return
        want = min(room, self.config.batch)
        rows = self._outbox.pending(want, after_seq=self._cursor)
        for row in rows:
            body = p.encode_event(self.config.terminal_id, row.seq, row.kind, row.body)
            self._flights[row.seq] = _Flight(body, now)
        if rows and not self._send(client, [r.seq for r in rows]):
            for row in rows:
                del self._flights[row.seq]
            return
        if rows:
            self._cursor = rows[-1].seq
        self.stats.published += len(rows)
        self.stats.in_flight = len(self._flights)
        self._more = len(rows) == want

    def _send(self, client: mqtt.Client, seqs: list[int]) -> bool:
        """Publish these in-flight events in order, at most ``events_per_message`` to a message
        and never more than a collector accepts in one batch."""
        for group in self._groups(seqs):
            if self.config.events_per_message == 1:
                payload = self._flights[group[0]].body
            else:
                payload = p.encode_event_batch(self._flights[s].body for s in group)
            info = client.publish(self._events_topic, payload, qos=1)
            # Without a connection paho keeps a QoS 1 message and sends it after the reconnect.
            if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
                self._note_error(f"publish of seq {group[0]} failed: {mqtt.error_string(info.rc)}")
                return False
            for seq in group:
                self._flights[seq].copy = info
        return True

    def _groups(self, seqs: list[int]) -> list[list[int]]:
        per = self.config.events_per_message
        if per == 1:
            return [[s] for s in seqs]
        # A batch over the collector's size limit would be refused whole, every time it is
        # sent: close a batch early rather than let a few large entries make it too big.
        limit = p.MAX_BATCH_BYTES - 2
        groups: list[list[int]] = []
        group: list[int] = []
        size = 0
        for seq in seqs:
            n = len(self._flights[seq].body) + 1
            if group and (len(group) == per or size + n > limit):
                groups.append(group)
                group, size = [], 0
            group.append(seq)
            size += n
        if group:
            groups.append(group)
        return groups

    # --- status ------------------------------------------------------------------------------

    def _status(self, state: str, *, reason: str = "", full: bool = True) -> p.Status:
        cfg = self.config
        last_seq = depth = None
        health: dict[str, str] = {}
        if full:
            last = self._ledger.last_entry()
            last_seq = last.seq if last is not None else 0
            depth = self._outbox.depth()
            try:
                health = {str(k): str(v) for k, v in self._health().items()}
            except Exception as exc:  # a broken health probe must not take the link down
                health = {"health": f"unknown ({type(exc).__name__})"}
        return p.Status(
            terminal=cfg.terminal_id,
            store=cfg.store_id,
            state=state,  # type: ignore[arg-type]
            version=cfg.version,
            ts=p.format_time(self._clock.now()),
            last_seq=last_seq,
            acked_seq=self.stats.acked_upto if full else None,
            outbox_depth=depth,
            health=health,
            reason=reason,
        )

    def _publish_status(self, client: mqtt.Client) -> None:
        status = self._status("online")
        client.publish(self._status_topic, p.encode_status(status), qos=1, retain=True)

    def publish_status_soon(self) -> None:
        """Device health changed: publish the status on the next tick."""
        self._next_status = 0.0

    def _goodbye(self, client: mqtt.Client) -> None:
        if self._session:
            try:
                info = client.publish(
                    self._status_topic,
                    p.encode_status(self._status("offline", reason="shutdown")),
                    qos=1,
                    retain=True,
                )
                deadline = time.monotonic() + 2.0
                while not info.is_published() and time.monotonic() < deadline:
                    if client.loop(timeout=0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                        break
                client.disconnect()
                client.loop(timeout=0.05)
            except (OSError, ValueError, RuntimeError) as exc:
                log.warning("link: clean shutdown failed: %s", exc)
        self._session = False
        sock = client.socket()
        if sock is not None:
            sock.close()
