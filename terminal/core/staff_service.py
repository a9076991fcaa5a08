"""Staff management commands: the same operations whether a manager runs them on the terminal
or the owner sends them through the provisioning link.

Each command exists as a method and as a plain dict (``execute``), checks the staff-management
right and the no-escalation rule (``staff_checks``), and is journaled with who made it.
``apply_snapshot`` (``staff_snapshot``) brings the whole staff, role and card set to a numbered
version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from terminal.core.errors import InvalidInput, NotFound
from terminal.core.pins import card_tag, check_pin_strength, generate_pin, normalize_card_code
from terminal.core.rights import Approval, Right, Verdict
from terminal.core.staff import (
    OWNER,
    CardCredential,
    Grant,
    Role,
    StaffMember,
    StaffStatus,
    TrainingRecord,
    grants_from_payload,
)
from terminal.core.staff_checks import StaffError, deny, journal_denials
from terminal.core.staff_snapshot import StaffSnapshots

_EDITABLE = ("name", "name_zh", "gender", "contact", "photo")


class StaffService(StaffSnapshots):
    """``by`` is the staff id of whoever gives the command, or ``staff.OWNER`` for the owner's
    signed provisioning messages (the link verifies the signature before calling)."""

    # --- records -----------------------------------------------------------------------------

    @journal_denials
    def add(
        self,
        data: Mapping[str, Any],
        *,
        by: str,
        pin: str | None = None,
        must_change_pin: bool = True,
        approval: Approval | None = None,
    ) -> StaffMember:
        """Add a clerk. With ``pin`` the clerk can log in at once (changing it first unless
        ``must_change_pin`` is False); otherwise issue one later with ``reset_pin``."""
        self._authorize(by, approval)
        member = StaffMember.from_payload({**data, "status": "active"})
        if self._dir.member(member.staff_id) is not None:
            raise StaffError(f"account id {member.staff_id} is taken", code="staff.duplicate")
        role = self._perm.role(member.role)
        if role is None:
            raise StaffError(f"no role named {member.role!r}")
        if role.requires_training and not member.trainee:
            member = replace(member, trainee=True)
        self._guard_grants(by, member)
        if pin is not None:
            check_pin_strength(pin, self._pin_policy)
        self._save(member, "added", by)
        if pin is not None:
            self._set_pin(member.staff_id, pin, must_change_pin, by, kind="staff.pin_issued")
        return member

    @journal_denials
    def update(
        self,
        staff_id: str,
        changes: Mapping[str, Any],
        *,
        by: str,
        approval: Approval | None = None,
    ) -> StaffMember:
        """Change name, gender, contact or photo."""
        self._authorize(by, approval)
        member = self._member(staff_id)
        self._guard_target(by, member)
        unknown = set(changes) - set(_EDITABLE)
        if unknown:
            raise StaffError(
                f"update changes only {', '.join(_EDITABLE)}; use the role, override or status "
                f"commands for {', '.join(sorted(unknown))}"
            )
        merged = StaffMember.from_payload({**member.to_payload(), **changes})
        if merged == replace(member, training=()):
            return member
        return self._save(merged, "updated", by)

    @journal_denials
    def set_status(
        self,
        staff_id: str,
        status: StaffStatus | str,
        *,
        by: str,
        reason: str = "",
        approval: Approval | None = None,
    ) -> StaffMember:
        self._authorize(by, approval)
        status = StaffStatus(status)
        member = self._member(staff_id)
        if member.staff_id == by:
            raise deny("nobody changes their own status")
        self._guard_target(by, member)
        if member.status is StaffStatus.LEFT and status is not StaffStatus.LEFT:
            raise StaffError("someone who left cannot come back; add a new account")
        if member.status is status:
            return member
        updated = replace(member, status=status, training=())
        return self._save(updated, status.value, by, reason=reason)

    def suspend(self, staff_id: str, *, by: str, reason: str = "") -> StaffMember:
        return self.set_status(staff_id, StaffStatus.SUSPENDED, by=by, reason=reason)

    def reactivate(self, staff_id: str, *, by: str, reason: str = "") -> StaffMember:
        return self.set_status(staff_id, StaffStatus.ACTIVE, by=by, reason=reason)

    @journal_denials
    def leave(self, staff_id: str, *, by: str, reason: str = "") -> StaffMember:
        """Mark as left: the record stays for history; cards are revoked."""
        member = self.set_status(staff_id, StaffStatus.LEFT, by=by, reason=reason)
        for card in self._dir.cards_of(staff_id):
            self._dir.remove_card(card.lookup_id)
            self._post(
                "staff.card_revoked",
                {"staff_id": staff_id, "card": card_tag(card.lookup_id)},
                by,
            )
        return member

    @journal_denials
    def set_role(
        self, staff_id: str, role: str, *, by: str, approval: Approval | None = None
    ) -> StaffMember:
        self._authorize(by, approval)
        member = self._member(staff_id)
        self._guard_target(by, member)
        updated = replace(member, role=role, training=())
        self._guard_role_training(updated)
        self._guard_grants(by, updated)
        if updated.role == member.role:
            return member
        return self._save(updated, "role", by)

    @journal_denials
    def set_overrides(
        self,
        staff_id: str,
        overrides: Mapping[Right, Grant] | Mapping[str, Any],
        *,
        by: str,
        approval: Approval | None = None,
    ) -> StaffMember:
        """Replace the clerk's overrides (an empty mapping removes them all)."""
        self._authorize(by, approval)
        member = self._member(staff_id)
        self._guard_target(by, member)
        parsed = _parse_grants(overrides)
        updated = replace(member, overrides=parsed, training=())
        self._guard_grants(by, updated)
        if updated.to_payload() == member.to_payload():
            return member
        return self._save(updated, "overrides", by)

    @journal_denials
    def define_role(
        self, data: Mapping[str, Any] | Role, *, by: str, approval: Approval | None = None
    ) -> Role:
        """Create or change a role. Changing one needs the granter to cover both the old and
        the new definition, since everyone holding it changes too."""
        self._authorize(by, approval)
        role = data if isinstance(data, Role) else Role.from_payload(data)
        if role.name == "owner":
            raise deny("the owner role cannot be changed")
        old = self._perm.role(role.name)
        if old is not None:
            self._perm.ensure_can_grant(by, old.grants)
        self._perm.ensure_can_grant(by, role.grants)
        if old is not None and old.to_payload() == role.to_payload():
            return old
        self._post("role.saved", {"role": role.to_payload()}, by)
        return role

    @journal_denials
    def record_training(
        self,
        staff_id: str,
        content: str,
        result: str,
        *,
        by: str,
        on: date | None = None,
    ) -> TrainingRecord:
        """Keep a training result. Supervisors of training may record too."""
        if by != OWNER:
            granted = self._perm.check(by, Right.STAFF_MANAGE).verdict is Verdict.ALLOW
            if not granted:
                self._perm.require(by, Right.TRAINING_SUPERVISE)
        self._member(staff_id)
        if not content.strip() or not result.strip():
            raise StaffError("a training record needs content and a result")
        record = TrainingRecord(
            (on or self._today()).isoformat(),
            content.strip(),
            result.strip(),
            None if by == OWNER else by,
        )
        self._post("training.recorded", {"staff_id": staff_id, "record": record.to_payload()}, by)
        return record

    @journal_denials
    def graduate(
        self, staff_id: str, *, by: str, result: str = "checklist complete"
    ) -> StaffMember:
        """Sign off a trainee: the checklist must be complete, and the signer must hold every
        right the trainee's role will now give them."""
        if by != OWNER:
            granted = self._perm.check(by, Right.STAFF_MANAGE).verdict is Verdict.ALLOW
            if not granted:
                self._perm.require(by, Right.TRAINING_SUPERVISE)
        member = self._member(staff_id)
        if not member.trainee:
            raise StaffError(f"{member.name} is not a trainee")
        if member.staff_id == by:
            raise deny("nobody signs off their own training")
        if self.training is None:
            raise StaffError("training progress is not available on this terminal")
        checklist = self.training.checklist(staff_id)
        if not checklist.complete:
            raise StaffError(
                "training checklist incomplete: still to do " + ", ".join(checklist.missing),
                code="staff.training_required",
            )
        updated = replace(member, trainee=False, training=())
        self._guard_grants(by, updated)
        self._save(updated, "graduated", by)
        self.record_training(staff_id, "training checklist: " + checklist.summary(), result, by=by)
        return updated

    # --- secrets -----------------------------------------------------------------------------

    @journal_denials
    def reset_pin(
        self,
        staff_id: str,
        *,
        by: str,
        pin: str | None = None,
        must_change: bool = True,
        approval: Approval | None = None,
    ) -> str:
        """Issue a new initial PIN and return it (to be shown once). Without ``pin`` a random
        strong one is generated. The lockout is cleared."""
        self._authorize(by, approval)
        member = self._member(staff_id)
        if member.staff_id == by:
            raise deny("change your own PIN from the login screen")
        self._guard_target(by, member)
        if not member.active:
            raise StaffError(f"account is {member.status.value}")
        pin = pin if pin is not None else generate_pin(6, self._pin_policy)
        check_pin_strength(pin, self._pin_policy)
        self._set_pin(staff_id, pin, must_change, by, kind="staff.pin_reset")
        return pin

    @journal_denials
    def assign_card(
        self, staff_id: str, code: str, *, by: str, approval: Approval | None = None
    ) -> str:
        """Give a clerk a badge or RFID card; returns the card's tag for lists and journals."""
        self._authorize(by, approval)
        member = self._member(staff_id)
        self._guard_target(by, member)
        if not member.active:
            raise StaffError(f"account is {member.status.value}")
        lookup = self._cards.lookup_id(code)
        existing = self._dir.card(lookup)
        if existing is not None and existing.staff_id != staff_id:
            raise StaffError(
                f"this card belongs to {existing.staff_id}; revoke it there first",
                code="staff.card_taken",
            )
        if existing is not None:
            return card_tag(lookup)
        credential = CardCredential(lookup, staff_id, self._hasher.hash(normalize_card_code(code)))
        self._dir.set_card(credential)
        try:
            self._post("staff.card_assigned", {"staff_id": staff_id, "card": card_tag(lookup)}, by)
        except Exception:
            self._dir.remove_card(lookup)
            raise
        return card_tag(lookup)

    @journal_denials
    def revoke_card(
        self,
        staff_id: str,
        *,
        by: str,
        code: str | None = None,
        tag: str | None = None,
        approval: Approval | None = None,
    ) -> list[str]:
        """Revoke one card (by code or tag) or, with neither, every card of the clerk."""
        self._authorize(by, approval)
        member = self._member(staff_id)
        self._guard_target(by, member)
        cards = self._dir.cards_of(staff_id)
        if code is not None:
            lookup = self._cards.lookup_id(code)
            cards = [c for c in cards if c.lookup_id == lookup]
        elif tag is not None:
            cards = [c for c in cards if card_tag(c.lookup_id) == tag]
        if not cards and (code is not None or tag is not None):
            raise NotFound(f"{staff_id} has no such card")
        revoked = []
        for card in cards:
            self._dir.remove_card(card.lookup_id)
            self._post(
                "staff.card_revoked", {"staff_id": staff_id, "card": card_tag(card.lookup_id)}, by
            )
            revoked.append(card_tag(card.lookup_id))
        return revoked

    # --- plain-dict commands -----------------------------------------------------------------

    @journal_denials
    def execute(self, command: Mapping[str, Any], *, by: str) -> dict[str, Any]:
        """Run one command given as a plain dict (from the provisioning link or a form).

        ``{"op": "staff.add", "staff": {...}, "pin": "...", "must_change_pin": true}``,
        ``{"op": "staff.update", "staff_id", "changes": {...}}``, ``staff.suspend``,
        ``staff.reactivate``, ``staff.leave`` (``staff_id``, ``reason``), ``staff.set_role``
        (``role``), ``staff.set_overrides`` (``overrides``), ``role.define`` (``role``),
        ``card.assign`` (``code``), ``card.revoke`` (``code`` or ``tag``), ``pin.reset``
        (``pin``, ``must_change``), ``training.record`` (``content``, ``result``, ``date``).
        Returns a JSON-safe reply; raises ``PosError``/``PermissionDenied`` with nothing changed.
        """
        op = command.get("op")
        try:
            if op == "staff.add":
                m = self.add(
                    command["staff"],
                    by=by,
                    pin=command.get("pin"),
                    must_change_pin=bool(command.get("must_change_pin", True)),
                )
                return {"ok": True, "staff_id": m.staff_id}
            if op == "staff.update":
                m = self.update(command["staff_id"], command["changes"], by=by)
                return {"ok": True, "staff_id": m.staff_id}
            if op in ("staff.suspend", "staff.reactivate", "staff.leave"):
                action = {
                    "staff.suspend": self.suspend,
                    "staff.reactivate": self.reactivate,
                    "staff.leave": self.leave,
                }[op]
                m = action(command["staff_id"], by=by, reason=str(command.get("reason", "")))
                return {"ok": True, "staff_id": m.staff_id, "status": m.status.value}
            if op == "staff.set_role":
                m = self.set_role(command["staff_id"], command["role"], by=by)
                return {"ok": True, "staff_id": m.staff_id, "role": m.role}
            if op == "staff.set_overrides":
                m = self.set_overrides(command["staff_id"], command.get("overrides") or {}, by=by)
                return {"ok": True, "staff_id": m.staff_id}
            if op == "role.define":
                r = self.define_role(command["role"], by=by)
                return {"ok": True, "role": r.name}
            if op == "card.assign":
                tag = self.assign_card(command["staff_id"], command["code"], by=by)
                return {"ok": True, "card": tag}
            if op == "card.revoke":
                tags = self.revoke_card(
                    command["staff_id"], by=by, code=command.get("code"), tag=command.get("tag")
                )
                return {"ok": True, "cards": tags}
            if op == "pin.reset":
                given = command.get("pin")
                pin = self.reset_pin(
                    command["staff_id"],
                    by=by,
                    pin=given,
                    must_change=bool(command.get("must_change", True)),
                )
                # A PIN the sender chose is not echoed back; a generated one is shown once.
                return {"ok": True} if given is not None else {"ok": True, "pin": pin}
            if op == "training.record":
                on = date.fromisoformat(command["date"]) if command.get("date") else None
                rec = self.record_training(
                    command["staff_id"], command["content"], command["result"], by=by, on=on
                )
                return {"ok": True, "record": rec.to_payload()}
        except KeyError as exc:
            raise InvalidInput(f"command {op!r} needs {exc.args[0]!r}") from exc
        except (TypeError, AttributeError) as exc:
            raise InvalidInput(f"malformed command {op!r}: {exc}") from exc
        raise InvalidInput(f"unknown staff command {op!r}")


def _parse_grants(overrides: Mapping[Any, Any]) -> dict[Right, Grant]:
    if all(isinstance(k, Right) and isinstance(v, Grant) for k, v in overrides.items()):
        return dict(overrides)
    return grants_from_payload({str(k): v for k, v in overrides.items()})
