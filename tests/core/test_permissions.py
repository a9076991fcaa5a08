"""The permission gate, called directly as core services call it: every right of every built-in
role, every limit at and above its value, overrides, approvals and the no-escalation rule."""

from __future__ import annotations

import itertools

import pytest

from terminal.core.permissions import RIGHTS, Permissions, builtin_roles, grant_excess
from terminal.core.rights import (
    Approval,
    ApprovalRequired,
    PermissionDenied,
    Right,
    Verdict,
)
from terminal.core.staff import OWNER, Grant

from .staff_fakes import StaffEnv

ROLE_OF = {
    "cashier": "cash1",
    "senior_cashier": "senior1",
    "supervisor": "sup1",
    "manager": "mgr1",
    "owner": "owner1",
}


@pytest.fixture
def env() -> StaffEnv:
    return StaffEnv()


def test_registry_declares_every_right() -> None:
    assert set(RIGHTS) == set(Right)
    for role in builtin_roles().values():
        assert set(role.grants) == set(Right), role.name


def test_builtin_roles_rise_in_rights() -> None:
    roles = builtin_roles()
    order = ["cashier", "senior_cashier", "supervisor", "manager", "owner"]
    for lower, higher in itertools.pairwise(order):
        assert grant_excess(roles[higher].grants, roles[lower].grants) == [], (lower, higher)
        assert grant_excess(roles[lower].grants, roles[higher].grants) != [], (lower, higher)


@pytest.mark.parametrize("role_name", sorted(ROLE_OF))
@pytest.mark.parametrize("right", list(Right))
def test_every_right_and_limit_of_every_builtin_role(
    env: StaffEnv, role_name: str, right: Right
) -> None:
    staff_id = ROLE_OF[role_name]
    grant = builtin_roles()[role_name].grants[right]
    spec = RIGHTS[right]
    plain = env.permissions.check(staff_id, right)
    assert plain.verdict is grant.verdict
    cap = grant.limits.get(spec.limits[0]) if spec.limits else None
    if grant.verdict is Verdict.DENY or cap is None:
        return
    at = env.permissions.check(staff_id, right, amount=cap)
    above = env.permissions.check(staff_id, right, amount=cap + 1)
    assert at.verdict is grant.verdict
    assert above.verdict is Verdict.APPROVAL
    assert above.limit == cap
    assert "over your" in above.reason


def test_denied_and_approval_decisions_are_journaled(env: StaffEnv) -> None:
    before = len(env.ledger.journal)
    env.permissions.check("cash1", Right.REPORT_Z)
    env.permissions.check("cash1", Right.REFUND_WITH_RECEIPT, amount=20_001)
    env.permissions.check("cash1", Right.TENDER_CASH)
    new = env.ledger.journal[before:]
    assert [e.kind for e in new] == ["permission.denied", "permission.approval_required"]
    assert new[0].staff_id == "cash1" and new[0].payload["right"] == "report.z"
    assert new[1].payload["amount"] == 20_001 and new[1].payload["limit"] == 20_000


def test_refund_cap_message_names_the_cap(env: StaffEnv) -> None:
    d = env.permissions.check("cash1", Right.REFUND_WITH_RECEIPT, amount=25_000)
    assert d.verdict is Verdict.APPROVAL
    assert "¥200.00" in d.reason


def test_discount_limit_is_in_basis_points(env: StaffEnv) -> None:
    assert env.permissions.check("cash1", Right.DISCOUNT, amount=500).verdict is Verdict.ALLOW
    d = env.permissions.check("cash1", Right.DISCOUNT, amount=501)
    assert d.verdict is Verdict.APPROVAL and "5%" in d.reason


def test_daily_collection_compares_the_days_whole_collection(env: StaffEnv) -> None:
    # Checkout passes what the clerk collected today plus the payment at hand.
    p = env.permissions
    assert p.check("cash1", Right.DAILY_COLLECTION, amount=5_000_000).verdict is Verdict.ALLOW
    d = p.check("cash1", Right.DAILY_COLLECTION, amount=5_000_001)
    assert d.verdict is Verdict.APPROVAL and "¥50,000.00" in d.reason


def test_receipt_age_is_a_second_limit(env: StaffEnv) -> None:
    p = env.permissions
    assert p.check_limit("cash1", Right.REFUND_WITH_RECEIPT, "max_age_days", 7).verdict is (
        Verdict.ALLOW
    )
    assert p.check_limit("cash1", Right.REFUND_WITH_RECEIPT, "max_age_days", 8).verdict is (
        Verdict.APPROVAL
    )
    assert p.check_limit("sup1", Right.REFUND_WITH_RECEIPT, "max_age_days", 8).verdict is (
        Verdict.ALLOW
    )


