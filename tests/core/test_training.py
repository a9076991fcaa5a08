"""Training mode: who may switch in, the checklist read from training entries, sign-off as a
training record, and training work counting nowhere else."""

from __future__ import annotations

import pytest

from terminal.core.rights import PermissionDenied, Right
from terminal.core.staff_checks import StaffError
from terminal.core.training import TASKS, TrainingError

from .staff_fakes import CARDS, PINS, StaffEnv, sale_payload


@pytest.fixture
def env() -> StaffEnv:
    return StaffEnv()


def practise(env: StaffEnv, staff_id: str, *, skip: str = "") -> None:
    """Post what checkout, refund and shift post in training mode for one pass of the list."""
    post = env.ledger.post
    if skip != "sale":
        post(
            "sale.completed",
            sale_payload("t-s1", staff_id, training=True),
            staff_id=staff_id,
            series="receipt",
            training=True,
        )
    if skip != "split_tender":
        post(
            "sale.completed",
            sale_payload("t-s2", staff_id, tenders=[("cash", 500), ("qr", 500)], training=True),
            staff_id=staff_id,
            series="receipt",
            training=True,
        )
    if skip != "refund":
        post(
            "refund.completed",
            sale_payload("t-r1", staff_id, kind="refund", original_sale_id="t-s1", training=True),
            staff_id=staff_id,
            series="receipt",
            training=True,
        )
    if skip != "void":
        post(
            "line.voided",
            {
                "sale_id": "t-s3",
                "line_no": 1,
                "sku": "A1",
                "qty_milli": 1000,
                "amount": 1000,
                "reason": "",
                "approver_id": None,
            },
            staff_id=staff_id,
            training=True,
        )
    if skip != "approval":
        env.approvals.approve(
            clerk_id=staff_id,
            right=Right.VOID_SALE,
            card=CARDS["sup1"],
            pin=PINS["sup1"],
            reason="other",
            training=True,
        )
    if skip != "shift_close":
        post(
            "shift.closed",
            {"shift_id": "t-sh", "counted": 0, "expected": 0, "over_short": 0, "totals": {}},
            staff_id=staff_id,
            training=True,
        )


def test_checklist_fills_from_training_entries_only(env: StaffEnv) -> None:
    assert env.training.checklist("trainee1").missing == TASKS
    # Real work does not count as practice.
    env.ledger.post("sale.completed", sale_payload("real-1", "trainee1"), staff_id="trainee1")
    assert env.training.checklist("trainee1").counts["sale"] == 0
    practise(env, "trainee1", skip="refund")
    checklist = env.training.checklist("trainee1")
    assert checklist.missing == ("refund",)
    assert checklist.counts["sale"] == 2 and checklist.counts["split_tender"] == 1
    # Someone else's practice is theirs.
    assert env.training.checklist("cash1").missing == TASKS


def test_training_entries_stay_out_of_the_outbox_and_the_figures(env: StaffEnv) -> None:
    before_outbox = list(env.ledger.outbox)
    practise(env, "trainee1")
    assert env.ledger.outbox == before_outbox
    figs = env.evaluation.figures("mgr1", staff_id="trainee1")[0]
    assert figs.sales_count == 0 and figs.refunds == 0 and figs.line_voids == 0
    assert figs.shifts_closed == 0


def test_graduation_needs_the_whole_checklist_and_keeps_a_record(env: StaffEnv) -> None:
    practise(env, "trainee1", skip="shift_close")
    with pytest.raises(StaffError, match="shift_close"):
        env.staff.graduate("trainee1", by="sup1")
    practise(env, "trainee1")
    with pytest.raises(PermissionDenied):
        env.staff.graduate("trainee1", by="cash1")
    member = env.staff.graduate("trainee1", by="sup1")
    assert member.trainee is False
    record = env.directory.member("trainee1").training[-1]
    assert record.result == "checklist complete" and record.recorded_by == "sup1"
    assert "sale x4" in record.content and "shift_close x1" in record.content
    # Now the former trainee sells for real and logs in outside training.
    assert env.login("trainee1").training is False


def test_role_that_requires_training_is_granted_after_the_checklist(env: StaffEnv) -> None:
    env.staff.define_role(
        {"name": "certified", "requires_training": True, "grants": {"tender.cash": "allow"}},
        by="mgr1",
    )
    with pytest.raises(StaffError):
        env.staff.set_role("cash1", "certified", by="mgr1")
    practise(env, "cash1")
    assert env.staff.set_role("cash1", "certified", by="mgr1").role == "certified"


def test_supervisor_switches_a_clerk_into_training_and_back(env: StaffEnv) -> None:
    session = env.login("cash1")
    with pytest.raises(PermissionDenied):
        env.training.enter(session, card=CARDS["cash2"], pin=PINS["cash2"])
    with pytest.raises(PermissionDenied):
        env.training.enter(session, card=CARDS["cash1"], pin=PINS["cash1"])
    assert session.training is False
    env.training.enter(session, card=CARDS["sup1"], pin=PINS["sup1"])
    assert session.training is True and session.trained_by == "sup1"
    started = env.ledger.journal[-1]
    assert started.kind == "training.started" and started.payload["supervisor_id"] == "sup1"
    env.training.leave(session)
    assert session.training is False
    assert env.ledger.journal[-1].kind == "training.ended"


def test_trainee_cannot_leave_training(env: StaffEnv) -> None:
    session = env.login("trainee1")
    with pytest.raises(TrainingError):
        env.training.leave(session)
    assert session.training is True
