"""The relay over TLS with its own client certificate, against a broker that requires client
certificates and applies a per-terminal ACL of the protocol's topic tree."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from terminal.link.relay import LinkConfig, LinkConfigError, backoff_delays

from .acking import AckingCollector
from .broker import Broker
from .certs import TestCA
from .helpers import fill, make_relay, wait_until
from .test_relay import _check_exactly_once

ACL = """\
pattern write pos/v1/S1/%u/events
pattern write pos/v1/S1/%u/status
pattern write pos/v1/S1/%u/reply
pattern write pos/v1/S1/%u/reply/#
pattern read pos/v1/S1/%u/cmd
pattern read pos/v1/S1/store/cmd
pattern read pos/v1/S1/collector/acks/%u

user collector
topic read $share/collectors/pos/v1/+/+/events
topic read pos/v1/+/+/events
topic write pos/v1/+/collector/acks/+
"""


@pytest.mark.link
def test_relay_over_tls_with_client_certificate(tmp_path: Path, ledger) -> None:
    ca = TestCA(tmp_path / "pki")
    acl = tmp_path / "acl"
    acl.write_text(ACL, encoding="utf-8")
    terminal = ca.client("T1")
    with Broker(tmp_path, tls=ca.server_files(), acl_file=acl) as broker:
        fill(ledger, 300)
        collector = AckingCollector(broker, cert=ca.client("collector")).start()
        relay = make_relay(
            broker,
            ledger,
            ca=str(ca.ca_path),
            cert=str(terminal.cert),
            key=str(terminal.key),
        )
        relay.start()
        try:
            assert relay.connected.wait(10), relay.stats.last_error
            assert collector.wait_for("T1", 300, timeout=30)
            wait_until(lambda: ledger.outbox().depth() == 0, 10, "outbox empty")
        finally:
            relay.stop()
            collector.stop()
        _check_exactly_once(ledger, collector.store)


@pytest.mark.link
def test_relay_without_a_valid_certificate_keeps_everything(tmp_path: Path, ledger) -> None:
    ca = TestCA(tmp_path / "pki")
    other_ca = TestCA(tmp_path / "other")
    stranger = other_ca.client("T1")
    with Broker(tmp_path, tls=ca.server_files()) as broker:
        fill(ledger, 10)
        relay = make_relay(
            broker, ledger, ca=str(ca.ca_path), cert=str(stranger.cert), key=str(stranger.key)
        )
        relay.start()
        try:
            wait_until(lambda: relay.stats.last_error != "", 10, "an error")
            assert not relay.connected.is_set()
            assert ledger.outbox().depth() == 10
        finally:
            relay.stop()


def test_link_config_names_the_bad_key() -> None:
    good = {"host": "broker", "port": 8883, "store": "S1", "owner_keys": []}
    cfg = LinkConfig.from_section(good, terminal_id="T1", version="1.0")
    assert (cfg.store_id, cfg.terminal_id, cfg.port) == ("S1", "T1", 8883)
    for bad, key in (
        ({**good, "port": "8883"}, "port"),
        ({**good, "port": 0}, "port"),
        ({**good, "store": "a/b"}, "store"),
        ({**good, "store": "collector"}, "store"),
        ({**good, "window": 0}, "window"),
        ({**good, "owner_keys": ["ed25519:AAAA"]}, "owner_keys[0]"),
        ({**good, "cert": "c.pem"}, "cert"),
        ({**good, "events_per_message": 5000}, "events_per_message"),
    ):
        with pytest.raises(LinkConfigError) as err:
            LinkConfig.from_section(bad, terminal_id="T1")
        assert err.value.key == key, bad


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    delay = backoff_delays(0.5, 60.0, random.Random(7))
    waits = [delay(n) for n in range(12)]
    for n, w in enumerate(waits):
        d = min(60.0, 0.5 * 2**n)
        assert d / 2 <= w <= d
    assert len({round(w, 6) for w in waits}) == len(waits)  # jittered, not in step
    assert max(waits) <= 60.0
