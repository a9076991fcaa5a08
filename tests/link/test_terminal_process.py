"""The relay in its own process, killed with SIGKILL mid-drain like a power cut: the last will
marks the terminal offline, and the next start delivers everything exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.link import protocol as p

from .acking import AckingCollector
from .broker import Broker
from .helpers import fill, wait_until
from .mqtt_client import retained
from .test_relay import _check_exactly_once

pytestmark = pytest.mark.link

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("relay_proc.py")


def _spawn(broker: Broker, ledger_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            str(SCRIPT),
            str(ledger_path),
            broker.host,
            str(broker.port),
            "S1",
            "T1",
            "1.5",
            "200",
        ],
        env=env,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"started"
    return proc


def _status(broker: Broker) -> p.Status | None:
    return retained(broker, p.status_topic("S1", "T1"), timeout=1.0)


def test_kill_9_mid_drain_then_restart(broker: Broker, ledger, tmp_path: Path) -> None:
    fill(ledger, 4000)
    collector = AckingCollector(broker).start()
    proc = _spawn(broker, ledger.path)
    try:
        wait_until(lambda: collector.store.upto("T1") >= 600, 60, "a first part")
        wait_until(lambda: (s := _status(broker)) is not None and s.state == "online", 10)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        # The broker notices the dead connection and publishes the retained last will.
        wait_until(
            lambda: (s := _status(broker)) is not None and s.state == "offline", 10, "last will"
        )
        status = _status(broker)
        assert status is not None and status.reason == "lost" and status.version == "test-1"
        assert ledger.outbox().depth() > 0
        fill(ledger, 300)
        proc = _spawn(broker, ledger.path)
        assert collector.wait_for("T1", 4300, timeout=90)
        wait_until(lambda: ledger.outbox().depth() == 0, 20, "outbox empty")
        wait_until(lambda: (s := _status(broker)) is not None and s.state == "online", 10)
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        status = _status(broker)
        assert status is not None and status.state == "offline" and status.reason == "shutdown"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        collector.stop()
    _check_exactly_once(ledger, collector.store)
