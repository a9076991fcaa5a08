"""posctl's connection to the store's broker: signs commands with the owner key, publishes them to
a terminal's command topic with an MQTT 5 response topic and correlation data, and waits for the
terminal's reply.

posctl connects as the ``svc.owner`` identity. Replies come back on
``<reply topic of the terminal>/<session>``, a subtopic only this posctl run listens on, and are
matched by correlation data, so several posctl runs never see each other's answers.
"""

from __future__ import annotations

import queue
import ssl
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from provisioning import owner_slot
from provisioning.broker import broker_address
from provisioning.home import Home
from provisioning.outbox import CommandOutbox, Entry, open_outbox
from terminal.link import protocol as wire
from terminal.link import sealing

KEPT_HINT = (
    "The command is kept in posctl's outbox until the terminal replies: `posctl commands "
    "retry --wait 600` sends it again until it is applied (once, however often it is sent); "
    "`posctl commands list` shows what is waiting."
)


class RemoteError(Exception):
    """The command could not be delivered or was refused; the message says what to do next."""


@dataclass(frozen=True, slots=True)
class Sent:
    id: str
    type: str
    seq: int
    expires_at: datetime
    terminal: str = ""
    payload: bytes = b""


class Remote:
    """One connection to the broker for the length of a posctl command."""

    def __init__(
        self,
        home: Home,
        *,
        host: str | None = None,
        port: int | None = None,
        connect_timeout: float = 10.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.home = home
        store = home.store()
        self.store_id: str = store["store_id"]
        default_host, default_port = broker_address(home)
        self.host = host or default_host
        self.port = port or default_port
        self.connect_timeout = connect_timeout
        self._now = now
        self._signer = wire.Signer.from_pem(home.signing_key_file.read_bytes())
        self._session = uuid.uuid4().hex[:12]
        self._replies: dict[bytes, queue.Queue[wire.Reply]] = {}
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._connect_error = ""
        self._subacks: dict[int, bool] = {}
        self._suback_cv = threading.Condition()
        self._client: mqtt.Client | None = None
        self._listening: set[str] = set()
        self._slot: owner_slot.OwnerSlot | None = None
        self.outbox: CommandOutbox = open_outbox(home.root)
        self.online: set[str] = set()
        """Terminals whose retained status says online (see watch_status)."""
        self.came_online = threading.Event()

    # --- connection -------------------------------------------------------------------------
    def _tls(self, cn: str) -> ssl.SSLContext:
        ident = self.home.identity_dir(cn)
        ctx = ssl.create_default_context(cafile=str(self.home.ca_cert))
        ctx.load_cert_chain(str(ident / "client.crt"), str(ident / "client.key"))
        return ctx

    def connect(self) -> Remote:
        self._slot = owner_slot.claim(self.home)
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"{self._slot.cn}-{self._session}",
            protocol=mqtt.MQTTv5,
        )
        c.tls_set_context(self._tls(self._slot.cn))
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        c.on_disconnect = self._on_disconnect
        self._client = c
        try:
            c.connect(self.host, self.port, keepalive=30, clean_start=True)
        except (OSError, ssl.SSLError) as exc:
            self.close()
            raise RemoteError(
                f"cannot reach the broker at {self.host}:{self.port} ({exc}); check that "
                "mosquitto runs there with the configuration from `posctl broker`, or pass "
                "--broker HOST:PORT"
            ) from exc
        c.loop_start()
        if not self._connected.wait(self.connect_timeout):
            self.close()
            why = self._connect_error or "no answer"
            raise RemoteError(
                f"the broker at {self.host}:{self.port} did not accept posctl ({why}); is its "
                "CA the one in this posctl home, and was `posctl broker` run after `init`?"
            )
        return self

    def close(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
        if self._slot is not None:
            self._slot.release()
            self._slot = None
        self.outbox.close()

    def __enter__(self) -> Remote:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        if rc.is_failure:
            self._connect_error = str(rc)
            return
        self._connected.set()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        # Subscriptions die with a clean-start session: callers reconnect from scratch.
        self._connected.clear()

    def is_connected(self) -> bool:
        return self._connected.is_set()

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, rcs: Any, props: Any) -> None:
        # The SUBACK can arrive before subscribe() has returned its mid to the caller, so
        # results are kept by mid and waited for under a condition.
        with self._suback_cv:
            self._subacks[mid] = not any(r.is_failure for r in rcs)
            self._suback_cv.notify_all()

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic.endswith("/status"):
            self._on_status(msg.payload)
            return
        corr = getattr(msg.properties, "CorrelationData", None) if msg.properties else None
        try:
            reply = wire.decode_reply(msg.payload)
        except wire.ValidationError:
            return
        key = bytes(corr) if corr is not None else (reply.id or "").encode()
        with self._lock:
            q = self._replies.get(key)
        if q is not None:
            q.put(reply)

    def _subscribe(self, topic: str) -> None:
        assert self._client is not None
        rc, mid = self._client.subscribe(topic, qos=1)
        with self._suback_cv:
            answered = self._suback_cv.wait_for(lambda: mid in self._subacks, self.connect_timeout)
            ok = answered and mid is not None and self._subacks.pop(mid)
        if rc != mqtt.MQTT_ERR_SUCCESS or not ok:
            raise RemoteError(
                f"the broker refused posctl's subscription to {topic}; regenerate the ACL with "
                "`posctl broker` and restart mosquitto"
            )

    def _on_status(self, payload: bytes | bytearray) -> None:
        try:
            st = wire.decode_status(payload)
        except wire.ValidationError:
            return
        if st.state == "online" and st.terminal not in self.online:
            self.online.add(st.terminal)
            self.came_online.set()
        elif st.state != "online":
            self.online.discard(st.terminal)

    def watch_status(self, terminals: list[str]) -> None:
        """Follow the retained status of ``terminals``: ``came_online`` is set when one of
        them is (or becomes) online, the moment a command kept for it can reach it."""
        for t in terminals:
            self._subscribe(wire.status_topic(self.store_id, t))

    # --- commands ---------------------------------------------------------------------------
    def reply_base(self, terminal: str) -> str:
        return f"{wire.reply_topic(self.store_id, terminal)}/{self._session}"

    def listen(self, terminal: str) -> None:
        """Subscribe to this run's replies from ``terminal`` (once per connection); call it
        before sending, so no reply can arrive before the subscription."""
        if terminal not in self._listening:
            self._subscribe(self.reply_base(terminal))
            self._listening.add(terminal)

    def send(
        self,
        terminal: str,
        type: str,
        body: Any,
        *,
        ttl: timedelta = timedelta(hours=24),
        secrets: Mapping[str, str] | None = None,
        allow_plaintext: bool = False,
    ) -> tuple[Sent, queue.Queue[wire.Reply]]:
        """Sign and publish one command; returns it and the queue its reply will arrive on.

        ``secrets`` (field -> value: a PIN, a card code) are sealed to the terminal's key from
        enrolment, bound to this command; a terminal enrolled before sealing gets them in clear
        only with ``allow_plaintext`` (see :func:`check_sealable`)."""
        sent = self.sign(
            terminal, type, body, ttl=ttl, secrets=secrets, allow_plaintext=allow_plaintext
        )
        return sent, self.publish(sent)

    def sign(
        self,
        terminal: str,
        type: str,
        body: Any,
        *,
        ttl: timedelta = timedelta(hours=24),
        secrets: Mapping[str, str] | None = None,
        allow_plaintext: bool = False,
    ) -> Sent:
        """Sign one command and keep it in the outbox; needs no connection, so a command
        signed while the broker is down is sent by ``posctl commands retry``."""
        target = wire.Target(self.store_id, terminal)
        seal_to = check_sealable(self.home, [terminal], bool(secrets), allow_plaintext)
        with self.home.command_counter(target.scope) as seq:
            cmd_id = str(uuid.uuid4())
            issued = self._now()
            raw = wire.to_json(body) if hasattr(body, "__dataclass_fields__") else dict(body)
            if secrets:
                raw = _with_secrets(raw, secrets, seal_to.get(terminal), cmd_id, target, type)
            data = wire.sign_command(
                self._signer,
                type=type,
                body=raw,
                target=target,
                seq=seq,
                issued_at=issued,
                ttl=ttl,
                id=cmd_id,
            )
            # Kept before the counter is saved and before anything is published: a command
            # that may reach the terminal is never one posctl has forgotten.
            self.outbox.record(
                id=cmd_id,
                terminal=terminal,
                type=type,
                seq=seq,
                expires_at=issued + ttl,
                payload=data,
                now=issued,
            )
        return Sent(cmd_id, type, seq, issued + ttl, terminal, data)

    def resign(self, entry: Entry) -> Sent:
        """The same command (same id, same sealed body) with a new sequence number: for one the
        terminal refused as a replay because a newer command overtook it while it was lost. The
        id stays, so whichever copy arrives first is applied and the other answered "done"."""
        cmd = wire.parse_command(entry.payload)
        target = cmd.target
        ttl = cmd.expires_at - cmd.issued_at
        with self.home.command_counter(target.scope) as seq:
            issued = self._now()
            data = wire.sign_command(
                self._signer,
                type=cmd.type,
                body=cmd.raw_body,
                target=target,
                seq=seq,
                issued_at=issued,
                ttl=ttl,
                id=cmd.id,
            )
            self.outbox.resigned(cmd.id, seq, issued + ttl, data)
        return Sent(cmd.id, cmd.type, seq, issued + ttl, entry.terminal, data)

    def publish(self, sent: Sent) -> queue.Queue[wire.Reply]:
        """Publish a signed command (first time or again: the same bytes); returns the queue
        its reply will arrive on."""
        if self._client is None:
            raise RemoteError("not connected")
        self.listen(sent.terminal)
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = self.reply_base(sent.terminal)
        props.CorrelationData = sent.id.encode()
        # The broker keeps the command for an offline terminal only as long as it is valid.
        left = int((sent.expires_at - self._now()).total_seconds())
        props.MessageExpiryInterval = max(1, left)
        q: queue.Queue[wire.Reply] = queue.Queue()
        with self._lock:
            self._replies[sent.id.encode()] = q
        info = self._client.publish(
            wire.command_topic(self.store_id, sent.terminal), sent.payload, qos=1, properties=props
        )
        try:
            info.wait_for_publish(self.connect_timeout)
        except (RuntimeError, ValueError) as exc:
            raise RemoteError(
                f"the command could not be handed to the broker: {exc}. {KEPT_HINT}"
            ) from exc
        if not info.is_published():
            raise RemoteError(f"the broker did not confirm the command. {KEPT_HINT}")
        self.outbox.published(sent.id, self._now())
        return q

    def wait_reply(self, sent: Sent, q: queue.Queue[wire.Reply], timeout: float) -> wire.Reply:
        try:
            reply = q.get(timeout=timeout)
        except queue.Empty:
            raise RemoteError(
                f"no reply within {timeout:.0f} s. The terminal may be off or offline. {KEPT_HINT}"
            ) from None
        finally:
            with self._lock:
                self._replies.pop(sent.id.encode(), None)
        self.outbox.replied(reply, self._now())
        return reply

    def command(self, terminal: str, type: str, body: Any, *, timeout: float = 30.0) -> wire.Reply:
        self.listen(terminal)
        sent, q = self.send(terminal, type, body)
        return self.wait_reply(sent, q, timeout)


