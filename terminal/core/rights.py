"""Names of the rights a clerk may hold, and the shape of a permission decision.

Core services ask a ``Gate`` before every action that moves money, stock or cash, whatever screen,
key or command triggered it. The staff module implements the gate from roles, per-clerk overrides
and limits; this module only fixes the vocabulary both sides speak.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Right(StrEnum):
    TENDER_CASH = "tender.cash"
    TENDER_CARD = "tender.card"
    TENDER_QR = "tender.qr"
    SALE_MAX_AMOUNT = "sale.max_amount"
    """Limit: the largest single sale total this clerk may complete."""
    DAILY_COLLECTION = "sale.daily_collection"
    """Limit: the most this clerk may collect in one business day."""
    DISCOUNT = "sale.discount"
    """Limit: max percent (basis points) of a line or sale discount."""
    PRICE_OVERRIDE = "sale.price_override"
    OPEN_PRICE = "sale.open_price"
    VOID_LINE = "sale.void_line"
    VOID_SALE = "sale.void_sale"
    SUSPEND_SALE = "sale.suspend"
    REFUND_WITH_RECEIPT = "refund.with_receipt"
    """Limits: cap per refund; max receipt age in days."""
    REFUND_WITHOUT_RECEIPT = "refund.without_receipt"
    NO_SALE = "drawer.no_sale"
    CASH_MOVE = "cash.move"
    SHIFT_OPEN = "shift.open"
    SHIFT_CLOSE = "shift.close"
    REPORT_X = "report.x"
    REPORT_Z = "report.z"
    REPORT_STORE = "report.store_scope"
    """Allowed: sees the whole store's figures; otherwise only their own."""
    MEMBER_LOOKUP = "member.lookup"
    MEMBER_ENROLL = "member.enroll"
    MEMBER_POINTS = "member.adjust_points"
    SETTINGS = "settings"
    STAFF_MANAGE = "staff.manage"
    TRAINING_SUPERVISE = "training.supervise"


class Verdict(StrEnum):
    ALLOW = "allow"
    APPROVAL = "approval"
    """Allowed once someone else who holds the right approves with card and PIN."""
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    right: Right
    reason: str = ""
    """Why, in words a clerk understands: "over your refund cap of ¥200.00"."""
    limit: int | None = None
    limit_name: str = ""
    """Which of the right's limits ``limit`` is ("max", "max_bp", "max_age_days"), so a screen
    can show it as money, a percentage or days."""


@dataclass(frozen=True, slots=True)
class Approval:
    """A supervisor's consent, already authenticated by card and PIN."""

    approver_id: str
    reason: str


class Gate(Protocol):
    def check(
        self, staff_id: str, right: Right, *, amount: int | None = None, training: bool = False
    ) -> Decision:
        """``amount`` is the money (minor units) or basis points the action involves, compared
        against the right's limit."""


class PermissionDenied(Exception):
    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason or f"not allowed: {decision.right.value}")
        self.decision = decision


class ApprovalRequired(Exception):
    """Raised instead of acting; retry the same call with an ``Approval``."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason or f"approval required: {decision.right.value}")
        self.decision = decision
