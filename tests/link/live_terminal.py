"""A terminal built from its real parts (SQLite ledger, catalog, staff store and services,
command intake, outbox relay) from the bundle ``posctl terminal enroll`` wrote, connected over
TLS to the generated mosquitto: the peer the posctl and collector tests talk to."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from terminal.core.clock import SystemClock
from terminal.core.pins import ScryptParams
from terminal.ledger.db import open_ledger
from terminal.ledger.staff_store import open_staff
from terminal.link import protocol as wire
from terminal.link.handlers import catalog_handlers, settings_handlers, staff_handlers
from terminal.link.intake import Intake
from terminal.link.relay import LinkConfig, Relay
from terminal.link.sealing import load_private_key

from .test_broker_generated import STORE, StoreEnv


class LiveTerminal:
    def __init__(self, env: StoreEnv, terminal_id: str, data: Path, **link_overrides: Any) -> None:
        bundle = Path(env.home.terminals()[terminal_id]["bundle"])
        conf = tomllib.loads((bundle / "pos-terminal.toml").read_text(encoding="utf-8"))
        assert conf["terminal"]["id"] == terminal_id
        clock = SystemClock()
        data.mkdir(parents=True, exist_ok=True)
        self.ledger = open_ledger(data / "ledger.sqlite3", terminal_id, clock)
        self.catalog = self.ledger.catalog()
        self.staff = open_staff(self.ledger, clock, data / "card.key", scrypt=ScryptParams(n=2**8))
        self.settings_seen: list[dict[str, Any]] = []
        self.intake = Intake(
            store_id=STORE,
            terminal_id=terminal_id,
            ledger=self.ledger,
            # Trust exactly what enrolment wrote into the bundle.
            trusted=wire.TrustedKeys(conf["link"]["owner_keys"]),
            clock=clock,
            handlers={
                **catalog_handlers(self.catalog, self.ledger),
                **staff_handlers(self.staff.staff),
                **settings_handlers(self.ledger, on_settings=self.settings_seen.append),
            },
            # The key enrolment put in the bundle opens the PINs and codes posctl seals.
            seal_key=load_private_key(bundle / "seal.key"),
        )
        self.intake.load()
        # The relay reads the bundle's [link] section with its own loader; only what differs
        # between a Pi and this test (file locations, the test broker's port, fast retries) is
        # replaced.
        link = {
            **conf["link"],
            "port": env.broker.port,
            "ca": str(bundle / "ca.crt"),
            "cert": str(bundle / "client.crt"),
            "key": str(bundle / "client.key"),
            "backoff_min": 0.05,
            "backoff_max": 0.5,
            "ack_timeout": 2.0,
            "status_interval": 0.5,
            **link_overrides,
        }
        assert link["host"] == env.broker.host and link["store"] == STORE
        self.relay = Relay(
            LinkConfig.from_section(link, terminal_id=terminal_id, version="test"),
            ledger=self.ledger,
            outbox=self.ledger.outbox(),
            clock=clock,
            intake=self.intake,
        )
        self.relay.start()
        assert self.relay.connected.wait(10), (
            f"terminal could not connect:\n{env.broker.log_tail()}"
        )

    def close(self) -> None:
        self.relay.stop()
        self.ledger.close()
