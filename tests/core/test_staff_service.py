"""Staff management commands: journaled with who made them, checked against the staff right,
available as plain dicts, and snapshots that apply once."""

from __future__ import annotations

import pytest

from terminal.core.errors import InvalidInput, NotFound, PosError
from terminal.core.pins import WeakPin
from terminal.core.rights import PermissionDenied, Right, Verdict
from terminal.core.staff import OWNER, StaffStatus
from terminal.core.staff_checks import StaffError

from .staff_fakes import CARDS, PINS, StaffEnv, snapshot_parts


@pytest.fixture
def env() -> StaffEnv:
    return StaffEnv()


def test_snapshot_provisioned_the_store(env: StaffEnv) -> None:
    assert env.directory.snapshot_version() == 1
    assert {m.staff_id for m in env.directory.members()} == set(PINS)
    last = env.ledger.journal[-1]
    assert last.kind == "staff.snapshot_applied" and last.staff_id is None
    assert last.payload["by"] == OWNER and last.payload["added"] == len(PINS)


def test_add_is_journaled_with_who_made_it(env: StaffEnv) -> None:
    m = env.staff.add(
        {
            "staff_id": "13800138000",
            "name": "Wang Fang",
            "gender": "f",
            "contact": "13800138000",
            "photo": "photos/wang.png",
            "role": "cashier",
        },
        by="mgr1",
        pin="583920",
    )
    assert env.directory.member("13800138000") == m
    saved = env.ledger.of_kind("staff.saved")[-1]
    assert saved.staff_id == "mgr1" and saved.payload["by"] == "mgr1"
    assert saved.payload["change"] == "added"
    assert saved.payload["staff"]["photo"] == "photos/wang.png"
    issued = env.ledger.journal[-1]
    assert issued.kind == "staff.pin_issued" and issued.payload["must_change"] is True
    assert "583920" not in repr(env.ledger.journal)


@pytest.mark.parametrize(
    "data",
    [
        {"staff_id": "", "name": "X", "role": "cashier"},
        {"staff_id": "@owner", "name": "X", "role": "cashier"},
        {"staff_id": "a b", "name": "X", "role": "cashier"},
        {"staff_id": "x1", "name": " ", "role": "cashier"},
        {"staff_id": "x1", "name": "X", "role": "pilot"},
        {"staff_id": "x1", "name": "X", "role": "cashier", "overrides": {"fly": "allow"}},
        {"staff_id": "x1", "name": "X", "role": "cashier", "overrides": {"sale.discount": "maybe"}},
        {
            "staff_id": "x1",
            "name": "X",
            "role": "cashier",
            "overrides": {"sale.discount": {"verdict": "allow", "limits": {"max_bp": -1}}},
        },
    ],
)
def test_bad_records_are_refused_and_change_nothing(env: StaffEnv, data: dict) -> None:
    before = len(env.ledger.journal)
    with pytest.raises(PosError):
        env.staff.add(data, by="mgr1")
    assert len(env.ledger.journal) == before
    assert env.directory.member("x1") is None


def test_duplicate_account_id_and_weak_initial_pin(env: StaffEnv) -> None:
    with pytest.raises(StaffError, match="taken"):
        env.staff.add({"staff_id": "cash1", "name": "Dup", "role": "cashier"}, by="mgr1")
    with pytest.raises(WeakPin):
        env.staff.add({"staff_id": "x1", "name": "X", "role": "cashier"}, by="mgr1", pin="0000")
    assert env.directory.member("x1") is None


def test_update_status_and_history(env: StaffEnv) -> None:
    env.staff.update("cash1", {"contact": "wechat: chenjing"}, by="mgr1")
    assert env.directory.member("cash1").contact == "wechat: chenjing"
    with pytest.raises(StaffError):
        env.staff.update("cash1", {"role": "owner"}, by="mgr1")
    env.staff.suspend("cash1", by="mgr1", reason="till short")
    assert env.directory.member("cash1").status is StaffStatus.SUSPENDED
    env.staff.leave("cash1", by="mgr1")
    assert env.directory.member("cash1").status is StaffStatus.LEFT
    assert env.directory.cards_of("cash1") == []
    with pytest.raises(StaffError):
        env.staff.reactivate("cash1", by="mgr1")
    # Never deleted: still listed, with every change in the journal.
    assert "cash1" in {m.staff_id for m in env.directory.members()}
    changes = [
        e.payload["change"]
        for e in env.ledger.of_kind("staff.saved")
        if e.payload["staff"]["staff_id"] == "cash1"
    ]
    assert changes == ["added", "updated", "suspended", "left"]
    with pytest.raises(PermissionDenied):
        env.staff.suspend("mgr1", by="mgr1")


def test_unknown_target(env: StaffEnv) -> None:
    with pytest.raises(NotFound):
        env.staff.suspend("ghost", by="mgr1")


