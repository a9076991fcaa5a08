"""The broker fixture itself: it starts, listens, restarts on the same port, and TLS with client
certificates and an ACL really are enforced (so tests built on it can fail)."""

from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from .broker import Broker, BrokerError
from .certs import TestCA

pytestmark = pytest.mark.link


def _client(broker: Broker, cid: str, cert=None) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5)
    if broker.tls is not None:
        c.tls_set(
            ca_certs=str(broker.tls.ca),
            certfile=str(cert.cert) if cert else None,
            keyfile=str(cert.key) if cert else None,
        )
    return c


def _roundtrip(broker: Broker, cert=None, topic: str = "t/x") -> bytes | None:
    """Publish one message at QoS 1 to ourselves; return what came back (None on refusal)."""
    got: list[bytes] = []
    done = threading.Event()
    subscribed = threading.Event()
    c = _client(broker, "rt", cert)
    c.on_message = lambda cl, ud, msg: (got.append(msg.payload), done.set())

    def on_subscribe(cl, ud, mid, reason_codes, props):
        subscribed.set()

    c.on_subscribe = on_subscribe
    c.connect(broker.host, broker.port)
    c.loop_start()
    try:
        c.subscribe(topic, qos=1)
        assert subscribed.wait(5)
        c.publish(topic, b"hello", qos=1)
        done.wait(2)
    finally:
        c.disconnect()
        c.loop_stop()
    return got[0] if got else None


def test_plain_broker_restarts_on_same_port(broker: Broker) -> None:
    port = broker.port
    assert broker.port != 1883
    assert _roundtrip(broker) == b"hello"
    broker.restart(hard=True)
    assert broker.port == port and broker.is_running()
    assert _roundtrip(broker) == b"hello"
    broker.stop()
    assert not broker.is_running()


def test_bad_config_raises_with_log(tmp_path: Path) -> None:
    b = Broker(tmp_path, extra_config=("no_such_option 1",))
    with pytest.raises(BrokerError):
        b.start()


def test_tls_requires_client_certificate_and_applies_acl(tmp_path: Path) -> None:
    ca = TestCA(tmp_path / "pki")
    acl = tmp_path / "acl"
    acl.write_text("pattern readwrite own/%u/#\n", encoding="utf-8")
    alice = ca.client("alice")
    with Broker(tmp_path, tls=ca.server_files(), acl_file=acl) as b:
        assert _roundtrip(b, alice, "own/alice/x") == b"hello"
        # The ACL silently drops a publish outside the client's own subtree.
        assert _roundtrip(b, alice, "own/bob/x") is None
        # Without a client certificate the TLS handshake is refused.
        assert not _connects(b, None)
        assert _connects(b, alice)


def _connects(broker: Broker, cert) -> bool:
    ok = threading.Event()
    c = _client(broker, "probe", cert)
    c.on_connect = lambda cl, ud, flags, rc, props: ok.set() if not rc.is_failure else None
    try:
        c.connect(broker.host, broker.port)
    except OSError:
        return False
    c.loop_start()
    try:
        # With TLS 1.3 the server checks the client certificate after the handshake, so a
        # refusal shows up as a dropped connection rather than a failed connect().
        return ok.wait(3)
    finally:
        c.disconnect()
        c.loop_stop()
