"""Refused commands change nothing, secrets come only sealed, and settings are checked as the
terminal checks them at start-up: each case of the attack report, on the real ledger, catalog
and staff services, comparing a dump of everything a command could change before and after."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from terminal.core.clock import ManualClock
from terminal.link import protocol as p

from .terminal_side import CLERK_ROLE, TAXES, Owner, TerminalSide, item

CLERK = "13800000001"


@pytest.fixture
def owner() -> Owner:
    return Owner(p.Signer.generate(), ManualClock())


@pytest.fixture
def term(tmp_path: Path, owner: Owner) -> TerminalSide:
    side = TerminalSide(tmp_path, owner.signer, owner.clock, owner)
    for kind, body, secrets in (
        ("role.set", CLERK_ROLE, None),
        ("staff.add", {"staff_id": CLERK, "name": "Li Na", "role": "clerk"}, {"pin": "482913"}),
        ("catalog.snapshot", p.CatalogSnapshot(1, 0, 1, [item(1)], tax_classes=TAXES), None),
    ):
        assert side.intake.handle(owner.command(kind, body, secrets=secrets)).status == "done"
    return side


def _refused(term: TerminalSide, data: bytes, code: str) -> p.Reply:
    before = term.state()
    rejected = len(term.rejections())
    reply = term.intake.handle(data)
    assert reply.status == "error" and reply.error is not None, reply
    assert reply.error.code == code, reply.error
    assert term.state() == before
    assert len(term.rejections()) == rejected + 1
    return reply


# --- refused commands change nothing --------------------------------------------------------


def test_staff_update_with_an_unknown_role_does_not_rename(
    term: TerminalSide, owner: Owner
) -> None:
    data = owner.command("staff.update", p.StaffUpdate(CLERK, {"name": "Mallory", "role": "boss"}))
    reply = _refused(term, data, "invalid")
    assert "boss" in reply.error.message
    assert term.staff.directory.member(CLERK).name == "Li Na"


def test_catalog_snapshot_with_an_unknown_quick_key_writes_nothing(
    term: TerminalSide, owner: Owner
) -> None:
    body = p.CatalogSnapshot(
        2,
        0,
        1,
        [item(5), item(6)],
        tax_classes=[p.TaxClassBody("reduced", 600, True, "VAT 6%")],
        quick_keys=["SKU000005", "NOPE"],
    )
    reply = _refused(term, owner.command("catalog.snapshot", body), "invalid")
    assert "NOPE" in reply.error.message
    assert term.catalog.by_sku("SKU000005") is None
    assert not term.ledger.entries_of_kind("catalog.applied")[1:]


def test_a_zero_rate_with_an_absurd_price_leaves_vat_alone(
    term: TerminalSide, owner: Owner
) -> None:
    body = p.to_json(
        p.CatalogSnapshot(2, 0, 1, [item(5)], tax_classes=[p.TaxClassBody("standard", 0)])
    )
    body["items"][0]["price"] = 10**30
    # Signed as an owner's key signs anything (the owner's own tool would refuse the body).
    data = json.loads(owner.command("catalog.snapshot", p.CatalogSnapshot(2, 0, 1, [item(5)])))
    data["body"] = body
    _refused(term, _resign(owner, data), "malformed")
    assert term.catalog.tax_class("standard").rate_bp == 1300


def test_a_handler_failing_after_its_first_writes_is_rolled_back_whole(
    term: TerminalSide, owner: Owner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(skus: Any) -> None:
        raise OSError("disk I/O error")

    monkeypatch.setattr(term.catalog, "set_quick_keys", broken)
    body = p.CatalogSnapshot(
        2, 0, 1, [item(5)], tax_classes=[p.TaxClassBody("standard", 0)], quick_keys=["SKU000005"]
    )
    reply = _refused(term, owner.command("catalog.snapshot", body), "failed")
    assert "disk I/O error" in reply.error.message
    assert term.catalog.tax_class("standard").rate_bp == 1300
    assert term.catalog.by_sku("SKU000005") is None
    # Not remembered as applied: the same command is acted on when sent again and works.
    monkeypatch.undo()
    assert term.intake.handle(owner.command("catalog.snapshot", body)).status == "done"
    assert term.catalog.by_sku("SKU000005") is not None


def _resign(owner: Owner, obj: dict[str, Any]) -> bytes:
    import base64

    unsigned = {k: v for k, v in obj.items() if k != "sig"}
    sig = owner.signer.sign(p.dumps_canonical(unsigned))
    return p.dumps_canonical({**unsigned, "sig": base64.b64encode(sig).decode()})


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"language": "xx"}, "language"),
        ({"currency": "XXXX"}, "currency"),
        ({"cash_rounding_step": "10"}, "int"),
        ({"merge_lines": 1}, "bool"),
        ({"quick_cash_denominations": [100, "200"]}, "int"),
        ({"cash_rounding_mode": "sideways"}, "half_up"),
        ({"scan_rules": {"staff_prefix": 5}}, "staff_prefix"),
        ({"store_name": "Shop", "business_day_start_hour": 24}, "0-23"),
    ],
)
def test_settings_the_till_could_not_start_with_are_refused(
    term: TerminalSide, owner: Owner, values: dict[str, Any], needle: str
) -> None:
    reply = _refused(term, owner.command("settings.set", p.SettingsSet(values)), "invalid")
    assert needle in reply.error.message.replace("timezone", "time zone")
    assert term.settings_seen == []


def test_good_settings_apply(term: TerminalSide, owner: Owner) -> None:
    values = {"timezone": "Europe/Berlin", "language": "en", "cash_rounding_mode": "down"}
    reply = term.intake.handle(owner.command("settings.set", p.SettingsSet(values)))
    assert reply.status == "done"
    assert term.settings_seen == [values]


# --- secrets only sealed --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("staff.add", {"staff_id": "s2", "name": "Wang", "role": "clerk", "pin": "482913"}, "pin"),
        ("card.assign", {"staff_id": CLERK, "code": "STF-0002"}, "code"),
        ("pin.reset", {"staff_id": CLERK, "pin": "739164"}, "pin"),
        (
            "badge.print",
            {"staff_id": CLERK, "name": "Li Na", "code": "STF-0002"},
            "code",
        ),
    ],
)
def test_clear_secrets_are_refused(
    term: TerminalSide, owner: Owner, kind: str, body: dict[str, Any], field: str
) -> None:
    if kind == "badge.print":
        from terminal.link.handlers import badge_handlers

        term.intake.register(kind, badge_handlers(None)["badge.print"])
    reply = _refused(term, owner.command(kind, body), "clear_secret")
    assert reply.error.field == f"body.{field}" and "sealed" in reply.error.message


@pytest.mark.parametrize(
    ("secret_at", "entry"),
    [
        ("staff", {"pin": "482913"}),
        ("cards", {"code": "STF-0002"}),
    ],
)
def test_a_staff_snapshot_with_clear_secrets_is_refused(
    term: TerminalSide, owner: Owner, secret_at: str, entry: dict[str, Any]
) -> None:
    staff = [{"staff_id": CLERK, "name": "Li Na", "role": "clerk"}]
    cards: list[dict[str, Any]] = [{"staff_id": CLERK}]
    if secret_at == "staff":
        staff[0].update(entry)
        cards = []
    else:
        cards[0].update(entry)
    body = p.StaffSnapshot(1, staff, cards=cards)
    reply = _refused(term, owner.command("staff.snapshot", body), "clear_secret")
    assert reply.error.field == f"body.{secret_at}[0].{next(iter(entry))}"


def test_a_sealed_staff_snapshot_applies(term: TerminalSide, owner: Owner) -> None:
    staff = [
        {"staff_id": CLERK, "name": "Li Na", "role": "clerk"},
        {"staff_id": "s2", "name": "Wang Fang", "role": "clerk", "must_change_pin": False},
    ]
    body = p.StaffSnapshot(1, staff, cards=[{"staff_id": "s2"}])
    secrets = {"staff[1].pin": "615243", "cards[0].code": "STF-0002"}
    data = owner.command("staff.snapshot", body, secrets=secrets)
    assert b"615243" not in data and b"STF-0002" not in data
    reply = term.intake.handle(data)
    assert reply.status == "done", reply
    member, _ = term.staff.auth.verify("615243", card="STF-0002")
    assert member.staff_id == "s2"
    # A sealed value moved to another entry does not open.
    moved = json.loads(owner.command("staff.snapshot", p.StaffSnapshot(2, staff), secrets={}))
    token = json.loads(data)["body"]["staff"][1]["sealed"]
    moved["body"]["staff"][0]["sealed"] = token
    _refused(term, _resign(owner, moved), "bad_seal")


def test_pin_reset_replies_without_the_pin(term: TerminalSide, owner: Owner) -> None:
    card = owner.command("card.assign", p.CardAssign(CLERK), secrets={"code": "STF-0009"})
    assert term.intake.handle(card).status == "done"
    data = owner.command("pin.reset", p.PinReset(CLERK), secrets={"pin": "739164"})
    reply = term.intake.handle(data)
    assert reply.status == "done"
    assert "739164" not in p.encode_reply(reply).decode()
    member, cred = term.staff.auth.verify("739164", card="STF-0009")
    assert member.staff_id == CLERK and cred.must_change


def test_pin_reset_without_a_pin_is_refused(term: TerminalSide, owner: Owner) -> None:
    data = json.loads(owner.command("pin.reset", p.PinReset(CLERK), secrets={"pin": "739164"}))
    del data["body"]["sealed"]
    reply = _refused(term, _resign(owner, data), "malformed")
    assert reply.error.field == "body.sealed.pin"


# --- no owner accounts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "body", "secrets"),
    [
        ("staff.add", {"staff_id": "s9", "name": "Boss", "role": "owner"}, {"pin": "482913"}),
        ("staff.update", {"staff_id": CLERK, "changes": {"role": "owner"}}, None),
        (
            "staff.snapshot",
            {"version": 1, "staff": [{"staff_id": CLERK, "name": "Li", "role": "owner"}]},
            None,
        ),
    ],
)
def test_no_account_gets_the_owner_role(
    term: TerminalSide, owner: Owner, kind: str, body: dict[str, Any], secrets: Any
) -> None:
    data = json.loads(owner.command("role.set", CLERK_ROLE))
    data.update(type=kind, body=body)
    if secrets:
        data["body"] = {**body, "sealed": {"pin": "x25519-hkdf-chacha20poly1305:AAAA"}}
    reply = _refused(term, _resign(owner, data), "malformed")
    assert "owner" in reply.error.message
    assert term.staff.directory.member("s9") is None
    assert term.staff.directory.member(CLERK).role == "clerk"


def test_the_settings_checks_are_the_configuration_files() -> None:
    from terminal.config.schema import section
    from terminal.core.money import Rounding
    from terminal.core.settings import LANGUAGES

    assert section("terminal").key("language").choices == LANGUAGES
    modes = section("store").key("cash_rounding_mode").choices
    assert set(modes) == {m.value for m in Rounding}


def test_a_bad_setting_journaled_before_these_checks_does_not_stop_the_till() -> None:
    # A journal written by older software may hold settings.applied values these checks now
    # refuse: start-up logs and skips them, keeping the configuration file's value.
    from terminal.app.settings import with_provisioned
    from terminal.core.settings import StoreSettings

    base = StoreSettings()
    got = with_provisioned(
        base, {"timezone": "Mars/Olympus", "language": "xx", "store_name": "Corner Shop"}
    )
    assert (got.timezone, got.language, got.store_name) == (
        base.timezone,
        base.language,
        "Corner Shop",
    )
    got.business_day_start(datetime.now(UTC))  # what every cash payment does


def test_posctl_seals_a_staff_snapshot_the_terminal_opens(term: TerminalSide, owner: Owner) -> None:
    import uuid

    from provisioning.remote import _with_secrets

    cmd_id = str(uuid.uuid4())
    staff = [{"staff_id": "s3", "name": "Zhao", "role": "clerk"}]
    raw = p.to_json(p.StaffSnapshot(1, staff, cards=[{"staff_id": "s3"}]))
    assert owner.seal_to is not None
    body = _with_secrets(
        raw,
        {"staff[0].pin": "918273", "cards[0].code": "STF-0003"},
        owner.seal_to,
        cmd_id,
        p.Target("S1", "T1"),
        "staff.snapshot",
    )
    data = owner.command("staff.snapshot", body, id_=cmd_id)
    assert b"918273" not in data and b"STF-0003" not in data
    assert term.intake.handle(data).status == "done"
    assert term.staff.auth.verify("918273", card="STF-0003")[0].staff_id == "s3"
