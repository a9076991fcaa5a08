"""A terminal that was offline for days: the whole queued outbox drains to the collector, each
event stored once, and the outbox ends empty."""

from __future__ import annotations

import pytest

from .acking import AckingCollector
from .broker import Broker
from .helpers import fill, make_relay, wait_until
from .test_relay import _check_exactly_once

pytestmark = pytest.mark.link


@pytest.mark.parametrize(
    ("events", "per_message"),
    [
        (10_000, 1),
        (10_000, 50),
        pytest.param(100_000, 50, marks=pytest.mark.slow, id="100k"),
    ],
)
def test_queued_outbox_drains(broker: Broker, ledger, events: int, per_message: int) -> None:
    fill(ledger, events)
    assert ledger.outbox().depth() == events
    collector = AckingCollector(broker, ack_interval=0.1).start()
    relay = make_relay(
        broker, ledger, window=1000, ack_timeout=30.0, events_per_message=per_message
    )
    relay.start()
    try:
        assert collector.wait_for("T1", events, timeout=events / 100)
        wait_until(lambda: ledger.outbox().depth() == 0, 30, "outbox empty")
    finally:
        relay.stop()
        collector.stop()
    assert collector.store.arrivals == [("T1", s) for s in range(1, events + 1)]
    _check_exactly_once(ledger, collector.store)
    assert relay.stats.resent == 0
