"""A terminal's command side assembled from the real parts (SQLite ledger, catalog, staff store
and services, every handler) for intake tests, plus an owner that signs commands for it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from terminal.core.clock import ManualClock, SystemClock
from terminal.core.pins import ScryptParams
from terminal.ledger.db import open_ledger
from terminal.ledger.staff_store import open_staff
from terminal.link import protocol as p
from terminal.link import sealing
from terminal.link.handlers import (
    catalog_handlers,
    report_handlers,
    settings_handlers,
    staff_handlers,
)
from terminal.link.intake import Intake
from terminal.link.relay import LinkConfig, Relay


@dataclass
class Owner:
    signer: p.Signer
    clock: ManualClock
    seq: int = 0
    seal_to: X25519PublicKey | None = None
    """The terminal's sealing key (``TerminalSide`` sets it), as posctl has it from enrolment."""

    def command(
        self,
        type_: str,
        body: Any,
        *,
        terminal: str | None = "T1",
        store: str = "S1",
        seq: int | None = None,
        issued_offset: timedelta = timedelta(0),
        ttl: timedelta = timedelta(hours=1),
        signer: p.Signer | None = None,
        id_: str | None = None,
        secrets: dict[str, str] | None = None,
    ) -> bytes:
        """``secrets`` (field -> PIN or card code, ``staff[i].pin``/``cards[i].code`` in a
        snapshot) are sealed to the terminal as posctl seals them."""
        if seq is None:
            self.seq += 1
            seq = self.seq
        id_ = id_ or str(uuid.uuid4())
        if secrets:
            assert self.seal_to is not None and terminal is not None
            raw = p.to_json(body) if hasattr(body, "__dataclass_fields__") else dict(body)
            body = sealing.seal_body(
                self.seal_to,
                raw,
                secrets,
                command_id=id_,
                store=store,
                terminal=terminal,
                type=type_,
            )
        return p.sign_command(
            signer or self.signer,
            type=type_,
            body=body,
            target=p.Target(store, terminal),
            seq=seq,
            issued_at=self.clock.now() + issued_offset,
            ttl=ttl,
            id=id_,
        )


class TerminalSide:
    def __init__(
        self,
        tmp_path: Path,
        owner_key: p.Signer,
        clock: ManualClock,
        owner: Owner | None = None,
        *,
        sealing_key: bool = True,
    ) -> None:
        """With ``owner``, the owner learns this terminal's sealing key; ``sealing_key=False``
        is a terminal enrolled before sealing."""
        self.tmp_path = tmp_path
        self.seal_key = sealing.generate_key() if sealing_key else None
        if owner is not None and self.seal_key is not None:
            owner.seal_to = self.seal_key.public_key()
        self.clock = clock
        self.trusted = p.TrustedKeys([owner_key.public_key])
        self.ledger = open_ledger(tmp_path / "ledger.sqlite3", "T1", clock)
        self.catalog = self.ledger.catalog()
        self.staff = open_staff(
            self.ledger, clock, tmp_path / "card.key", scrypt=ScryptParams(n=2**8)
        )
        self.settings_seen: list[dict[str, Any]] = []
        self.intake = self.make_intake()

    def make_intake(self) -> Intake:
        handlers = {
            **catalog_handlers(self.catalog, self.ledger),
            **staff_handlers(self.staff.staff),
            **settings_handlers(self.ledger, on_settings=self.settings_seen.append),
            **report_handlers(self.ledger),
        }
        intake = Intake(
            store_id="S1",
            terminal_id="T1",
            ledger=self.ledger,
            trusted=self.trusted,
            clock=self.clock,
            handlers=handlers,
            seal_key=self.seal_key,
        )
        intake.load()
        return intake

    def state(self, since: int | None = None) -> dict[str, Any]:
        """Everything a command could change, except the journal's rejection entries; with
        ``since``, only the journal entries after that sequence number (a long fuzz run)."""
        db = self.ledger.db
        tables = {}
        for table in ("item", "barcode", "tax_class", "quick_key"):
            tables[table] = db.execute_sql(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        journal = db.execute_sql(
            "SELECT seq, kind, payload FROM journal WHERE seq > ? AND kind != 'command.rejected' "
            "ORDER BY seq",
            (since or 0,),
        ).fetchall()
        d = self.staff.directory
        return {
            "tables": tables,
            "journal": journal,
            "members": sorted((m.staff_id, repr(m)) for m in d.members()),
            "roles": sorted(r.name for r in d.stored_roles()),
            "cards": sorted((m.staff_id, repr(d.cards_of(m.staff_id))) for m in d.members()),
            "pins": sorted((m.staff_id, repr(d.pin(m.staff_id))) for m in d.members()),
            "intake": self.intake.state(),
            "settings_seen": list(self.settings_seen),
        }

    def rejections(self) -> list[dict[str, Any]]:
        return [
            e.payload for e in self.ledger.entries(limit=1_000_000) if e.kind == "command.rejected"
        ]


CLERK_ROLE = {
    "name": "clerk",
    "label": "Clerk",
    "grants": {"tender.cash": {"verdict": "allow", "limits": {}}},
}
TAXES = [p.TaxClassBody("standard", 1300, True, "VAT 13%")]


def item(n: int, price: int = 100) -> p.ItemBody:
    return p.ItemBody(
        sku=f"SKU{n:06d}",
        name=f"Item {n}",
        price=price,
        name_zh=f"商品{n}",
        barcodes=[f"690{n:010d}"],
        stock_milli=10_000,
    )


def relay_for(term: TerminalSide, host: str, port: int, **tuning: Any) -> Relay:
    """A relay for ``term`` to the broker at host:port with quick test timings, woken by every
    committed entry as the composition root wires it; ``tuning`` overrides the timings or
    passes ``tick``."""
    tick = tuning.pop("tick", None)
    timings = {"ack_timeout": 2.0, "backoff_min": 0.05, "backoff_max": 0.5, **tuning}
    cfg = LinkConfig(host=host, port=port, store_id="S1", terminal_id="T1",
                     version="test-1", **timings)
    extra = {} if tick is None else {"tick": tick}
    relay = Relay(cfg, ledger=term.ledger, outbox=term.ledger.outbox(), clock=SystemClock(),
                  intake=term.intake, **extra)
    term.ledger.subscribe(lambda entry: relay.wake())
    return relay