def test_cards_assign_revoke_and_belong_to_one_clerk(env: StaffEnv) -> None:
    tag = env.staff.assign_card("cash1", "SPARE-BADGE-9", by="mgr1")
    assert len(tag) == 8
    assert env.auth.identify_card("SPARE-BADGE-9").staff_id == "cash1"
    with pytest.raises(StaffError, match="belongs to cash1"):
        env.staff.assign_card("cash2", "SPARE-BADGE-9", by="mgr1")
    assert env.staff.revoke_card("cash1", code="SPARE-BADGE-9", by="mgr1") == [tag]
    with pytest.raises(PosError):
        env.auth.identify_card("SPARE-BADGE-9")
    assert env.ledger.of_kind("staff.card_revoked")[-1].payload == {
        "staff_id": "cash1",
        "card": tag,
        "by": "mgr1",
    }
    with pytest.raises(NotFound):
        env.staff.revoke_card("cash1", tag="deadbeef", by="mgr1")


def test_reset_pin_generates_a_strong_one_shown_once(env: StaffEnv) -> None:
    pin = env.staff.reset_pin("cash1", by="mgr1")
    assert len(pin) == 6
    entry = env.ledger.journal[-1]
    assert entry.kind == "staff.pin_reset" and pin not in repr(entry)
    with pytest.raises(PermissionDenied):
        env.staff.reset_pin("cash2", by="sup1")
    with pytest.raises(PermissionDenied):
        env.staff.reset_pin("mgr1", by="mgr1")


def test_failed_journal_write_leaves_the_old_pin(env: StaffEnv) -> None:
    from terminal.core.ports import LedgerError

    env.ledger.fail_next = LedgerError("disk full")
    with pytest.raises(LedgerError):
        env.staff.reset_pin("cash1", by="mgr1", pin="602913")
    assert env.login("cash1").staff_id == "cash1"


def test_plain_dict_commands(env: StaffEnv) -> None:
    run = env.staff.execute
    assert run(
        {
            "op": "staff.add",
            "staff": {"staff_id": "p1", "name": "Pan", "role": "cashier"},
            "pin": "583920",
        },
        by=OWNER,
    ) == {"ok": True, "staff_id": "p1"}
    assert run({"op": "staff.update", "staff_id": "p1", "changes": {"gender": "m"}}, by=OWNER)["ok"]
    assert (
        run({"op": "staff.set_role", "staff_id": "p1", "role": "senior_cashier"}, by=OWNER)["role"]
        == "senior_cashier"
    )
    assert run(
        {"op": "staff.set_overrides", "staff_id": "p1", "overrides": {"drawer.no_sale": "deny"}},
        by=OWNER,
    )["ok"]
    tag = run({"op": "card.assign", "staff_id": "p1", "code": "PAN-BADGE-01"}, by=OWNER)["card"]
    assert run({"op": "card.revoke", "staff_id": "p1", "tag": tag}, by=OWNER)["cards"] == [tag]
    assert run({"op": "pin.reset", "staff_id": "p1", "pin": "602913"}, by=OWNER) == {"ok": True}
    assert "pin" in run({"op": "pin.reset", "staff_id": "p1"}, by=OWNER)
    assert run({"op": "role.define", "role": {"name": "greeter", "grants": {}}}, by=OWNER)["ok"]
    rec = run(
        {
            "op": "training.record",
            "staff_id": "p1",
            "content": "safety",
            "result": "passed",
            "date": "2026-01-05",
        },
        by=OWNER,
    )["record"]
    assert rec == {
        "date": "2026-01-05",
        "content": "safety",
        "result": "passed",
        "recorded_by": None,
    }
    assert env.directory.member("p1").training[0].content == "safety"
    assert (
        run({"op": "staff.suspend", "staff_id": "p1", "reason": "x"}, by=OWNER)["status"]
        == "suspended"
    )
    with pytest.raises(InvalidInput, match="unknown staff command"):
        run({"op": "staff.explode"}, by=OWNER)
    with pytest.raises(InvalidInput, match="needs 'staff_id'"):
        run({"op": "staff.leave"}, by=OWNER)
    with pytest.raises(PermissionDenied):
        run({"op": "staff.suspend", "staff_id": "cash2"}, by="cash1")


def test_snapshot_same_version_changes_nothing(env: StaffEnv) -> None:
    before = len(env.ledger.journal)
    assert env.staff.apply_snapshot(1, *snapshot_parts())["applied"] is False
    assert len(env.ledger.journal) == before


def test_older_snapshot_is_refused(env: StaffEnv) -> None:
    env.staff.apply_snapshot(3, *snapshot_parts())
    with pytest.raises(StaffError, match="older"):
        env.staff.apply_snapshot(2, *snapshot_parts())


def test_newer_snapshot_applies_only_the_difference(env: StaffEnv) -> None:
    staff, roles, cards = snapshot_parts()
    before = len(env.ledger.journal)
    result = env.staff.apply_snapshot(2, staff, roles, cards)
    assert result["applied"] and result["added"] == result["updated"] == result["pins"] == 0
    assert [e.kind for e in env.ledger.journal[before:]] == ["staff.snapshot_applied"]


