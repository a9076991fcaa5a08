"""Command intake on the real ledger, catalog and staff services: applied commands change state
and are journaled; forged, replayed, expired, wrong-target and malformed ones change nothing, are
journaled as rejections and get error replies; the same message twice is answered "done" once
more without acting; the intake's memory survives a restart."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from terminal.core.clock import ManualClock
from terminal.link import protocol as p

from .terminal_side import CLERK_ROLE, TAXES, Owner, TerminalSide, item


@pytest.fixture
def owner() -> Owner:
    return Owner(p.Signer.generate(), ManualClock())


@pytest.fixture
def term(tmp_path: Path, owner: Owner) -> TerminalSide:
    return TerminalSide(tmp_path, owner.signer, owner.clock, owner)


def _provision(term: TerminalSide, owner: Owner) -> None:
    for kind, body, secrets in (
        ("role.set", CLERK_ROLE, None),
        (
            "staff.add",
            {"staff_id": "13800000001", "name": "Li Na", "role": "clerk"},
            {"pin": "482913"},
        ),
        (
            "catalog.snapshot",
            p.CatalogSnapshot(1, 0, 1, [item(1), item(2)], tax_classes=TAXES),
            None,
        ),
    ):
        reply = term.intake.handle(owner.command(kind, body, secrets=secrets))
        assert reply.status == "done", reply


def test_commands_apply_and_are_journaled(term: TerminalSide, owner: Owner) -> None:
    _provision(term, owner)
    assert term.staff.directory.member("13800000001").name == "Li Na"
    assert term.catalog.by_barcode("6900000000001").sku == "SKU000001"

    reply = term.intake.handle(
        owner.command(
            "catalog.delta",
            p.CatalogDelta(
                version=2,
                prices=[p.PriceChange("SKU000001", 250)],
                stock=[p.StockLevel("SKU000002", 3000)],
            ),
        )
    )
    assert reply.status == "done" and reply.result["prices"] == 1
    assert term.catalog.by_sku("SKU000001").price == 250
    assert term.catalog.by_sku("SKU000002").stock_milli == 3000

    reply = term.intake.handle(
        owner.command("card.assign", p.CardAssign("13800000001"), secrets={"code": "STF-0001"})
    )
    assert reply.status == "done" and reply.result["card"]
    reply = term.intake.handle(
        owner.command("pin.reset", p.PinReset("13800000001"), secrets={"pin": "739164"})
    )
    assert reply.status == "done" and "pin" not in reply.result
    reply = term.intake.handle(
        owner.command("staff.update", p.StaffUpdate("13800000001", {"contact": "138 0000 0001"}))
    )
    assert reply.status == "done"
    assert term.staff.directory.member("13800000001").contact == "138 0000 0001"
    reply = term.intake.handle(owner.command("staff.suspend", p.StaffSuspend("13800000001")))
    assert reply.status == "done"
    assert not term.staff.directory.member("13800000001").active
    reply = term.intake.handle(owner.command("report.request", p.ReportRequest("x")))
    assert reply.status == "done" and reply.result["totals"]["sales_count"] == 0
    reply = term.intake.handle(
        owner.command("settings.set", p.SettingsSet({"receipt_footer": ["Thanks"]}))
    )
    assert reply.status == "done" and term.settings_seen == [{"receipt_footer": ["Thanks"]}]

    kinds = [e.kind for e in term.ledger.entries(limit=1000)]
    assert kinds.count("command.applied") == 10
    assert "staff.saved" in kinds and "catalog.applied" in kinds
    assert "command.rejected" not in kinds


def test_store_wide_command_is_accepted(term: TerminalSide, owner: Owner) -> None:
    reply = term.intake.handle(owner.command("role.set", CLERK_ROLE, terminal=None))
    assert reply.status == "done"
    assert term.staff.permissions.role("clerk") is not None


def test_same_message_twice_is_done_once(term: TerminalSide, owner: Owner) -> None:
    _provision(term, owner)
    raw = owner.command("catalog.delta", p.CatalogDelta(2, prices=[p.PriceChange("SKU000001", 7)]))
    first = term.intake.handle(raw)
    before = term.state()
    entries = len(term.ledger.entries(limit=10_000))
    again = term.intake.handle(raw)
    assert first.status == again.status == "done"
    assert again.id == first.id and again.result == first.result
    assert term.state() == before
    assert len(term.ledger.entries(limit=10_000)) == entries
    # Even after a restart, from the journal alone.
    term.intake = term.make_intake()
    assert term.intake.handle(raw).status == "done"
    assert len(term.ledger.entries(limit=10_000)) == entries


def _rejected(term: TerminalSide, raw: bytes, code: p.RejectCode) -> p.Reply:
    before = term.state()
    count = len(term.rejections())
    reply = term.intake.handle(raw)
    assert reply.status == "error", reply
    assert reply.error is not None and reply.error.code == code.value, reply.error
    assert reply.error.message
    assert term.state() == before
    rejections = term.rejections()
    assert len(rejections) == count + 1
    assert rejections[-1]["code"] == code.value
    return reply


def test_forged_commands_are_rejected(term: TerminalSide, owner: Owner) -> None:
    _provision(term, owner)
    body = p.StaffSuspend("13800000001")
    stranger = p.Signer.generate()
    _rejected(
        term, owner.command("staff.suspend", body, signer=stranger), p.RejectCode.UNKNOWN_SIGNER
    )

    # Signed by a stranger but claiming the owner's key id.
    raw = json.loads(owner.command("staff.suspend", body, signer=stranger))
    raw["signer"] = owner.signer.key_id
    _rejected(term, json.dumps(raw).encode(), p.RejectCode.BAD_SIGNATURE)

    # A genuine command with one field changed after signing.
    raw = json.loads(owner.command("staff.suspend", body))
    raw["body"]["staff_id"] = "13800000009"
    _rejected(term, json.dumps(raw).encode(), p.RejectCode.BAD_SIGNATURE)
    raw = json.loads(owner.command("staff.suspend", body))
    raw["target"]["terminal"] = "T9"
    _rejected(term, json.dumps(raw).encode(), p.RejectCode.BAD_SIGNATURE)
    assert term.staff.directory.member("13800000001").active


def test_replayed_and_out_of_order_commands_are_rejected(term: TerminalSide, owner: Owner) -> None:
    _provision(term, owner)  # seqs 1-3
    # A new message (new id) reusing an applied sequence number: a replay of an old counter.
    _rejected(
        term,
        owner.command("staff.suspend", p.StaffSuspend("13800000001"), seq=2),
        p.RejectCode.REPLAY,
    )
    assert term.intake.handle(owner.command("role.set", CLERK_ROLE, seq=10)).status == "done"
    # Older than the last applied: out of order.
    _rejected(
        term,
        owner.command("staff.suspend", p.StaffSuspend("13800000001"), seq=9),
        p.RejectCode.REPLAY,
    )
    # Survives a restart of the intake.
    term.intake = term.make_intake()
    _rejected(
        term,
        owner.command("staff.suspend", p.StaffSuspend("13800000001"), seq=10),
        p.RejectCode.REPLAY,
    )
    # The store-wide counter is separate from this terminal's.
    assert (
        term.intake.handle(owner.command("role.set", CLERK_ROLE, seq=1, terminal=None)).status
        == "done"
    )


def test_expired_and_not_yet_valid_commands_are_rejected(term: TerminalSide, owner: Owner) -> None:
    _provision(term, owner)
    body = p.StaffSuspend("13800000001")
    _rejected(
        term,
        owner.command("staff.suspend", body, issued_offset=timedelta(hours=-2)),
        p.RejectCode.EXPIRED,
    )
    raw = owner.command("staff.suspend", body, ttl=timedelta(minutes=10))
    owner.clock.advance(minutes=11)
    _rejected(term, raw, p.RejectCode.EXPIRED)
    _rejected(
        term,
        owner.command("staff.suspend", body, issued_offset=timedelta(hours=1)),
        p.RejectCode.NOT_YET_VALID,
    )


def test_wrong_target_is_rejected(term: TerminalSide, owner: Owner) -> None:
    _provision(term, owner)
    body = p.StaffSuspend("13800000001")
    reply = _rejected(
        term, owner.command("staff.suspend", body, terminal="T2"), p.RejectCode.WRONG_TARGET
    )
    assert reply.error.field == "target.terminal"
    _rejected(term, owner.command("staff.suspend", body, store="S2"), p.RejectCode.WRONG_TARGET)
    _rejected(
        term,
        owner.command("staff.suspend", body, store="S2", terminal=None),
        p.RejectCode.WRONG_TARGET,
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b"", "$"),
        (b"\xff\xfe", "$"),
        (b"null", "$"),
        (b"[1,2]", "$"),
        (b'{"v":1}', "id"),
        (b'{"v":2,"id":"x"}', "v"),
        (b"{" * 5000, "$"),
        (b"[" * 100_000, "$"),
        (b'{"v":1,"v":1}', "v"),
        (b'{"v":NaN}', "$"),
    ],
)
def test_malformed_commands_name_the_field(term: TerminalSide, payload: bytes, field: str) -> None:
    reply = _rejected(term, payload, p.RejectCode.MALFORMED)
    assert reply.error.field == field


def test_bad_body_names_the_field(term: TerminalSide, owner: Owner) -> None:
    raw = json.loads(owner.command("catalog.snapshot", p.CatalogSnapshot(1, 0, 1, [item(1)])))
    raw["body"]["items"][0]["price"] = "12.50"
    reply = _rejected(term, json.dumps(raw).encode(), p.RejectCode.MALFORMED)
    assert reply.error.field == "body.items[0].price"
    raw["type"] = "catalog.burn"
    _rejected(term, json.dumps(raw).encode(), p.RejectCode.UNKNOWN_TYPE)


def test_refused_by_the_service_changes_nothing(term: TerminalSide, owner: Owner) -> None:
    _provision(term, owner)
    # An unknown role: the staff service refuses; the sequence number is not used up.
    raw = owner.command(
        "staff.add", {"staff_id": "13800000002", "name": "Wang", "role": "boss"}, seq=50
    )
    reply = _rejected(term, raw, p.RejectCode.INVALID)
    assert "boss" in reply.error.message
    # Prices for an unknown SKU: refused whole, the known SKU's price is untouched too.
    _rejected(
        term,
        owner.command(
            "catalog.delta",
            p.CatalogDelta(2, prices=[p.PriceChange("SKU000001", 1), p.PriceChange("NOPE", 1)]),
        ),
        p.RejectCode.INVALID,
    )
    fixed = owner.command(
        "staff.add", {"staff_id": "13800000002", "name": "Wang", "role": "clerk"}, seq=50
    )
    assert term.intake.handle(fixed).status == "done"


def test_catalog_snapshot_in_chunks(term: TerminalSide, owner: Owner) -> None:
    items = [item(n, price=n) for n in range(1, 5001)]
    chunks = p.catalog_snapshot_chunks(
        [i.to_item() for i in items],
        version=3,
        tax_classes=[t.to_tax_class() for t in TAXES],
        quick_keys=["SKU000001"],
        chunk_items=2000,
    )
    assert [c.chunk for c in chunks] == [0, 1, 2]
    # Quick keys ride on chunk 0 and name an item in chunk 0.
    for c in chunks:
        reply = term.intake.handle(owner.command("catalog.snapshot", c))
        assert reply.status == "done", reply
    assert term.catalog.count() == 5000
    assert term.catalog.by_sku("SKU004999").price == 4999
    assert [i.sku for i in term.catalog.quick_keys()] == ["SKU000001"]


def test_handle_never_raises_on_journal_failure(term: TerminalSide, owner: Owner) -> None:
    # A rejection whose journal write fails still gets its error reply.
    term.ledger.db.close()
    term.ledger.db.init(str(term.tmp_path / "missing-dir" / "x.sqlite3"))
    reply = term.intake.handle(b"garbage")
    assert reply.status == "error" and reply.error.code == "malformed"
