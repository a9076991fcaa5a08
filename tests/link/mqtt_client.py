"""Small synchronous MQTT helpers for tests: publish one message, read a retained one, and an
owner-side requester that publishes a command and waits for its reply."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from terminal.link import protocol as p

from .broker import Broker


def connect(broker: Broker, client_id: str | None = None) -> mqtt.Client:
    c = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id or f"test-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv5,
    )
    c.connect(broker.host, broker.port)
    c.loop_start()
    return c


def close(c: mqtt.Client) -> None:
    c.disconnect()
    c.loop_stop()


def publish(
    broker: Broker, topic: str, payload: bytes, properties: Properties | None = None
) -> None:
    c = connect(broker)
    try:
        c.publish(topic, payload, qos=1, properties=properties).wait_for_publish(5)
    finally:
        close(c)


def retained(broker: Broker, topic: str, timeout: float = 2.0) -> p.Status | None:
    got: list[bytes] = []
    done = threading.Event()

    def on_message(client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.retain:
            got.append(msg.payload)
        done.set()

    c = connect(broker)
    c.on_message = on_message
    try:
        c.subscribe(topic, qos=1)
        done.wait(timeout)
    finally:
        close(c)
    return p.decode_status(got[0]) if got else None


class Requester:
    """The owner's side of request/response: publishes commands with a response topic and
    correlation data, collects replies by correlation."""

    def __init__(self, broker: Broker, store: str = "S1", terminal: str = "T1") -> None:
        self.response_topic = p.reply_topic(store, terminal) + "/owner-test"
        self.replies: dict[bytes, p.Reply] = {}
        self._cond = threading.Condition()
        self.client = connect(broker)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.subscribe(self.response_topic, qos=1)
        assert subscribed.wait(5)

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        corr = getattr(msg.properties, "CorrelationData", None)
        with self._cond:
            self.replies[bytes(corr or b"")] = p.decode_reply(msg.payload)
            self._cond.notify_all()

    def send(self, topic: str, payload: bytes, timeout: float = 10.0) -> p.Reply:
        corr = uuid.uuid4().bytes
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = self.response_topic
        props.CorrelationData = corr
        props.MessageExpiryInterval = 3600
        self.client.publish(topic, payload, qos=1, properties=props)
        with self._cond:
            ok = self._cond.wait_for(lambda: corr in self.replies, timeout)
        assert ok, "no reply"
        return self.replies[corr]

    def close(self) -> None:
        close(self.client)