def test_snapshot_can_give_a_clerk_a_role_it_defines(env: StaffEnv) -> None:
    staff, _, cards = snapshot_parts()
    staff = [*staff, {"staff_id": "g1", "name": "Gu", "role": "greeter"}]
    roles = [{"name": "greeter", "grants": {"member.lookup": "allow"}}]
    env.staff.apply_snapshot(2, staff, roles, cards)
    assert env.permissions.check("g1", Right.MEMBER_LOOKUP).verdict is Verdict.ALLOW
    assert env.permissions.check("g1", Right.TENDER_CASH).verdict is Verdict.DENY


def test_snapshot_is_the_whole_truth(env: StaffEnv) -> None:
    staff, _, cards = snapshot_parts()
    staff = [s for s in staff if s["staff_id"] != "cash2"]
    for s in staff:
        if s["staff_id"] == "cash1":
            s["role"] = "senior_cashier"
    cards = [c for c in cards if c["staff_id"] not in ("cash2", "sup2")]
    cards.append({"staff_id": "sup2", "code": "SUPCARD-NEW-1"})
    roles = [{"name": "greeter", "label": "Greeter", "grants": {"member.lookup": "allow"}}]
    result = env.staff.apply_snapshot(2, staff, roles, cards)
    assert result["left"] == 1 and result["updated"] == 1 and result["roles"] == 1
    assert result["revoked"] == 2 and result["assigned"] == 1
    assert env.directory.member("cash2").status is StaffStatus.LEFT
    assert env.directory.member("cash1").role == "senior_cashier"
    assert env.auth.identify_card("SUPCARD-NEW-1").staff_id == "sup2"
    with pytest.raises(PosError):
        env.auth.identify_card(CARDS["sup2"])


def test_snapshot_pin_never_undoes_a_pin_the_clerk_chose(env: StaffEnv) -> None:
    env.staff.reset_pin("cash1", by="mgr1", pin="602913")
    env.auth.change_pin("602913", "739184", card=CARDS["cash1"])
    env.staff.apply_snapshot(2, *snapshot_parts())
    env.auth.logout()
    assert env.auth.login("739184", card=CARDS["cash1"]).staff_id == "cash1"


def test_bad_snapshot_changes_nothing(env: StaffEnv) -> None:
    staff, roles, cards = snapshot_parts()
    before = len(env.ledger.journal)
    bad_cases = [
        ([*staff, {"staff_id": "", "name": "X", "role": "cashier"}], roles, cards),
        (staff, [*roles, {"name": "Bad Name"}], cards),
        (staff, roles, [*cards, {"staff_id": "nobody", "code": "CARD-XYZ-1"}]),
        ([dict(s, pin="1111") if s["staff_id"] == "cash1" else s for s in staff], roles, cards),
        (staff, [{"name": "owner", "grants": {}}], cards),
        # A new role and a clerk given a role that does not exist: the role is not saved.
        (
            [*staff, {"staff_id": "x9", "name": "X", "role": "pilot"}],
            [{"name": "greeter", "grants": {}}],
            cards,
        ),
        ([*staff, staff[0]], roles, cards),
    ]
    for case in bad_cases:
        with pytest.raises((PosError, PermissionDenied)):
            env.staff.apply_snapshot(2, *case)
    with pytest.raises(InvalidInput):
        env.staff.apply_snapshot(0, staff, roles, cards)
    # Only the refusal of the owner-role change is on record.
    assert [e.kind for e in env.ledger.journal[before:]] == ["permission.denied"]
    assert env.directory.snapshot_version() == 1


def test_snapshot_by_a_clerk_needs_the_staff_right(env: StaffEnv) -> None:
    with pytest.raises(PermissionDenied):
        env.staff.apply_snapshot(2, *snapshot_parts(), by="cash1")


def test_role_requiring_training(env: StaffEnv) -> None:
    env.staff.define_role(
        {
            "name": "certified",
            "label": "Certified cashier",
            "requires_training": True,
            "grants": {"tender.cash": "allow"},
        },
        by="mgr1",
    )
    with pytest.raises(StaffError, match="training checklist") as caught:
        env.staff.set_role("cash1", "certified", by="mgr1")
    assert caught.value.code == "staff.training_required"
    # A new clerk given such a role starts as a trainee.
    m = env.staff.add({"staff_id": "n1", "name": "Niu", "role": "certified"}, by="mgr1")
    assert m.trainee is True


def test_refused_commands_are_journaled_once(env: StaffEnv) -> None:
    before = len(env.ledger.journal)
    with pytest.raises(PermissionDenied):
        env.staff.execute({"op": "staff.leave", "staff_id": "owner1"}, by="mgr1")
    new = env.ledger.journal[before:]
    assert [e.kind for e in new] == ["permission.denied"]
    assert new[0].staff_id == "mgr1"
    assert new[0].payload["command"] == "execute" and new[0].payload["right"] == "staff.manage"
    with pytest.raises(PermissionDenied):
        env.staff.suspend("cash2", by="cash1")
    assert env.ledger.journal[-1].payload["target"] == "cash2"
