"""Supervisor approval: card plus PIN of someone else holding the right outright, a reason from
the list, and a journal entry with clerk, approver and reason."""

from __future__ import annotations

import pytest

from terminal.core.approval import ApprovalRefused, ApprovalService
from terminal.core.auth import AccountLocked, LoginFailed
from terminal.core.errors import InvalidInput
from terminal.core.rights import Approval, ApprovalRequired, Right

from .staff_fakes import CARDS, PINS, StaffEnv


@pytest.fixture
def env() -> StaffEnv:
    return StaffEnv()


def test_refund_over_the_cap_is_approved_by_a_supervisor(env: StaffEnv) -> None:
    with pytest.raises(ApprovalRequired):
        env.permissions.require("cash1", Right.REFUND_WITH_RECEIPT, amount=30_000)
    approval = env.approvals.approve(
        clerk_id="cash1",
        right=Right.REFUND_WITH_RECEIPT,
        card=CARDS["sup1"],
        pin=PINS["sup1"],
        reason="damaged goods",
        amount=30_000,
        context="sale-42",
    )
    assert approval == Approval("sup1", "damaged goods")
    entry = env.ledger.journal[-1]
    assert entry.kind == "approval.verified" and entry.staff_id == "cash1"
    assert entry.payload == {
        "clerk_id": "cash1",
        "approver_id": "sup1",
        "right": "refund.with_receipt",
        "amount": 30_000,
        "reason": "damaged goods",
        "context": "sale-42",
    }
    env.permissions.require("cash1", Right.REFUND_WITH_RECEIPT, amount=30_000, approval=approval)


def test_nobody_approves_their_own_action(env: StaffEnv) -> None:
    with pytest.raises(ApprovalRefused, match="own"):
        env.approve("sup1", "sup1", Right.VOID_SALE)
    assert env.ledger.journal[-1].kind == "approval.refused"


def test_approver_must_hold_the_right_outright(env: StaffEnv) -> None:
    # A cashier holds void-sale only as "approval": they cannot approve a peer.
    with pytest.raises(ApprovalRefused):
        env.approve("cash1", "cash2", Right.VOID_SALE)
    # A senior cashier's refund cap (1000.00) does not cover 1500.00; a supervisor's does.
    with pytest.raises(ApprovalRefused, match="amount"):
        env.approve("cash1", "senior1", Right.REFUND_WITH_RECEIPT, amount=150_000)
    assert env.approve("cash1", "sup1", Right.REFUND_WITH_RECEIPT, amount=150_000).approver_id == (
        "sup1"
    )
    # Suspended supervisors approve nothing.
    env.staff.suspend("sup2", by="mgr1")
    with pytest.raises(LoginFailed):
        env.approve("cash1", "sup2", Right.VOID_SALE)


def test_reason_must_come_from_the_list(env: StaffEnv) -> None:
    with pytest.raises(InvalidInput, match="reason"):
        env.approve("cash1", "sup1", Right.VOID_SALE, reason="because")
    custom = ApprovalService(env.auth, env.permissions, env.ledger, reasons=["客户退货"])
    approval = custom.approve(
        clerk_id="cash1",
        right=Right.VOID_SALE,
        card=CARDS["sup1"],
        pin=PINS["sup1"],
        reason="客户退货",
    )
    assert approval.reason == "客户退货"
    with pytest.raises(ValueError):
        ApprovalService(env.auth, env.permissions, env.ledger, reasons=[])


def test_wrong_approver_pins_count_toward_the_lock(env: StaffEnv) -> None:
    for _ in range(4):
        with pytest.raises(LoginFailed):
            env.approvals.approve(
                clerk_id="cash1",
                right=Right.VOID_SALE,
                card=CARDS["sup1"],
                pin="000111",
                reason="other",
            )
    with pytest.raises(AccountLocked):
        env.approvals.approve(
            clerk_id="cash1",
            right=Right.VOID_SALE,
            card=CARDS["sup1"],
            pin="000111",
            reason="other",
        )
    assert env.ledger.of_kind("login.locked")[-1].payload["purpose"] == "approval"
    with pytest.raises(AccountLocked):
        env.login("sup1")


def test_approval_names_the_approver_by_card_or_tile_never_by_pin_alone(env: StaffEnv) -> None:
    pin_only = StaffEnv(pin_only=True)
    # A PIN alone is looked up only to log in: an approval names the person who approves.
    with pytest.raises(LoginFailed) as caught:
        pin_only.auth.verify(PINS["sup1"], purpose="approval")
    assert caught.value.code == "login.card_required"
    member, _cred = pin_only.auth.verify(PINS["sup1"], staff_id="sup1", purpose="approval")
    assert member.staff_id == "sup1"
    with pytest.raises(LoginFailed):
        env.auth.verify(PINS["sup1"], staff_id="sup1", purpose="approval")


def test_training_approvals_are_training_entries(env: StaffEnv) -> None:
    env.approvals.approve(
        clerk_id="trainee1",
        right=Right.VOID_SALE,
        card=CARDS["sup1"],
        pin=PINS["sup1"],
        reason="other",
        training=True,
    )
    entry = env.ledger.journal[-1]
    assert entry.kind == "approval.verified" and entry.training is True
    assert entry.seq not in env.ledger.outbox


def test_a_pin_only_store_approves_by_the_supervisors_tile_and_pin() -> None:
    relaxed = StaffEnv(pin_only=True)
    approval = relaxed.approvals.approve(clerk_id="cash1", right=Right.VOID_SALE, card=None,
                                         pin=PINS["sup1"], reason="other", staff_id="sup1")
    assert approval == Approval("sup1", "other")
    assert relaxed.ledger.journal[-1].payload["approver_id"] == "sup1"
    # The clerk's own tile and PIN approve nothing; a wrong PIN counts toward the lock.
    with pytest.raises(ApprovalRefused, match="own"):
        relaxed.approvals.approve(clerk_id="cash1", right=Right.VOID_SALE, card=None,
                                  pin=PINS["cash1"], reason="other", staff_id="cash1")
    with pytest.raises(LoginFailed):
        relaxed.approvals.approve(clerk_id="cash1", right=Right.VOID_SALE, card=None,
                                  pin="000000", reason="other", staff_id="sup1")
    assert relaxed.auth._dir.lock_state("sup1").failures == 1


def test_a_store_that_issues_cards_refuses_an_approval_by_tile(env: StaffEnv) -> None:
    with pytest.raises(LoginFailed) as caught:
        env.approvals.approve(clerk_id="cash1", right=Right.VOID_SALE, card=None,
                              pin=PINS["sup1"], reason="other", staff_id="sup1")
    assert caught.value.code == "login.card_required"
    assert not any(e.kind == "approval.verified" for e in env.ledger.journal)
