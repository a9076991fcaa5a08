"""A minimal collector for relay tests: a real paho client on a shared subscription that stores
events by (terminal, seq) in memory and sends the protocol's acks (highest contiguous sequence
plus the stored ones beyond a gap). ``store`` outlives the client, so a test can "restart the
collector" by stopping it and starting a new one on the same store, as a real collector would
restart on the same database."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from terminal.link import protocol as p

from .broker import Broker


@dataclass
class Store:
    events: dict[tuple[str, int], Any] = field(default_factory=dict)
    arrivals: list[tuple[str, int]] = field(default_factory=list)
    """First arrivals, in arrival order."""
    copies: int = 0
    """Messages received for an already stored (terminal, seq): at-least-once delivery."""
    mismatches: int = 0
    """Copies whose content differs from the stored event: must stay 0 (a re-send is the same
    event, never a new one under an old number)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    _upto: dict[str, int] = field(default_factory=dict)
    _beyond: dict[str, set[int]] = field(default_factory=dict)

    def add(self, terminal: str, seq: int, entry: Any) -> bool:
        """Store once; False for a copy. Caller holds ``lock``."""
        key = (terminal, seq)
        if key in self.events:
            self.copies += 1
            if self.events[key] != entry:
                self.mismatches += 1
            return False
        self.events[key] = entry
        self.arrivals.append(key)
        beyond = self._beyond.setdefault(terminal, set())
        beyond.add(seq)
        n = self._upto.get(terminal, 0)
        while n + 1 in beyond:
            n += 1
            beyond.discard(n)
        self._upto[terminal] = n
        return True

    def seqs(self, terminal: str) -> list[int]:
        with self.lock:
            return sorted(s for t, s in self.events if t == terminal)

    def upto(self, terminal: str) -> int:
        with self.lock:
            return self._upto.get(terminal, 0)

    def beyond(self, terminal: str) -> list[int]:
        with self.lock:
            return sorted(self._beyond.get(terminal, ()))


class AckingCollector:
    def __init__(
        self,
        broker: Broker,
        store: Store | None = None,
        *,
        client_id: str = "collector-1",
        ack_interval: float = 0.05,
        ack: bool = True,
        cert: Any = None,
    ) -> None:
        self.broker = broker
        self.store = store or Store()
        self.ack_interval = ack_interval
        self.ack = ack
        self.connected = threading.Event()
        self._dirty: dict[tuple[str, str], None] = {}
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        if broker.tls is not None:
            self.client.tls_set(
                ca_certs=str(broker.tls.ca),
                certfile=str(cert.cert) if cert else None,
                keyfile=str(cert.key) if cert else None,
            )
        self.client.reconnect_delay_set(0.05, 0.5)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.on_message = self._on_message

    def start(self) -> AckingCollector:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect_async(
            self.broker.host, self.broker.port, clean_start=False, properties=props
        )
        self.client.loop_start()
        self._flusher = threading.Thread(target=self._flush_loop, daemon=True)
        self._flusher.start()
        assert self.connected.wait(10), "collector could not connect"
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join(5)
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            return
        client.subscribe(p.shared(p.EVENTS_FILTER), qos=1)
        self.connected.set()

    def _on_message(self, client, userdata, msg) -> None:
        info = p.parse_topic(msg.topic)
        events = p.decode_events(msg.payload)
        with self.store.lock:
            for event in events:
                assert event.terminal == info.terminal
                self.store.add(event.terminal, event.seq, event.entry)
            self._dirty[(info.store, info.terminal)] = None

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.ack_interval):
            if self.ack:
                self.flush()

    def flush(self) -> None:
        with self.store.lock:
            dirty, self._dirty = list(self._dirty), {}
        for store_id, terminal in dirty:
            upto = self.store.upto(terminal)
            beyond = self.store.beyond(terminal)
            ack = p.Ack(terminal=terminal, upto=upto, seqs=beyond[:10_000])
            self.client.publish(p.ack_topic(store_id, terminal), p.encode_ack(ack), qos=1)

    def wait_for(self, terminal: str, upto: int, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.store.upto(terminal) >= upto:
                return True
            time.sleep(0.05)
        return False
