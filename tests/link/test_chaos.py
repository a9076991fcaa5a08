"""Kill the broker, the collector and the terminal's relay process at random points of a drain
while the terminal keeps selling: the collector ends up with every event exactly once."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from .acking import AckingCollector, Store
from .broker import Broker
from .helpers import fill, wait_until
from .test_relay import _check_exactly_once
from .test_terminal_process import _spawn

pytestmark = pytest.mark.link


@pytest.mark.parametrize("seed", [1, 2])
def test_random_kills_during_a_drain(broker: Broker, ledger, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = Store()
    fill(ledger, 2000)
    collector = AckingCollector(broker, store).start()
    proc = _spawn(broker, ledger.path)
    try:
        for _ in range(6):
            time.sleep(rng.uniform(0.1, 0.8))
            victim = rng.choice(["broker", "collector", "terminal"])
            if victim == "broker":
                broker.kill()
                fill(ledger, rng.randint(10, 100))
                time.sleep(rng.uniform(0, 0.5))
                broker.start()
            elif victim == "collector":
                collector.client.disconnect()
                collector.stop()
                fill(ledger, rng.randint(10, 100))
                collector = AckingCollector(broker, store).start()
            else:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                fill(ledger, rng.randint(10, 100))
                proc = _spawn(broker, ledger.path)
        last = ledger.last_entry().seq
        assert collector.wait_for("T1", last, timeout=90), (store.upto("T1"), last)
        wait_until(lambda: ledger.outbox().depth() == 0, 30, "outbox empty")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        collector.stop()
    _check_exactly_once(ledger, store)
