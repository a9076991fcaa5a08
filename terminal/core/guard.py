"""The rights check every money-moving service shares: ask the gate for one clerk, journal every
decision that was denied or needed a supervisor, and turn a ledger failure into a clerk-readable
error (``post_or_fail``). ``ClerkActions`` is the same two for a service that acts for one clerk."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from terminal.core.errors import JournalError
from terminal.core.ports import Ledger, LedgerError, LedgerFull, LedgerReadOnly
from terminal.core.records import JournalEntry
from terminal.core.rights import (
    Approval,
    ApprovalRequired,
    Decision,
    Gate,
    PermissionDenied,
    Right,
    Verdict,
)


def post_or_fail(
    ledger: Ledger,
    kind: str,
    payload: Mapping[str, Any],
    *,
    staff_id: str | None,
    training: bool,
    series: str | None = None,
    what: str = "",
) -> JournalEntry:
    """``ledger.post`` with a ledger failure turned into a clerk-readable ``JournalError``."""
    # The screen names the data directory and what to do from the code.
    try:
        return ledger.post(kind, payload, staff_id=staff_id, series=series, training=training)
    except LedgerFull as e:
        raise JournalError(_not_saved(what or kind, e), code="ledger.disk_full") from e
    except LedgerReadOnly as e:
        raise JournalError(_not_saved(what or kind, e), code="ledger.read_only") from e
    except LedgerError as e:
        raise JournalError(_not_saved(what or kind, e)) from e


def _not_saved(what: str, e: LedgerError) -> str:
    return f"could not save {what}: {e}. Nothing was lost; fix the problem and try again"


class RightsGuard:
    """Asks the gate for one clerk and journals every decision that was denied or approved.

    An approval is honoured only when the approver is someone other than the clerk and the gate
    allows the approver the same right for the same amount outright.
    """

    def __init__(self, gate: Gate, ledger: Ledger, *, staff_id: str, training: bool) -> None:
        self.gate = gate
        self.ledger = ledger
        self.staff_id = staff_id
        self.training = training

    def require(
        self,
        right: Right,
        *,
        amount: int | None = None,
        approval: Approval | None = None,
        subject: Mapping[str, Any] | None = None,
    ) -> str | None:
        """Returns the approver's id when an approval was needed and valid, None when the clerk
        may act alone; raises ``PermissionDenied`` or ``ApprovalRequired`` otherwise."""
        decision = self.gate.check(self.staff_id, right, amount=amount, training=self.training)
        if decision.verdict is Verdict.ALLOW:
            return None
        if decision.verdict is Verdict.DENY:
            self.post_decision("permission.denied", right, amount, None, decision.reason, subject)
            raise PermissionDenied(decision)
        if approval is None:
            raise ApprovalRequired(decision)
        approver = approval.approver_id.strip() if approval.approver_id else ""
        if not approver or approver == self.staff_id:
            denied = Decision(
                Verdict.DENY, right, "the approver must be someone other than the clerk"
            )
            self.post_decision(
                "permission.denied", right, amount, approver or None, denied.reason, subject
            )
            raise PermissionDenied(denied)
        # The approver acts as themselves, never in training: a trainee cannot approve.
        theirs = self.gate.check(approver, right, amount=amount, training=False)
        if theirs.verdict is not Verdict.ALLOW:
            reason = theirs.reason or f"{approver} may not approve {right.value}"
            denied = Decision(Verdict.DENY, right, f"approval refused: {reason}", theirs.limit)
            self.post_decision("permission.denied", right, amount, approver, denied.reason, subject)
            raise PermissionDenied(denied)
        self.post_decision("approval.granted", right, amount, approver, approval.reason, subject)
        return approver

    def post_decision(
        self,
        kind: str,
        right: Right,
        amount: int | None,
        approver: str | None,
        reason: str,
        subject: Mapping[str, Any] | None,
    ) -> None:
        """Journal one denial or granted approval with who acted, who approved and why."""
        payload = {
            "actor": self.staff_id,
            "approver": approver,
            "right": right.value,
            "reason": reason,
            "amount": amount,
            **(subject or {}),
        }
        post_or_fail(
            self.ledger,
            kind,
            payload,
            staff_id=self.staff_id,
            training=self.training,
            what="the permission decision",
        )


class ClerkActions:
    """What the sale, refund and shift services share: they act for one clerk, in training or
    not, so each rights check and each journal entry carries that clerk and that flag."""

    ledger: Ledger
    gate: Gate
    clerk_id: str
    training: bool

    @property
    def guard(self) -> RightsGuard:
        return RightsGuard(self.gate, self.ledger, staff_id=self.clerk_id, training=self.training)

    def _post(
        self, kind: str, payload: Mapping[str, Any], *, series: str | None = None, what: str = ""
    ) -> JournalEntry:
        return post_or_fail(
            self.ledger,
            kind,
            payload,
            staff_id=self.clerk_id,
            training=self.training,
            series=series,
            what=what,
        )
