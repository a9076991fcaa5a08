"""The command bodies: one schema per command type, and a catalog split into snapshot chunks."""

from __future__ import annotations

from terminal.link import protocol as p


def test_every_command_type_has_a_body_schema() -> None:
    assert set(p.BODY_TYPES) == {
        "staff.add",
        "staff.update",
        "staff.suspend",
        "staff.snapshot",
        "card.assign",
        "card.revoke",
        "pin.reset",
        "role.set",
        "catalog.snapshot",
        "catalog.delta",
        "settings.set",
        "alerts.set",
        "resend.from",
        "report.request",
        "badge.print",
    }


def test_snapshot_chunks_cover_the_catalog() -> None:
    items = [p.ItemBody(f"S{n}", f"n{n}", n) for n in range(4500)]
    chunks = p.catalog_snapshot_chunks(items, 2, quick_keys=["S1"], chunk_items=2000)
    assert [len(c.items) for c in chunks] == [2000, 2000, 500]
    assert {c.chunks for c in chunks} == {3} and chunks[0].quick_keys == ["S1"]
    assert chunks[1].quick_keys is None
    assert len(p.catalog_snapshot_chunks([], 1)) == 1
