"""In-memory stand-ins for the staff directory and the staff journal, for core staff tests, and
a store with one of each built-in role.

``MemoryStaffDirectory.attach`` makes ``fakes.FakeLedger`` run the same ``apply_staff_entry``
projection the SQLite store runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from terminal.core.auth import Session
from terminal.core.clock import ManualClock
from terminal.core.evaluation import in_period
from terminal.core.pins import ScryptParams, SecretHasher
from terminal.core.records import JournalEntry
from terminal.core.rights import Approval, Right
from terminal.core.staff import (
    STAFF_KINDS,
    CardCredential,
    LockState,
    PinCredential,
    Role,
    StaffMember,
    TrainingRecord,
    apply_staff_entry,
)

from .fakes import FakeLedger

FAST_SCRYPT = ScryptParams(n=2**8, r=8, p=1)
"""Cheap parameters so the suite stays fast; the encoding and verification path is the same."""


def fast_hasher() -> SecretHasher:
    return SecretHasher(FAST_SCRYPT)


class MemoryStaffDirectory:
    def __init__(self) -> None:
        self._members: dict[str, StaffMember] = {}
        self._roles: dict[str, Role] = {}
        self._training: dict[str, list[TrainingRecord]] = {}
        self._version = 0
        self._pins: dict[str, PinCredential] = {}
        self._cards: dict[str, CardCredential] = {}
        self._locks: dict[str, LockState] = {}

    def attach(self, ledger: FakeLedger) -> None:
        for kind in STAFF_KINDS:
            ledger.projectors[kind] = lambda e: apply_staff_entry(e, self)

    # sink
    def save_member(self, member: StaffMember) -> None:
        self._members[member.staff_id] = replace(member, training=())

    def save_role(self, role: Role) -> None:
        self._roles[role.name] = role

    def add_training_record(self, staff_id: str, record: TrainingRecord) -> None:
        self._training.setdefault(staff_id, []).append(record)

    def set_snapshot_version(self, version: int) -> None:
        self._version = version

    # directory
    def member(self, staff_id: str) -> StaffMember | None:
        m = self._members.get(staff_id)
        if m is None:
            return None
        records = sorted(self._training.get(staff_id, []), key=lambda r: r.date)
        return replace(m, training=tuple(records))

    def members(self) -> list[StaffMember]:
        found = (self.member(s) for s in self._members)
        return sorted((m for m in found if m), key=lambda m: (m.name, m.staff_id))

    def stored_role(self, name: str) -> Role | None:
        return self._roles.get(name)

    def stored_roles(self) -> list[Role]:
        return list(self._roles.values())

    def snapshot_version(self) -> int:
        return self._version

    def pin(self, staff_id: str) -> PinCredential | None:
        return self._pins.get(staff_id)

    def set_pin(self, credential: PinCredential) -> None:
        self._pins[credential.staff_id] = credential

    def card(self, lookup_id: str) -> CardCredential | None:
        return self._cards.get(lookup_id)

    def cards_of(self, staff_id: str) -> list[CardCredential]:
        return [c for c in self._cards.values() if c.staff_id == staff_id]

    def set_card(self, credential: CardCredential) -> None:
        self._cards[credential.lookup_id] = credential

    def remove_card(self, lookup_id: str) -> None:
        self._cards.pop(lookup_id, None)

    def lock_state(self, staff_id: str) -> LockState:
        return self._locks.get(staff_id, LockState(staff_id))

    def set_lock_state(self, state: LockState) -> None:
        self._locks[state.staff_id] = state


class ListJournal:
    """``StaffJournal`` over a FakeLedger's list."""

    def __init__(self, ledger: FakeLedger) -> None:
        self._ledger = ledger

    def staff_entries(
        self,
        *,
        kinds: Sequence[str],
        since: str | None = None,
        until: str | None = None,
        training: bool | None = False,
        staff_id: str | None = None,
    ) -> Iterator[JournalEntry]:
        for e in list(self._ledger.journal):
            if e.kind not in kinds:
                continue
            if training is not None and e.training != training:
                continue
            if staff_id is not None and e.staff_id != staff_id:
                continue
            if in_period(e.ts, since, until):
                yield e


# --- a store with one of each built-in role, wired like the composition root wires it -------

PINS = {
    "owner1": "73019548",
    "mgr1": "58204761",
    "sup1": "64031892",
    "sup2": "91726435",
    "senior1": "40815367",
    "cash1": "26580914",
    "cash2": "39174652",
    "trainee1": "80463127",
}
CARDS = {
    "owner1": "OWNERCARD-0001",
    "mgr1": "MGRCARD-0042",
    "sup1": "SUPCARD-7781",
    "sup2": "SUPCARD-7782",
    "senior1": "SENCARD-5510",
    "cash1": "CASHCARD-1001",
    "cash2": "04A1B2C3D4E5F6",
    "trainee1": "TRAINEECARD-77",
}
ROLES = {
    "owner1": "owner",
    "mgr1": "manager",
    "sup1": "supervisor",
    "sup2": "supervisor",
    "senior1": "senior_cashier",
    "cash1": "cashier",
    "cash2": "cashier",
    "trainee1": "cashier",
}
NAMES = {
    "owner1": "Olivia Owner",
    "mgr1": "Ma Li",
    "sup1": "Sun Hua",
    "sup2": "Song Wei",
    "senior1": "Shen Yu",
    "cash1": "Chen Jing",
    "cash2": "Cao Min",
    "trainee1": "Tian Xin",
}


