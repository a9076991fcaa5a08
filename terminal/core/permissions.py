"""The permission registry and the gate built from it.

Every ``rights.Right`` is declared here with the limits it takes. A role grants each right as
allow, approval or deny with limits; a clerk's overrides replace single grants of their role. The
``Permissions`` gate answers core services (checkout, refunds, shifts, staff management) for every
action, whatever screen or command triggered it, and enforces the no-escalation rule: nobody can
give a role or a clerk more than they hold themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from terminal.core.errors import InvalidInput
from terminal.core.money import format_money
from terminal.core.ports import Ledger
from terminal.core.rights import (
    Approval,
    ApprovalRequired,
    Decision,
    PermissionDenied,
    Right,
    Verdict,
)
from terminal.core.staff import OWNER, Grant, Role, StaffDirectory, StaffMember


@dataclass(frozen=True, slots=True)
class RightSpec:
    right: Right
    label: str
    limits: tuple[str, ...] = ()
    """Limit names this right takes; the first one is compared with ``amount`` in ``check``."""
    unit: str = "money"
    """What the first limit measures: "money" (minor units), "bp" (basis points), "points"."""


RIGHTS: Mapping[Right, RightSpec] = MappingProxyType(
    {
        s.right: s
        for s in (
            RightSpec(Right.TENDER_CASH, "take cash"),
            RightSpec(Right.TENDER_CARD, "take bank card"),
            RightSpec(Right.TENDER_QR, "take mobile QR payment"),
            RightSpec(Right.SALE_MAX_AMOUNT, "largest single sale", ("max",)),
            RightSpec(Right.DAILY_COLLECTION, "daily collection cap", ("max",)),
            RightSpec(Right.DISCOUNT, "discount", ("max_bp",), "bp"),
            RightSpec(Right.PRICE_OVERRIDE, "price override", ("max",)),
            RightSpec(Right.OPEN_PRICE, "open price", ("max",)),
            RightSpec(Right.VOID_LINE, "void a line"),
            RightSpec(Right.VOID_SALE, "void a sale"),
            RightSpec(Right.SUSPEND_SALE, "suspend a sale"),
            RightSpec(Right.REFUND_WITH_RECEIPT, "refund with receipt", ("max", "max_age_days")),
            RightSpec(Right.REFUND_WITHOUT_RECEIPT, "refund without receipt", ("max",)),
            RightSpec(Right.NO_SALE, "open the drawer without a sale"),
            RightSpec(Right.CASH_MOVE, "cash in and out", ("max",)),
            RightSpec(Right.SHIFT_OPEN, "open a shift"),
            RightSpec(Right.SHIFT_CLOSE, "close a shift"),
            RightSpec(Right.REPORT_X, "X report"),
            RightSpec(Right.REPORT_Z, "Z report"),
            RightSpec(Right.REPORT_STORE, "see the whole store's figures"),
            RightSpec(Right.MEMBER_LOOKUP, "look up members"),
            RightSpec(Right.MEMBER_ENROLL, "enroll members"),
            RightSpec(Right.MEMBER_POINTS, "adjust member points", ("max",), "points"),
            RightSpec(Right.SETTINGS, "change settings"),
            RightSpec(Right.STAFF_MANAGE, "manage staff"),
            RightSpec(Right.TRAINING_SUPERVISE, "supervise training"),
        )
    }
)

A, P, D = Verdict.ALLOW, Verdict.APPROVAL, Verdict.DENY


def _g(verdict: Verdict, **limits: int) -> Grant:
    return Grant(verdict, limits)


def _role(name: str, label: str, grants: Mapping[Right, Grant]) -> Role:
    full = {r: grants.get(r, Grant(D)) for r in RIGHTS}
    return Role(name, label, MappingProxyType(full))


def builtin_roles() -> dict[str, Role]:
    """The five roles every store starts with. Stores may redefine all but the owner."""
    tenders = {Right.TENDER_CASH: _g(A), Right.TENDER_CARD: _g(A), Right.TENDER_QR: _g(A)}
    cashier = {
        **tenders,
        Right.SALE_MAX_AMOUNT: _g(A, max=500_000),
        Right.DAILY_COLLECTION: _g(A, max=5_000_000),
        Right.DISCOUNT: _g(A, max_bp=500),
        Right.PRICE_OVERRIDE: _g(P),
        Right.OPEN_PRICE: _g(A, max=20_000),
        Right.VOID_LINE: _g(A),
        Right.VOID_SALE: _g(P),
        Right.SUSPEND_SALE: _g(A),
        Right.REFUND_WITH_RECEIPT: _g(A, max=20_000, max_age_days=7),
        Right.REFUND_WITHOUT_RECEIPT: _g(P),
        Right.NO_SALE: _g(P),
        Right.CASH_MOVE: _g(P),
        Right.SHIFT_OPEN: _g(A),
        Right.SHIFT_CLOSE: _g(A),
        Right.REPORT_X: _g(A),
        Right.MEMBER_LOOKUP: _g(A),
        Right.MEMBER_ENROLL: _g(A),
        Right.MEMBER_POINTS: _g(P),
    }
    senior = {
        **cashier,
        Right.SALE_MAX_AMOUNT: _g(A, max=2_000_000),
        Right.DAILY_COLLECTION: _g(A, max=20_000_000),
        Right.DISCOUNT: _g(A, max_bp=1000),
        Right.PRICE_OVERRIDE: _g(A, max=5_000),
        Right.OPEN_PRICE: _g(A, max=100_000),
        Right.VOID_SALE: _g(A),
        Right.REFUND_WITH_RECEIPT: _g(A, max=100_000, max_age_days=30),
        Right.NO_SALE: _g(A),
        Right.MEMBER_POINTS: _g(A, max=500),
    }
    supervisor = {
        **senior,
        Right.SALE_MAX_AMOUNT: _g(A, max=10_000_000),
        Right.DAILY_COLLECTION: _g(A, max=100_000_000),
        Right.DISCOUNT: _g(A, max_bp=3000),
        Right.PRICE_OVERRIDE: _g(A, max=50_000),
        Right.OPEN_PRICE: _g(A, max=1_000_000),
        Right.REFUND_WITH_RECEIPT: _g(A, max=1_000_000, max_age_days=90),
        Right.REFUND_WITHOUT_RECEIPT: _g(A, max=50_000),
        Right.CASH_MOVE: _g(A, max=1_000_000),
        Right.REPORT_Z: _g(A),
        Right.REPORT_STORE: _g(A),
        Right.MEMBER_POINTS: _g(A, max=5_000),
        Right.TRAINING_SUPERVISE: _g(A),
    }
    manager = {r: _g(A) for r in RIGHTS}
    manager.update(
        {
            Right.DISCOUNT: _g(A, max_bp=10_000),
            Right.REFUND_WITHOUT_RECEIPT: _g(A, max=1_000_000),
        }
    )
    owner = {r: _g(A) for r in RIGHTS}
    return {
        "cashier": _role("cashier", "Cashier", cashier),
        "senior_cashier": _role("senior_cashier", "Senior cashier", senior),
        "supervisor": _role("supervisor", "Supervisor", supervisor),
        "manager": _role("manager", "Manager", manager),
        "owner": _role("owner", "Owner", owner),
    }


_RANK = {Verdict.DENY: 0, Verdict.APPROVAL: 1, Verdict.ALLOW: 2}
_OWNER_GRANTS: Mapping[Right, Grant] = MappingProxyType({r: Grant(A) for r in RIGHTS})


def grant_excess(holder: Mapping[Right, Grant], wanted: Mapping[Right, Grant]) -> list[str]:
    """What in ``wanted`` goes beyond ``holder``, one phrase per right; empty when covered."""
    problems: list[str] = []
    for right, want in sorted(wanted.items()):
        if want.verdict is Verdict.DENY:
            continue
        have = holder.get(right, Grant(D))
        spec = RIGHTS[right]
        if _RANK[want.verdict] > _RANK[have.verdict]:
            problems.append(f"{spec.label}: {want.verdict.value} beyond your {have.verdict.value}")
            continue
        if want.verdict is Verdict.APPROVAL:
            # Every use needs someone who holds the right outright: limits add nothing.
            continue
        for name in spec.limits:
            cap = have.limits.get(name)
            if cap is None:
                continue
            asked = want.limits.get(name)
            if asked is None or asked > cap:
                shown = "unlimited" if asked is None else str(asked)
                problems.append(f"{spec.label}: {name} {shown} beyond your {cap}")
    return problems


def _complete(grants: Mapping[Right, Grant]) -> dict[Right, Grant]:
    return {r: grants.get(r, Grant(D)) for r in RIGHTS}


class Permissions:
    """Implements ``rights.Gate`` from the staff directory's roles and overrides.

    ``amount`` is compared with the right's first limit. For the daily collection cap the caller
    passes the clerk's whole collection for the business day including the payment at hand
    (checkout does), so the gate needs no ledger reads. When a ledger is given, every decision
    other than allow is journaled as ``permission.denied`` or ``permission.approval_required``;
    the composition root leaves it out because checkout's guard journals its own decisions.
    """

    def __init__(
        self,
        directory: StaffDirectory,
        *,
        ledger: Ledger | None = None,
        currency: str = "CNY",
    ) -> None:
        self._dir = directory
        self._ledger = ledger
        self._currency = currency
        self._builtins = builtin_roles()

    # --- roles -------------------------------------------------------------------------------

    def role(self, name: str) -> Role | None:
        if name == "owner":
            return self._builtins["owner"]
        stored = self._dir.stored_role(name)
        return stored if stored is not None else self._builtins.get(name)

    def roles(self) -> list[Role]:
        merged = dict(self._builtins)
        for role in self._dir.stored_roles():
            if role.name != "owner":
                merged[role.name] = role
        return sorted(merged.values(), key=lambda r: r.name)

    def is_builtin(self, name: str) -> bool:
        return name in self._builtins

    # --- effective grants --------------------------------------------------------------------

    def grants_for(self, member: StaffMember, role: Role | None = None) -> dict[Right, Grant]:
        """The role's grants with the clerk's overrides on top; unknown roles grant nothing.
        ``role`` stands in for the stored definition (a snapshot about to change it)."""
        role = role if role is not None else self.role(member.role)
        grants = _complete(role.grants if role else {})
        grants.update(member.overrides)
        return grants

    def holder_grants(self, actor: str) -> Mapping[Right, Grant]:
        if actor == OWNER:
            return _OWNER_GRANTS
        member = self._dir.member(actor)
        if member is None or not member.active:
            return _complete({})
        return self.grants_for(member)

    def grant(self, staff_id: str, right: Right) -> Grant:
        return self.holder_grants(staff_id).get(right, Grant(D))

    def limits(self, staff_id: str, right: Right) -> Mapping[str, int]:
        return dict(self.grant(staff_id, right).limits)

    # --- the gate ----------------------------------------------------------------------------

    def check(
        self, staff_id: str, right: Right, *, amount: int | None = None, training: bool = False
    ) -> Decision:
        decision = self._decide(staff_id, right, amount, training)
        self._journal(staff_id, decision, amount, training)
        return decision

    def check_limit(
        self,
        staff_id: str,
        right: Right,
        limit: str,
        value: int,
        *,
        training: bool = False,
    ) -> Decision:
        """A secondary limit, e.g. ``check_limit(clerk, REFUND_WITH_RECEIPT, "max_age_days",
        age)``: above it needs approval like the first limit."""
        spec = RIGHTS[right]
        if limit not in spec.limits:
            raise InvalidInput(f"{right.value} has no limit {limit!r}")
        decision = self._decide(staff_id, right, None, training)
        if decision.verdict is Verdict.ALLOW:
            cap = self.grant(staff_id, right).limits.get(limit)
            if cap is not None and value > cap:
                decision = Decision(
                    Verdict.APPROVAL, right, f"over your {spec.label} {limit} of {cap}", cap,
                    limit,
                )
        self._journal(staff_id, decision, value, training)
        return decision

    def require(
        self,
        staff_id: str,
        right: Right,
        *,
        amount: int | None = None,
        training: bool = False,
        approval: Approval | None = None,
    ) -> Decision:
        """``check`` that raises: ``PermissionDenied``, or ``ApprovalRequired`` unless
        ``approval`` comes from someone else who holds the right outright for ``amount``."""
        decision = self.check(staff_id, right, amount=amount, training=training)
        if decision.verdict is Verdict.DENY:
            raise PermissionDenied(decision)
        if decision.verdict is Verdict.APPROVAL:
            if approval is None:
                raise ApprovalRequired(decision)
            if not self.approval_valid(approval, staff_id, right, amount=amount):
                raise PermissionDenied(
                    Decision(Verdict.DENY, right, "the approver does not hold this right")
                )
        return decision

    def approval_valid(
        self, approval: Approval, clerk_id: str, right: Right, *, amount: int | None = None
    ) -> bool:
        """Whether the approver may approve this: someone else, active, holding the right as
        allow with a limit that covers ``amount``. Services re-check the approval they are handed
        instead of trusting whoever built it."""
        if approval.approver_id == clerk_id or not approval.approver_id:
            return False
        member = self._dir.member(approval.approver_id)
        if member is None or not member.active or member.trainee:
            return False
        grant = self.grants_for(member).get(right, Grant(D))
        if grant.verdict is not Verdict.ALLOW:
            return False
        spec = RIGHTS[right]
        if amount is not None and spec.limits:
            cap = grant.limits.get(spec.limits[0])
            if cap is not None and amount > cap:
                return False
        return True

    def _decide(self, staff_id: str, right: Right, amount: int | None, training: bool) -> Decision:
        if staff_id == OWNER:
            return Decision(Verdict.ALLOW, right)
        member = self._dir.member(staff_id)
        if member is None:
            return Decision(Verdict.DENY, right, f"unknown staff account {staff_id}")
        if not member.active:
            return Decision(Verdict.DENY, right, f"account is {member.status.value}")
        if member.trainee and not training:
            return Decision(Verdict.DENY, right, "trainees work in training mode only")
        grant = self.grants_for(member)[right]
        spec = RIGHTS[right]
        if grant.verdict is Verdict.DENY:
            return Decision(Verdict.DENY, right, f"you may not {spec.label}")
        name = spec.limits[0] if spec.limits else ""
        cap = grant.limits.get(name) if name else None
        if amount is not None and cap is not None and amount > cap:
            return Decision(
                Verdict.APPROVAL,
                right,
                f"over your {spec.label} of {self._show(spec, cap)}",
                cap,
                name,
            )
        if grant.verdict is Verdict.APPROVAL:
            return Decision(
                Verdict.APPROVAL, right, f"{spec.label} needs a supervisor", cap, name
            )
        return Decision(Verdict.ALLOW, right, "", cap, name)

    def _show(self, spec: RightSpec, value: int) -> str:
        if spec.unit == "money":
            return format_money(value, self._currency)
        if spec.unit == "bp":
            return f"{value / 100:g}%"
        return str(value)

    def _journal(
        self, staff_id: str, decision: Decision, amount: int | None, training: bool
    ) -> None:
        if self._ledger is None or decision.verdict is Verdict.ALLOW:
            return
        kind = (
            "permission.denied"
            if decision.verdict is Verdict.DENY
            else "permission.approval_required"
        )
        self._ledger.post(
            kind,
            {
                "right": decision.right.value,
                "amount": amount,
                "limit": decision.limit,
                "reason": decision.reason,
            },
            staff_id=None if staff_id == OWNER else staff_id,
            training=training,
        )

    # --- no escalation -----------------------------------------------------------------------

    def excess(self, granter: str, wanted: Mapping[Right, Grant]) -> list[str]:
        return grant_excess(self.holder_grants(granter), wanted)

    def ensure_can_grant(self, granter: str, wanted: Mapping[Right, Grant]) -> None:
        """Raise ``PermissionDenied`` naming what goes beyond the granter's own rights."""
        problems = self.excess(granter, wanted)
        if problems:
            raise PermissionDenied(
                Decision(
                    Verdict.DENY,
                    Right.STAFF_MANAGE,
                    "cannot grant more than you hold: " + "; ".join(problems),
                )
            )
