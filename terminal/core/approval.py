"""A supervisor's consent to one action: card plus PIN, a reason from the store's list, and a
journal entry (``approval.verified`` or ``approval.refused``) naming the clerk, the approver and
the reason. The service that then acts on the ``Approval`` journals its use
(``approval.granted`` from checkout's guard).

The approver must be someone other than the clerk who holds the right outright (allow, with a
limit covering the amount). Wrong PINs count toward the approver's lockout like at login.
"""

from __future__ import annotations

from collections.abc import Sequence

from terminal.core.auth import AuthService
from terminal.core.errors import InvalidInput, PosError
from terminal.core.permissions import RIGHTS, Permissions
from terminal.core.ports import Ledger
from terminal.core.rights import Approval, Right

DEFAULT_REASONS: tuple[str, ...] = (
    "customer changed mind",
    "wrong item scanned",
    "damaged goods",
    "price mismatch",
    "manager discount",
    "change for the float",
    "other",
)


class ApprovalRefused(PosError):
    code = "approval.refused"

    def __init__(self, message: str, *, right: Right | None = None, own: bool = False) -> None:
        super().__init__(message)
        self.right = right
        """The right the approver may not approve (None when the clerk tried to approve
        their own action)."""
        self.own = own


class ApprovalService:
    def __init__(
        self,
        auth: AuthService,
        permissions: Permissions,
        ledger: Ledger,
        reasons: Sequence[str] = DEFAULT_REASONS,
    ) -> None:
        if not reasons:
            raise ValueError("the approval reason list may not be empty")
        self._auth = auth
        self._perm = permissions
        self._ledger = ledger
        self.reasons: tuple[str, ...] = tuple(reasons)

    def approve(
        self,
        *,
        clerk_id: str,
        right: Right,
        card: str | None,
        pin: str,
        reason: str,
        amount: int | None = None,
        training: bool = False,
        context: str = "",
        staff_id: str | None = None,
    ) -> Approval:
        """Authenticate the approver and return the ``Approval`` to retry the action with.

        ``context`` is a short free reference (a sale id) kept in the journal. Raises
        ``LoginFailed``/``AccountLocked`` for a bad card or PIN and ``ApprovalRefused`` when the
        approver may not approve this."""
        if reason not in self.reasons:
            raise InvalidInput(
                f"choose a reason from the list: {', '.join(self.reasons)}", code="approval.reason"
            )
        # By card, or by the approver's tile (``staff_id``) where the store allows PIN-only
        # login; the approver is checked against the clerk either way.
        approver, _cred = self._auth.verify(pin, card=card, staff_id=None if card else staff_id,
                                            purpose="approval")
        base = {
            "clerk_id": clerk_id,
            "approver_id": approver.staff_id,
            "right": right.value,
            "amount": amount,
            "reason": reason,
            "context": context,
        }
        why = ""
        if approver.staff_id == clerk_id:
            why = "a clerk cannot approve their own action"
        elif not self._perm.approval_valid(
            Approval(approver.staff_id, reason), clerk_id, right, amount=amount
        ):
            why = f"{approver.name} may not approve {RIGHTS[right].label}"
            limit = self._perm.grant(approver.staff_id, right).limits
            if amount is not None and limit:
                why += " for this amount"
        if why:
            self._ledger.post(
                "approval.refused", {**base, "why": why}, staff_id=clerk_id, training=training
            )
            raise ApprovalRefused(why, right=right, own=approver.staff_id == clerk_id)
        self._ledger.post("approval.verified", base, staff_id=clerk_id, training=training)
        return Approval(approver.staff_id, reason)
