"""Runs one terminal's relay in its own process, so a test can kill it with SIGKILL the way a
power cut would. Usage: python relay_proc.py LEDGER HOST PORT STORE TERMINAL ACK_TIMEOUT WINDOW"""

from __future__ import annotations

import signal
import sys
import threading

from terminal.core.clock import SystemClock
from terminal.ledger.db import open_ledger
from terminal.link.relay import LinkConfig, Relay


def main(argv: list[str]) -> None:
    ledger_path, host, port, store, terminal, ack_timeout, window = argv
    clock = SystemClock()
    ledger = open_ledger(ledger_path, terminal, clock)
    cfg = LinkConfig(
        host=host,
        port=int(port),
        store_id=store,
        terminal_id=terminal,
        ack_timeout=float(ack_timeout),
        window=int(window),
        backoff_min=0.05,
        backoff_max=0.5,
        version="test-1",
    )
    relay = Relay(cfg, ledger=ledger, outbox=ledger.outbox(), clock=clock)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    relay.start()
    print("started", flush=True)
    done.wait()
    relay.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