def test_unknown_suspended_and_left_clerks_may_do_nothing(env: StaffEnv) -> None:
    assert env.permissions.check("nobody", Right.TENDER_CASH).verdict is Verdict.DENY
    env.staff.suspend("cash1", by="mgr1")
    d = env.permissions.check("cash1", Right.TENDER_CASH)
    assert d.verdict is Verdict.DENY and "suspended" in d.reason
    env.staff.leave("cash2", by="mgr1")
    assert env.permissions.check("cash2", Right.TENDER_CASH).verdict is Verdict.DENY


def test_trainee_rights_hold_only_in_training(env: StaffEnv) -> None:
    assert env.permissions.check("trainee1", Right.TENDER_CASH).verdict is Verdict.DENY
    assert env.permissions.check("trainee1", Right.TENDER_CASH, training=True).verdict is (
        Verdict.ALLOW
    )


def test_override_replaces_the_role_grant(env: StaffEnv) -> None:
    env.staff.set_overrides(
        "cash1",
        {
            "drawer.no_sale": "allow",
            "sale.discount": {"verdict": "allow", "limits": {"max_bp": 1000}},
        },
        by="mgr1",
    )
    assert env.permissions.check("cash1", Right.NO_SALE).verdict is Verdict.ALLOW
    assert env.permissions.check("cash1", Right.DISCOUNT, amount=900).verdict is Verdict.ALLOW
    # Other cashiers keep the role's grants.
    assert env.permissions.check("cash2", Right.NO_SALE).verdict is Verdict.APPROVAL
    env.staff.set_overrides("cash1", {"tender.card": "deny"}, by="mgr1")
    assert env.permissions.check("cash1", Right.TENDER_CARD).verdict is Verdict.DENY
    assert env.permissions.check("cash1", Right.NO_SALE).verdict is Verdict.APPROVAL


def test_require_raises_and_accepts_only_a_valid_approval(env: StaffEnv) -> None:
    p = env.permissions
    with pytest.raises(PermissionDenied):
        p.require("cash1", Right.REPORT_Z)
    with pytest.raises(ApprovalRequired) as caught:
        p.require("cash1", Right.VOID_SALE)
    assert caught.value.decision.right is Right.VOID_SALE
    # The clerk cannot approve themselves, a peer cashier holds it only as "approval", and a
    # made-up approver does not exist.
    for bogus in ("cash1", "cash2", "ghost"):
        with pytest.raises(PermissionDenied):
            p.require("cash1", Right.VOID_SALE, approval=Approval(bogus, "other"))
    assert p.require("cash1", Right.VOID_SALE, approval=Approval("senior1", "other")).verdict is (
        Verdict.APPROVAL
    )
    # Over the refund cap, the approver's own cap must cover the amount.
    with pytest.raises(PermissionDenied):
        p.require(
            "cash1", Right.REFUND_WITH_RECEIPT, amount=150_000, approval=Approval("senior1", "x")
        )
    p.require("cash1", Right.REFUND_WITH_RECEIPT, amount=150_000, approval=Approval("sup1", "x"))


def test_owner_authority_holds_everything(env: StaffEnv) -> None:
    for right in Right:
        assert env.permissions.check(OWNER, right, amount=10**12).verdict is Verdict.ALLOW


def test_custom_role_and_unknown_role(env: StaffEnv) -> None:
    env.staff.define_role(
        {
            "name": "stock_clerk",
            "label": "Stock clerk",
            "grants": {"member.lookup": "allow", "sale.void_line": "approval"},
        },
        by="mgr1",
    )
    env.staff.add({"staff_id": "stock1", "name": "Su Lin", "role": "stock_clerk"}, by="mgr1")
    p = env.permissions
    assert p.check("stock1", Right.MEMBER_LOOKUP).verdict is Verdict.ALLOW
    assert p.check("stock1", Right.VOID_LINE).verdict is Verdict.APPROVAL
    assert p.check("stock1", Right.TENDER_CASH).verdict is Verdict.DENY
    assert [r.name for r in p.roles()].count("stock_clerk") == 1


# --- no escalation ---------------------------------------------------------------------------