class StaffEnv:
    """Every staff service over the fakes, with the store above provisioned by snapshot 1."""

    def __init__(self, *, pin_only: bool = False, seed: bool = True) -> None:
        from terminal.core.approval import ApprovalService
        from terminal.core.auth import AuthConfig, AuthService
        from terminal.core.evaluation import EvaluationService, RatingService
        from terminal.core.permissions import Permissions
        from terminal.core.pins import CardKey
        from terminal.core.staff_service import StaffService
        from terminal.core.training import TrainingService

        self.clock = ManualClock()
        self.ledger = FakeLedger(self.clock)
        self.directory = MemoryStaffDirectory()
        self.directory.attach(self.ledger)
        self.journal = ListJournal(self.ledger)
        self.hasher = fast_hasher()
        self.card_key = CardKey(b"k" * 32)
        self.permissions = Permissions(
            self.directory,
            ledger=self.ledger,
        )
        self.auth = AuthService(
            self.directory,
            self.ledger,
            self.hasher,
            self.card_key,
            self.clock,
            AuthConfig(pin_only_login=pin_only, lock_base_seconds=60, idle_logout_seconds=120),
        )
        self.approvals = ApprovalService(self.auth, self.permissions, self.ledger)
        self.training = TrainingService(
            self.journal, self.auth, self.permissions, self.ledger, self.directory
        )
        self.staff = StaffService(
            self.directory,
            self.permissions,
            self.ledger,
            self.hasher,
            self.card_key,
            training=self.training,
            today=lambda: self.clock.now().date(),
        )
        self.evaluation = EvaluationService(self.journal, self.permissions, self.directory)
        self.ratings = RatingService(self.ledger)
        if seed:
            self.staff.apply_snapshot(1, *snapshot_parts())

    def login(self, staff_id: str) -> Session:
        return self.auth.login(PINS[staff_id], card=CARDS[staff_id])

    def approve(
        self,
        clerk: str,
        approver: str,
        right: Right,
        amount: int | None = None,
        reason: str = "other",
    ) -> Approval:
        return self.approvals.approve(
            clerk_id=clerk,
            right=right,
            card=CARDS[approver],
            pin=PINS[approver],
            reason=reason,
            amount=amount,
        )


def snapshot_parts() -> tuple[list[dict], list[dict], list[dict]]:
    staff = [
        {
            "staff_id": sid,
            "name": NAMES[sid],
            "role": ROLES[sid],
            "trainee": sid == "trainee1",
            "pin": PINS[sid],
            "must_change_pin": False,
        }
        for sid in PINS
    ]
    cards = [{"staff_id": sid, "code": code} for sid, code in CARDS.items()]
    return staff, [], cards


def sale_payload(
    sale_id: str,
    staff_id: str,
    *,
    lines: Sequence[tuple[str, int, str, int, str]] = (("A1", 1000, "each", 1000, "catalog"),),
    tenders: Sequence[tuple[str, int]] | None = None,
    started: str = "2026-01-05T02:00:00+00:00",
    completed: str = "2026-01-05T02:01:00+00:00",
    discount: int = 0,
    kind: str = "sale",
    original_sale_id: str | None = None,
    training: bool = False,
) -> dict[str, Any]:
    """A ``SaleRecord`` payload as checkout posts it. ``lines`` are (sku, qty_milli, unit,
    unit_price, price_source); the discount comes off the first line."""
    from terminal.core.records import SaleLine, SaleRecord, TenderRecord

    built = []
    for i, (sku, qty, unit, price, source) in enumerate(lines, start=1):
        gross = qty * price // 1000
        disc = discount if i == 1 else 0
        built.append(
            SaleLine(
                line_no=i,
                sku=sku,
                name=sku,
                name_zh=sku,
                qty_milli=qty,
                unit=unit,
                unit_price=price,
                gross=gross,
                discount=disc,
                net=gross - disc,
                tax_class="standard",
                tax_rate_bp=1300,
                tax_inclusive=True,
                tax=0,
                price_source=source,
            )
        )
    total = sum(x.net for x in built)
    tenders = tenders or [("cash", total)]
    record = SaleRecord(
        sale_id=sale_id,
        terminal_id="T-TEST",
        shift_id="S1",
        staff_id=staff_id,
        currency="CNY",
        started_at=started,
        completed_at=completed,
        lines=tuple(built),
        tenders=tuple(TenderRecord(kind=k, amount=a, tendered=a) for k, a in tenders),
        subtotal=sum(x.gross for x in built),
        discount_total=discount,
        tax_total=0,
        total=total,
        training=training,
        kind=kind,
        original_sale_id=original_sale_id,
    )
    return record.to_payload()