def check_sealable(
    home: Home, terminals: list[str], has_secrets: bool, allow_plaintext: bool
) -> dict[str, sealing.X25519PublicKey | None]:
    """Each terminal's sealing key (None: send in clear). Raises RemoteError, before anything
    is sent, when a secret would go in clear to a terminal enrolled before sealing."""
    keys: dict[str, sealing.X25519PublicKey | None] = {}
    for t in terminals:
        text = home.terminals().get(t, {}).get("seal_key")
        if text:
            try:
                keys[t] = sealing.load_public_key(text)
            except sealing.SealError as exc:
                raise RemoteError(
                    f"terminal {t}'s sealing key in this home is unusable ({exc}); re-enrol it "
                    f"with `posctl terminal enroll {t}` and install the new bundle"
                ) from None
        elif has_secrets:
            # Terminals refuse PINs and card codes in clear, so --allow-plaintext no longer
            # opens a way around sealing.
            raise RemoteError(
                f"terminal {t} was enrolled before PINs and card codes were sealed, and "
                "terminals accept them only sealed. Re-enrol it with `posctl terminal "
                f"enroll {t}`, install the new bundle (it adds seal.key and [link] seal_key) "
                "and restart the terminal"
            )
        else:
            keys[t] = None
    return keys


def _with_secrets(
    raw: dict[str, Any],
    secrets: Mapping[str, str],
    key: sealing.X25519PublicKey | None,
    cmd_id: str,
    target: wire.Target,
    type: str,
) -> dict[str, Any]:
    if key is None or target.terminal is None:
        # check_sealable refused this before anything was sent; terminals refuse clear secrets.
        raise RemoteError("secrets travel only sealed to one terminal")
    return sealing.seal_body(
        key,
        raw,
        secrets,
        command_id=cmd_id,
        store=target.store,
        terminal=target.terminal,
        type=type,
    )


def reply_error_text(reply: wire.Reply) -> str:
    """A refused command in words, with the next step where one is known."""
    err = reply.error
    if err is None:
        return "refused without a reason"
    hints = {
        "unknown_signer": "the terminal does not trust this owner key: re-enrol it with "
        "`posctl terminal enroll` from this home",
        "bad_signature": "the message was altered on the way; send it again",
        "wrong_target": "the command was for another terminal or store; check the terminal id "
        "and --home",
        "expired": "the command expired before the terminal saw it; send it again",
        "not_yet_valid": "the terminal's clock is behind: fix its time (NTP) and send again",
        "replay": "the terminal has already seen a newer command from this home (a restored "
        "backup?); send it again",
        "unsupported": "this terminal's software does not handle it yet; update it",
        "bad_seal": "a sealed PIN or card code did not open on the terminal: re-enrol it with "
        "`posctl terminal enroll`, install the new bundle, and send again",
    }
    where = f" (field {err.field})" if err.field else ""
    hint = hints.get(err.code)
    return f"{err.message}{where} [{err.code}]" + (f": {hint}" if hint else "")
