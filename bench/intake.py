"""The terminal's command intake.

intake_throughput: signed owner commands (price changes, settings, staff edits, a mix as an owner
sends them) parsed, verified, checked and applied by ``Intake.handle`` on the real SQLite ledger,
catalog and staff services, each in its own ledger transaction with its ``command.applied``
entry, per second. The floor, in the same run, is bare Ed25519 verification of the same
messages' signed bytes: what the terminal could not do faster even with no parsing, no checks
and no writes. Target: intake >= 0.3 x the bare verification rate.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.record import Result, against_floor
from terminal.core.clock import ManualClock
from terminal.core.pins import ScryptParams
from terminal.core.records import Item, TaxClass
from terminal.ledger.db import open_ledger
from terminal.ledger.staff_store import open_staff
from terminal.link import protocol as wire
from terminal.link.handlers import catalog_handlers, settings_handlers, staff_handlers
from terminal.link.intake import Intake

COMMANDS = 3_000
ROUNDS = 3


def _messages(owner: wire.Signer, clock: ManualClock) -> list[bytes]:
    target = wire.Target("S1", "T1")
    out = []
    for n in range(COMMANDS):
        kind = n % 3
        if kind == 0:
            type_, body = (
                "catalog.delta",
                wire.CatalogDelta(n + 1, prices=[wire.PriceChange(f"SKU{n % 100:06d}", 100 + n)]),
            )
        elif kind == 1:
            type_, body = "settings.set", wire.SettingsSet({"store_name": f"Shop {n}"})
        else:
            type_, body = "staff.update", wire.StaffUpdate("s1", {"contact": f"138{n:08d}"})
        out.append(
            wire.sign_command(
                owner, type=type_, body=body, target=target, seq=n + 1, issued_at=clock.now()
            )
        )
    return out


def _apply_all(tmp: Path, owner: wire.Signer, messages: list[bytes]) -> tuple[float, int]:
    clock = ManualClock(datetime.now(UTC))
    ledger = open_ledger(tmp / "ledger.sqlite3", "T1", clock)
    try:
        catalog = ledger.catalog()
        catalog.set_tax_classes([TaxClass("standard", 1300, True, "VAT 13%")])
        catalog.upsert_items(
            Item(sku=f"SKU{n:06d}", name=f"Item {n}", name_zh="", price=100) for n in range(100)
        )
        staff = open_staff(ledger, clock, tmp / "card.key", scrypt=ScryptParams(n=2**8))
        staff.staff.execute(
            {"op": "role.define", "role": {"name": "clerk", "label": "Clerk", "grants": {}}},
            by="@owner",
        )
        staff.staff.execute(
            {"op": "staff.add", "staff": {"staff_id": "s1", "name": "Li", "role": "clerk"}},
            by="@owner",
        )
        intake = Intake(
            store_id="S1",
            terminal_id="T1",
            ledger=ledger,
            trusted=wire.TrustedKeys([owner.public_key]),
            clock=clock,
            handlers={
                **catalog_handlers(catalog, ledger),
                **settings_handlers(ledger),
                **staff_handlers(staff.staff),
            },
        )
        t0 = time.perf_counter()
        done = sum(intake.handle(m).status == "done" for m in messages)
        return time.perf_counter() - t0, done
    finally:
        ledger.close()


def _bare_verify(owner: wire.Signer, messages: list[bytes]) -> float:
    # Parsing happens before the clock starts: the floor is the signature check alone.
    signed = [wire.parse_command(m) for m in messages]
    key = owner.public_key
    t0 = time.perf_counter()
    for c in signed:
        key.verify(c.signature, c.signed_bytes)
    return time.perf_counter() - t0


def intake_throughput() -> Result:
    owner = wire.Signer.generate()
    clock = ManualClock(datetime.now(UTC))
    messages = _messages(owner, clock)
    rates, floors, applied = [], [], []
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as d:
            elapsed, done = _apply_all(Path(d), owner, messages)
        rates.append(len(messages) / elapsed)
        applied.append(done)
        floors.append(len(messages) / _bare_verify(owner, messages))
    result = against_floor(
        "intake_throughput",
        max(rates),
        "commands/s",
        max(floors),
        max_ratio=0.3,
        higher_is_better=True,
        detail=f"{COMMANDS} signed commands (delta, settings, staff edit), best of {ROUNDS}; "
        "floor: bare Ed25519 verification of the same messages",
    )
    if min(applied) != COMMANDS:
        return Result(**{**result.__dict__, "passed": False})
    return result


def run() -> list[Result]:
    return [intake_throughput()]
