"""Sealed secrets: X25519 + HKDF-SHA256 + ChaCha20-Poly1305 bound to command, terminal, type and
field; and the intake opening them on the real ledger and staff services before the staff
service sees them, refusing (and changing nothing for) any that do not open."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from terminal.core.clock import ManualClock
from terminal.drivers.printer import build_printer
from terminal.drivers.printer.decode import decode
from terminal.link import protocol as p
from terminal.link import sealing
from terminal.link.handlers import badge_handlers
from terminal.link.intake import Intake

from .terminal_side import CLERK_ROLE, Owner, TerminalSide

AD = dict(command_id="c1", store="S1", terminal="T1", type="pin.reset", field="pin")


def test_a_sealed_value_opens_only_with_its_key_and_binding() -> None:
    key = sealing.generate_key()
    token = sealing.seal(key.public_key(), "482913", sealing.associated_data(**AD))
    assert "482913" not in token and token.startswith(sealing.SCHEME + ":")
    assert sealing.open_sealed(key, token, sealing.associated_data(**AD)) == "482913"
    # Two seals of one value differ (a fresh ephemeral key each time).
    assert token != sealing.seal(key.public_key(), "482913", sealing.associated_data(**AD))
    for change in (
        {"command_id": "c2"},
        {"store": "S2"},
        {"terminal": "T2"},
        {"type": "staff.add"},
        {"field": "code"},
    ):
        with pytest.raises(sealing.SealError, match="does not open"):
            sealing.open_sealed(key, token, sealing.associated_data(**{**AD, **change}))
    with pytest.raises(sealing.SealError, match="does not open"):
        sealing.open_sealed(sealing.generate_key(), token, sealing.associated_data(**AD))


def test_every_altered_byte_and_malformed_token_is_refused() -> None:
    key = sealing.generate_key()
    ad = sealing.associated_data(**AD)
    token = sealing.seal(key.public_key(), "STFABCDEFGHJKLMN", ad)
    scheme, _, body = token.partition(":")
    blob = base64.b64decode(body)
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(sealing.SealError):
            sealing.open_sealed(key, f"{scheme}:{base64.b64encode(bytes(bad)).decode()}", ad)
    for junk in (
        "",
        "482913",
        "other-scheme:AAAA",
        f"{scheme}:not base64!",
        f"{scheme}:" + base64.b64encode(b"short").decode(),
        f"{scheme}:" + base64.b64encode(bytes(32) + bytes(20)).decode(),  # low-order point
        f"{scheme}:" + "A" * 5000,
    ):
        with pytest.raises(sealing.SealError):
            sealing.open_sealed(key, junk, ad)


def test_key_files_and_texts(tmp_path: Path) -> None:
    key = sealing.generate_key()
    path = tmp_path / "seal.key"
    path.write_bytes(sealing.private_pem(key))
    loaded = sealing.load_private_key(path)
    assert sealing.public_key_text(loaded) == sealing.public_key_text(key)
    pub = sealing.load_public_key(sealing.public_key_text(key))
    token = sealing.seal(pub, "x", b"ad")
    assert sealing.open_sealed(loaded, token, b"ad") == "x"
    with pytest.raises(sealing.SealError, match="cannot read"):
        sealing.load_private_key(tmp_path / "missing.key")
    (tmp_path / "ed.key").write_bytes(p.Signer.generate().private_pem())
    with pytest.raises(sealing.SealError, match="not an X25519"):
        sealing.load_private_key(tmp_path / "ed.key")
    for bad in ("ed25519:AAAA", "x25519:***", "x25519:" + base64.b64encode(b"abc").decode()):
        with pytest.raises(sealing.SealError):
            sealing.load_public_key(bad)


# --- the intake ------------------------------------------------------------------------------


@pytest.fixture
def owner() -> Owner:
    return Owner(p.Signer.generate(), ManualClock())


@pytest.fixture
def seal_key() -> Any:
    return sealing.generate_key()


@pytest.fixture
def term(tmp_path: Path, owner: Owner, seal_key: Any) -> TerminalSide:
    side = TerminalSide(tmp_path, owner.signer, owner.clock, owner)
    side.intake = _intake(side, seal_key)
    return side


def _intake(side: TerminalSide, key: Any, handlers: dict[str, Any] | None = None) -> Intake:
    base = side.make_intake()
    intake = Intake(
        store_id="S1",
        terminal_id="T1",
        ledger=side.ledger,
        trusted=side.trusted,
        clock=side.clock,
        handlers={**{t: base._handlers[t] for t in base.handled_types()}, **(handlers or {})},
        seal_key=key,
    )
    intake.load()
    return intake


def sealed_command(
    owner: Owner,
    type_: str,
    body: dict[str, Any],
    secrets: dict[str, str],
    key: Any,
    *,
    terminal: str | None = "T1",
    seal_for: dict[str, Any] | None = None,
    tamper: bool = False,
) -> bytes:
    """What posctl sends: the secrets sealed to ``key`` and bound to this command; ``seal_for``
    changes the binding (a value sealed for another command or terminal), ``tamper`` flips one
    ciphertext bit. Either way the owner signs the result, so only the seal can catch it."""
    cmd_id = str(uuid.uuid4())
    sealed = {}
    for name, value in secrets.items():
        ad = dict(command_id=cmd_id, store="S1", terminal=terminal, type=type_, field=name)
        ad.update(seal_for or {})
        token = sealing.seal(key.public_key(), value, sealing.associated_data(**ad))
        if tamper:
            scheme, _, b64 = token.partition(":")
            blob = bytearray(base64.b64decode(b64))
            blob[-1] ^= 0x80
            token = f"{scheme}:{base64.b64encode(bytes(blob)).decode()}"
        sealed[name] = token
    return owner.command(type_, {**body, "sealed": sealed}, terminal=terminal, id_=cmd_id)


CARD = "STFQWERTY23"


def _clerk(term: TerminalSide, owner: Owner, key: Any, pin: str = "482913") -> None:
    assert term.intake.handle(owner.command("role.set", CLERK_ROLE)).status == "done"
    data = sealed_command(
        owner, "staff.add", {"staff_id": "s1", "name": "Li Na", "role": "clerk"}, {"pin": pin}, key
    )
    assert pin.encode() not in data
    reply = term.intake.handle(data)
    assert reply.status == "done", reply
    data = sealed_command(owner, "card.assign", {"staff_id": "s1"}, {"code": CARD}, key)
    assert CARD.encode() not in data
    assert term.intake.handle(data).status == "done"


def test_sealed_pin_and_card_code_open_and_the_clerk_logs_in(
    term: TerminalSide, owner: Owner, seal_key: Any
) -> None:
    _clerk(term, owner, seal_key)
    assert term.staff.auth.verify("482913", card=CARD)[0].staff_id == "s1"
    data = sealed_command(
        owner, "pin.reset", {"staff_id": "s1", "must_change": True}, {"pin": "739164"}, seal_key
    )
    assert b"739164" not in data
    assert term.intake.handle(data).status == "done"
    member, cred = term.staff.auth.verify("739164", card=CARD)
    assert member.staff_id == "s1" and cred.must_change
    # No opened secret reaches the journal.
    journal = term.ledger.db.execute_sql("SELECT payload FROM journal").fetchall()
    assert not any("739164" in row[0] or CARD in row[0] for row in journal)


@pytest.mark.parametrize(
    ("how", "field"),
    [
        ({"tamper": True}, "body.sealed.pin"),
        ({"seal_for": {"terminal": "T2"}}, "body.sealed.pin"),
        ({"seal_for": {"command_id": "another"}}, "body.sealed.pin"),
        ({"seal_for": {"field": "code"}}, "body.sealed.pin"),
    ],
)
def test_a_seal_that_does_not_open_is_refused_and_changes_nothing(
    term: TerminalSide, owner: Owner, seal_key: Any, how: dict[str, Any], field: str
) -> None:
    _clerk(term, owner, seal_key)
    before = term.state()
    data = sealed_command(
        owner, "pin.reset", {"staff_id": "s1"}, {"pin": "739164"}, seal_key, **how
    )
    reply = term.intake.handle(data)
    assert reply.status == "error" and reply.error is not None
    assert (reply.error.code, reply.error.field) == ("bad_seal", field)
    assert term.state() == before
    assert term.rejections()[-1]["code"] == "bad_seal"
    assert term.staff.auth.verify("482913", card=CARD)[0].staff_id == "s1"


def test_a_terminal_without_a_sealing_key_refuses_sealed_fields(
    tmp_path: Path, owner: Owner, seal_key: Any
) -> None:
    side = TerminalSide(tmp_path, owner.signer, owner.clock, sealing_key=False)
    before = side.state()
    data = sealed_command(
        owner,
        "staff.add",
        {"staff_id": "s1", "name": "Li", "role": "cashier"},
        {"pin": "482913"},
        seal_key,
    )
    reply = side.intake.handle(data)
    assert reply.error is not None and reply.error.code == "bad_seal"
    assert "posctl terminal enroll" in reply.error.message
    assert side.state() == before


def _signed_unchecked(owner: Owner, type_: str, body: dict[str, Any]) -> bytes:
    """A correctly signed command whose body ``sign_command`` would refuse to build."""
    owner.seq += 1
    now = owner.clock.now()
    unsigned = {
        "v": p.PROTOCOL_VERSION,
        "id": str(uuid.uuid4()),
        "type": type_,
        "target": {"store": "S1", "terminal": "T1"},
        "issued_at": p.format_time(now),
        "expires_at": p.format_time(now + timedelta(hours=1)),
        "seq": owner.seq,
        "signer": owner.signer.key_id,
        "body": body,
    }
    sig = owner.signer.sign(p.canonical_json(unsigned))
    return p.canonical_json({**unsigned, "sig": base64.b64encode(sig).decode()})


def test_sealed_field_rules_are_checked_before_anything_opens(
    term: TerminalSide, owner: Owner, seal_key: Any
) -> None:
    _clerk(term, owner, seal_key)
    before = term.state()
    for body, field, words in (
        ({"staff_id": "s1", "pin": "1", "sealed": {"pin": "x"}}, "body.sealed.pin", "in clear"),
        ({"staff_id": "s1", "sealed": {"staff_id": "x"}}, "body.sealed.staff_id", "cannot be"),
        ({"staff_id": "s1", "sealed": {"pin": ""}}, "body.sealed.pin", "1-4096"),
    ):
        with pytest.raises(p.ValidationError, match=words):
            owner.command("pin.reset", body)
        reply = term.intake.handle(_signed_unchecked(owner, "pin.reset", body))
        assert reply.error is not None, body
        assert (reply.error.code, reply.error.field) == ("malformed", field)
        assert words in reply.error.message
    reply = term.intake.handle(_signed_unchecked(owner, "card.assign", {"staff_id": "s1"}))
    assert reply.error is not None and reply.error.field == "body.code"
    store_wide = sealed_command(
        owner, "pin.reset", {"staff_id": "s1"}, {"pin": "1"}, seal_key, terminal=None
    )
    reply = term.intake.handle(store_wide)
    assert reply.error is not None and reply.error.code == "bad_seal"
    assert term.state() == before


def test_badge_print_without_a_printer_says_so(
    term: TerminalSide, owner: Owner, seal_key: Any
) -> None:
    term.intake = _intake(term, seal_key, badge_handlers(None))
    data = sealed_command(
        owner, "badge.print", {"staff_id": "s1", "name": "Li Na"}, {"code": "STFX"}, seal_key
    )
    reply = term.intake.handle(data)
    assert reply.error is not None and reply.error.code == "invalid"
    assert "no receipt printer" in reply.error.message


def test_badge_print_prints_on_the_simulated_printer(
    term: TerminalSide, owner: Owner, seal_key: Any, tmp_path: Path
) -> None:
    printer = build_printer({"profile": "80mm"}, tmp_path / "dev", term.clock, simulated=True)
    try:
        term.intake = _intake(term, seal_key, badge_handlers(printer))
        for _ in range(2):  # a second command is a reprint, not a duplicate job
            data = sealed_command(
                owner,
                "badge.print",
                {
                    "staff_id": "s1",
                    "name": "Li Na",
                    "role_label": "Cashier",
                    "symbology": "code128",
                },
                {"code": "STFCODE128"},
                seal_key,
            )
            reply = term.intake.handle(data)
            assert reply.status == "done", reply
            assert reply.result["job"].startswith("badge:s1:")
        assert printer.wait_idle(10)
    finally:
        printer.stop()
    text = decode((tmp_path / "dev" / "printer" / "out.bin").read_bytes())
    assert text.count("[BARCODE CODE128:STFCODE128]") == 2
    assert text.count("Li Na") == 2 and "Cashier" in text
    with pytest.raises(p.ValidationError, match="printable ASCII"):
        p.from_json(
            p.BadgePrint, {"staff_id": "s", "name": "n", "code": "码", "symbology": "code128"}
        )
