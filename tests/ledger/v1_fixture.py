"""A ledger as the first schema version wrote it: journal, counters and outbox only (no
catalog, no projection tables, no append-only triggers), holding a shift and two sales.

Built with the v1 migration and raw SQL as the v1 code wrote rows, so upgrades are tested
against the bytes an old terminal would really have on its SD card.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

from terminal.core.canonical import canonical, entry_hash
from terminal.core.records import JournalEntry
from terminal.ledger.db import connect
from terminal.ledger.journal import GENESIS, entry_body
from terminal.ledger.schema import migrate

from .builders import sale

V1 = {"ledger": 1}


def build_v1(path: Path) -> list[JournalEntry]:
    db = connect(path)
    migrate(db, [], target=V1)
    first = sale(2, sale_id="old-1", shift_id="s1")
    second = sale(1, sale_id="old-2", shift_id="s1", tenders=[("card", 100)])
    events = [
        ("shift.opened", {"shift_id": "s1", "opening_float": 5000}, None),
        ("sale.completed", first.to_payload(), "receipt"),
        ("sale.completed", second.to_payload(), "receipt"),
    ]
    entries: list[JournalEntry] = []
    prev = GENESIS
    with db.atomic():
        for seq, (kind, payload, series) in enumerate(events, start=1):
            number = None
            if series:
                db.execute_sql(
                    "INSERT INTO counters VALUES (?, 1) ON CONFLICT (series) "
                    "DO UPDATE SET last = last + 1",
                    (series,),
                )
                number = db.execute_sql(
                    "SELECT last FROM counters WHERE series = ?", (series,)
                ).fetchone()[0]
            entry = JournalEntry(
                seq=seq,
                uuid=str(uuid.uuid4()),
                ts=f"2025-12-01T02:00:0{seq}.000000+00:00",
                terminal_id="T01",
                kind=kind,
                staff_id="u1",
                payload=payload,
                number=number,
                series=series,
                training=False,
                prev_hash=prev,
                hash="",
            )
            entry = dataclasses.replace(entry, hash=entry_hash(entry))
            db.execute_sql(
                "INSERT INTO journal VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    entry.seq, entry.uuid, entry.ts, entry.terminal_id, entry.kind,
                    entry.staff_id, canonical(payload), entry.number, entry.series, 0,
                    entry.prev_hash, entry.hash,
                ),
            )  # fmt: skip
            db.execute_sql("INSERT INTO outbox VALUES (?, ?, ?)", (seq, kind, entry_body(entry)))
            entries.append(entry)
            prev = entry.hash
    db.close()
    return entries