def test_nobody_grants_more_than_they_hold(env: StaffEnv) -> None:
    with pytest.raises(PermissionDenied, match="cannot grant more"):
        env.staff.define_role(
            {"name": "super", "grants": {"sale.discount": {"verdict": "allow"}}}, by="mgr1"
        )
    # The manager's discount cap is 100 %, so an unlimited discount is beyond it; a capped one
    # is fine.
    env.staff.define_role(
        {
            "name": "super",
            "grants": {"sale.discount": {"verdict": "allow", "limits": {"max_bp": 2000}}},
        },
        by="mgr1",
    )


def test_supervisor_without_staff_right_can_change_nothing(env: StaffEnv) -> None:
    with pytest.raises(PermissionDenied):
        env.staff.set_role("cash1", "senior_cashier", by="sup1")
    with pytest.raises(PermissionDenied):
        env.staff.add({"staff_id": "x1", "name": "X", "role": "cashier"}, by="cash1")


def test_granter_limited_by_own_rights_through_overrides(env: StaffEnv) -> None:
    # A manager whose refund-without-receipt right is narrowed cannot hand out a wider one.
    env.staff.set_overrides(
        "mgr1",
        {"refund.without_receipt": {"verdict": "allow", "limits": {"max": 10_000}}},
        by="owner1",
    )
    with pytest.raises(PermissionDenied, match="refund without receipt"):
        env.staff.set_overrides(
            "cash1",
            {"refund.without_receipt": {"verdict": "allow", "limits": {"max": 20_000}}},
            by="mgr1",
        )
    with pytest.raises(PermissionDenied):
        env.staff.set_role("cash1", "supervisor", by="mgr1")
    env.staff.set_overrides(
        "cash1",
        {"refund.without_receipt": {"verdict": "allow", "limits": {"max": 10_000}}},
        by="mgr1",
    )
    with pytest.raises(PermissionDenied):
        env.staff.define_role(
            {"name": "x", "grants": {"refund.without_receipt": "allow"}}, by="mgr1"
        )


def test_manager_cannot_touch_the_owner_or_edit_the_owner_role(env: StaffEnv) -> None:
    with pytest.raises(PermissionDenied):
        env.staff.suspend("owner1", by="mgr1")
    with pytest.raises(PermissionDenied):
        env.staff.reset_pin("owner1", by="mgr1")
    with pytest.raises(PermissionDenied):
        env.staff.define_role({"name": "owner", "grants": {}}, by="owner1")
    with pytest.raises(PermissionDenied):
        env.staff.set_role("mgr1", "owner", by="mgr1")


def test_redefining_a_role_needs_cover_for_old_and_new(env: StaffEnv) -> None:
    # Narrow the manager so the supervisor role is now beyond them: they may not edit it.
    env.staff.set_overrides("mgr1", {"report.z": "deny"}, by="owner1")
    sup = env.permissions.role("supervisor")
    assert sup is not None
    narrowed = {**sup.to_payload(), "grants": {"tender.cash": "allow"}}
    with pytest.raises(PermissionDenied):
        env.staff.define_role(narrowed, by="mgr1")
    env.staff.define_role(narrowed, by="owner1")
    assert env.permissions.check("sup1", Right.REPORT_Z).verdict is Verdict.DENY


def test_grant_excess_compares_verdicts_and_limits() -> None:
    have = {
        Right.DISCOUNT: Grant(Verdict.ALLOW, {"max_bp": 500}),
        Right.VOID_SALE: Grant(Verdict.APPROVAL),
    }
    assert grant_excess(have, {Right.DISCOUNT: Grant(Verdict.ALLOW, {"max_bp": 500})}) == []
    assert grant_excess(have, {Right.DISCOUNT: Grant(Verdict.ALLOW, {"max_bp": 501})})
    assert grant_excess(have, {Right.DISCOUNT: Grant(Verdict.ALLOW)})
    assert grant_excess(have, {Right.VOID_SALE: Grant(Verdict.APPROVAL)}) == []
    assert grant_excess(have, {Right.VOID_SALE: Grant(Verdict.ALLOW)})
    assert grant_excess(have, {Right.NO_SALE: Grant(Verdict.DENY)}) == []
    assert grant_excess(have, {Right.NO_SALE: Grant(Verdict.APPROVAL)})


def test_permissions_without_ledger_journal_nothing() -> None:
    env = StaffEnv()
    quiet = Permissions(env.directory)
    before = len(env.ledger.journal)
    quiet.check("cash1", Right.REPORT_Z)
    assert len(env.ledger.journal) == before
