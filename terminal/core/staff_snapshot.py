"""Bringing the whole staff, role and card set to a numbered snapshot version (the owner's
provisioning), checked in full before the first write so a bad snapshot changes nothing, and
idempotent: applying the same version twice changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from terminal.core.errors import InvalidInput
from terminal.core.pins import card_tag, check_pin_strength, normalize_card_code
from terminal.core.staff import OWNER, CardCredential, Role, StaffMember, StaffStatus
from terminal.core.staff_checks import StaffChecks, StaffError, deny, journal_denials


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """A snapshot parsed and checked for shape, not yet for rights."""

    roles: list[Role]
    members: list[tuple[StaffMember, dict[str, Any]]]
    """Each member with the raw entry it came from (which may carry ``pin``)."""
    cards: dict[str, tuple[str, str]]
    """Card lookup id -> (staff id, code)."""
    listed: set[str]


class StaffSnapshots(StaffChecks):
    """``apply_snapshot`` for ``StaffService``."""

    @journal_denials
    def apply_snapshot(
        self,
        version: int,
        staff: Iterable[Mapping[str, Any]],
        roles: Iterable[Mapping[str, Any]],
        cards: Iterable[Mapping[str, Any]],
        *,
        by: str = OWNER,
    ) -> dict[str, Any]:
        """Bring staff, roles and cards to snapshot ``version``.

        The snapshot is the whole truth: members it does not list are marked left (never
        deleted), cards it does not list are revoked. A staff entry may carry ``pin`` (and
        ``must_change_pin``): it is used only for a clerk who has no PIN yet, so a later
        snapshot never undoes a PIN the clerk chose. Re-applying the current version changes
        nothing; an older version is refused.
        """
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InvalidInput("snapshot version must be a whole number >= 1")
        current = self._dir.snapshot_version()
        if version == current:
            return {"ok": True, "applied": False, "version": version}
        if version < current:
            raise StaffError(
                f"snapshot {version} is older than the applied {current}", code="staff.stale"
            )
        self._authorize(by)
        snap = self._parse_snapshot(staff, roles, cards)
        # Validate everything before the first write, so a bad snapshot changes nothing.
        self._check_snapshot_grants(snap, by)
        counts = dict.fromkeys(
            ("roles", "added", "updated", "left", "pins", "assigned", "revoked"), 0
        )
        self._apply_roles(snap, by, counts)
        self._apply_members(snap, version, by, counts)
        self._retire_unlisted(snap, version, by, counts)
        self._apply_cards(snap, by, counts)
        self._post("staff.snapshot_applied", {"version": version, **counts}, by)
        return {"ok": True, "applied": True, "version": version, **counts}

    def _parse_snapshot(
        self,
        staff: Iterable[Mapping[str, Any]],
        roles: Iterable[Mapping[str, Any]],
        cards: Iterable[Mapping[str, Any]],
    ) -> _Snapshot:
        entries = [dict(s) for s in staff]
        role_objs = [Role.from_payload(r) for r in roles]
        members = []
        for s in entries:
            data = {k: v for k, v in s.items() if k not in ("pin", "must_change_pin")}
            members.append((StaffMember.from_payload(data), s))
        wanted_cards: dict[str, tuple[str, str]] = {}
        listed = {m.staff_id for m, _ in members}
        for c in cards:
            try:
                sid, code = str(c["staff_id"]), str(c["code"])
            except KeyError as exc:
                raise InvalidInput(f"a snapshot card needs {exc.args[0]!r}") from exc
            if sid not in listed:
                raise InvalidInput(f"snapshot card for unlisted staff {sid}")
            wanted_cards[self._cards.lookup_id(code)] = (sid, code)
        for _, s in members:
            if s.get("pin") is not None:
                check_pin_strength(str(s["pin"]), self._pin_policy)
        return _Snapshot(role_objs, members, wanted_cards, listed)

    def _check_snapshot_grants(self, snap: _Snapshot, by: str) -> None:
        incoming = {r.name: r for r in snap.roles}
        for r in snap.roles:
            if r.name == "owner":
                raise deny("the owner role cannot be changed")
            self._perm.ensure_can_grant(by, r.grants)
        seen: set[str] = set()
        for m, _ in snap.members:
            if m.staff_id in seen:
                raise InvalidInput(f"snapshot lists {m.staff_id} twice")
            seen.add(m.staff_id)
            role = incoming.get(m.role) or self._perm.role(m.role)
            if role is None:
                raise StaffError(f"snapshot gives {m.staff_id} an unknown role {m.role!r}")
            self._perm.ensure_can_grant(by, self._perm.grants_for(m, role))

    def _apply_roles(self, snap: _Snapshot, by: str, counts: dict[str, int]) -> None:
        for r in snap.roles:
            old = self._perm.role(r.name)
            if old is None or old.to_payload() != r.to_payload():
                self._post("role.saved", {"role": r.to_payload()}, by)
                counts["roles"] += 1

    def _apply_members(
        self, snap: _Snapshot, version: int, by: str, counts: dict[str, int]
    ) -> None:
        for m, s in snap.members:
            old = self._dir.member(m.staff_id)
            if old is None:
                self._save(m, "added", by, snapshot=version)
                counts["added"] += 1
            elif old.to_payload() != m.to_payload():
                self._save(m, "updated", by, snapshot=version)
                counts["updated"] += 1
            cred = self._dir.pin(m.staff_id)
            if s.get("pin") is not None and (cred is None or not cred.pin_hash):
                self._set_pin(
                    m.staff_id,
                    str(s["pin"]),
                    bool(s.get("must_change_pin", True)),
                    by,
                    kind="staff.pin_issued",
                )
                counts["pins"] += 1

    def _retire_unlisted(
        self, snap: _Snapshot, version: int, by: str, counts: dict[str, int]
    ) -> None:
        for old in self._dir.members():
            if old.staff_id not in snap.listed and old.status is not StaffStatus.LEFT:
                self._save(
                    replace(old, status=StaffStatus.LEFT, training=()), "left", by, snapshot=version
                )
                counts["left"] += 1

    def _apply_cards(self, snap: _Snapshot, by: str, counts: dict[str, int]) -> None:
        for member in self._dir.members():
            for card in self._dir.cards_of(member.staff_id):
                wanted = snap.cards.get(card.lookup_id)
                if wanted is None or wanted[0] != member.staff_id:
                    self._dir.remove_card(card.lookup_id)
                    self._post(
                        "staff.card_revoked",
                        {"staff_id": member.staff_id, "card": card_tag(card.lookup_id)},
                        by,
                    )
                    counts["revoked"] += 1
        for lookup, (sid, code) in snap.cards.items():
            if self._dir.card(lookup) is None:
                self._dir.set_card(
                    CardCredential(lookup, sid, self._hasher.hash(normalize_card_code(code)))
                )
                self._post("staff.card_assigned", {"staff_id": sid, "card": card_tag(lookup)}, by)
                counts["assigned"] += 1
