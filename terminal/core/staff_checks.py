"""What every staff management command shares: the staff-management right, the no-escalation
rule, journaling with who gave the command, and a refused command journaled once
(``journal_denials``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any, Protocol, TypeVar

from terminal.core.errors import NotFound, PosError
from terminal.core.permissions import Permissions
from terminal.core.pins import CardKey, PinPolicy, SecretHasher
from terminal.core.ports import Ledger
from terminal.core.rights import (
    Approval,
    ApprovalRequired,
    Decision,
    PermissionDenied,
    Right,
    Verdict,
)
from terminal.core.staff import OWNER, PinCredential, StaffDirectory, StaffMember
from terminal.core.training import Checklist


class TrainingProgress(Protocol):
    def checklist(self, staff_id: str) -> Checklist: ...


class StaffError(PosError):
    code = "staff.invalid"


_F = TypeVar("_F", bound=Callable[..., Any])


def journal_denials(method: _F) -> _F:
    """Journal a refused command once (``permission.denied``), however deeply it was refused,
    then let the refusal through."""

    @functools.wraps(method)
    def wrapper(self: StaffChecks, *args: Any, **kwargs: Any) -> Any:
        outermost = not self._in_command
        self._in_command = True
        try:
            return method(self, *args, **kwargs)
        except (PermissionDenied, ApprovalRequired) as exc:
            if outermost:
                by = str(kwargs.get("by", OWNER))
                target = args[0] if args and isinstance(args[0], str) else None
                self._post(
                    "permission.denied",
                    {
                        "right": exc.decision.right.value,
                        "reason": exc.decision.reason,
                        "command": method.__name__,
                        "target": target,
                    },
                    by,
                )
            raise
        finally:
            if outermost:
                self._in_command = False

    return wrapper  # type: ignore[return-value]


def deny(reason: str) -> PermissionDenied:
    return PermissionDenied(Decision(Verdict.DENY, Right.STAFF_MANAGE, reason))


class StaffChecks:
    """The state and checks of ``StaffService``; the commands are built on them."""

    def __init__(
        self,
        directory: StaffDirectory,
        permissions: Permissions,
        ledger: Ledger,
        hasher: SecretHasher,
        card_key: CardKey,
        *,
        training: TrainingProgress | None = None,
        pin_policy: PinPolicy | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        self._dir = directory
        self._perm = permissions
        self._ledger = ledger
        self._hasher = hasher
        self._cards = card_key
        self.training = training
        self._pin_policy = pin_policy or PinPolicy()
        self._today = today or date.today
        self._in_command = False

    def _training_done(self, staff_id: str) -> bool:
        return self.training is not None and self.training.checklist(staff_id).complete

    # --- checks ------------------------------------------------------------------------------

    def _authorize(self, by: str, approval: Approval | None = None) -> None:
        self._perm.require(by, Right.STAFF_MANAGE, approval=approval)

    def _member(self, staff_id: str) -> StaffMember:
        member = self._dir.member(staff_id)
        if member is None:
            raise NotFound(f"no staff account {staff_id}")
        return member

    def _guard_target(self, by: str, target: StaffMember) -> None:
        """Nobody changes someone who holds more than they do (a manager cannot suspend or
        reset the owner)."""
        if by == OWNER:
            return
        problems = self._perm.excess(by, self._perm.grants_for(target))
        if problems:
            raise deny(f"{target.name} holds rights you do not: " + "; ".join(problems))

    def _guard_grants(self, by: str, member: StaffMember) -> None:
        self._perm.ensure_can_grant(by, self._perm.grants_for(member))

    def _guard_role_training(self, member: StaffMember) -> None:
        role = self._perm.role(member.role)
        if role is None:
            raise StaffError(f"no role named {member.role!r}")
        if (
            role.requires_training
            and not member.trainee
            and not self._training_done(member.staff_id)
        ):
            raise StaffError(
                f"role {role.label} needs the training checklist complete first",
                code="staff.training_required",
            )

    def _post(self, kind: str, payload: dict[str, Any], by: str) -> None:
        self._ledger.post(kind, {**payload, "by": by}, staff_id=None if by == OWNER else by)

    def _save(self, member: StaffMember, change: str, by: str, **extra: Any) -> StaffMember:
        self._post("staff.saved", {"staff": member.to_payload(), "change": change, **extra}, by)
        return member

    def _set_pin(self, staff_id: str, pin: str, must_change: bool, by: str, *, kind: str) -> None:
        previous = self._dir.pin(staff_id)
        previous_lock = self._dir.lock_state(staff_id)
        self._dir.set_pin(PinCredential(staff_id, self._hasher.hash(pin), must_change))
        try:
            self._post(kind, {"staff_id": staff_id, "must_change": must_change}, by)
        except Exception:
            self._restore_pin(staff_id, previous)
            raise
        self._dir.set_lock_state(replace(previous_lock, failures=0, locks=0, locked_until=None))

    def _restore_pin(self, staff_id: str, previous: PinCredential | None) -> None:
        if previous is not None:
            self._dir.set_pin(previous)
        else:
            self._dir.set_pin(PinCredential(staff_id, "", True))
