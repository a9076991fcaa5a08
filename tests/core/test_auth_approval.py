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


def test_approval_needs_a_card(env: StaffEnv) -> None:
    pin_only = StaffEnv(pin_only=True)
    with pytest.raises(LoginFailed):
        pin_only.auth.verify(PINS["sup1"], staff_id="sup1", purpose="approval")


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
