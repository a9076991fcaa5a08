"""One place that wires the staff services together, so the composition root, the tests and the
provisioning link all get the same objects the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from terminal.core.approval import DEFAULT_REASONS, ApprovalService
from terminal.core.auth import AuthConfig, AuthService
from terminal.core.evaluation import EvaluationService, RatingService, StaffJournal
from terminal.core.permissions import Permissions
from terminal.core.pins import CardKey, PinPolicy, ScryptParams, SecretHasher
from terminal.core.ports import Clock, Ledger
from terminal.core.staff import OWNER, StaffDirectory
from terminal.core.staff_service import StaffService
from terminal.core.training import TrainingService


@dataclass(frozen=True, slots=True)
class StaffSettings:
    pin_only_login: bool = False
    max_failures: int = 5
    lock_base_seconds: int = 60
    lock_growth: int = 2
    lock_max_seconds: int = 24 * 3600
    idle_logout_seconds: int = 300
    pin_min_length: int = 4
    pin_max_length: int = 8
    approval_reasons: tuple[str, ...] = DEFAULT_REASONS
    cash_tolerance: int = 0
    """Over/short (minor units) a shift close may show and still count as accurate."""
    currency: str = "CNY"

    def auth_config(self) -> AuthConfig:
        return AuthConfig(
            pin_only_login=self.pin_only_login,
            max_failures=self.max_failures,
            lock_base_seconds=self.lock_base_seconds,
            lock_growth=self.lock_growth,
            lock_max_seconds=self.lock_max_seconds,
            idle_logout_seconds=self.idle_logout_seconds,
        )

    def pin_policy(self) -> PinPolicy:
        return PinPolicy(self.pin_min_length, self.pin_max_length)


@dataclass(frozen=True, slots=True)
class StaffServices:
    directory: StaffDirectory
    permissions: Permissions
    """The ``rights.Gate`` checkout, refunds and shifts ask."""
    auth: AuthService
    approvals: ApprovalService
    training: TrainingService
    staff: StaffService
    evaluation: EvaluationService
    ratings: RatingService

    def name_of(self, staff_id: str) -> str:
        """The clerk's name for receipts and reports (the id when unknown)."""
        member = self.directory.member(staff_id)
        return member.name if member else staff_id


def build_staff_services(
    ledger: Ledger,
    directory: StaffDirectory,
    journal: StaffJournal,
    clock: Clock,
    card_key: CardKey,
    settings: StaffSettings | None = None,
    *,
    scrypt: ScryptParams | None = None,
) -> StaffServices:
    settings = settings or StaffSettings()
    hasher = SecretHasher(scrypt)
    policy = settings.pin_policy()
    # Checkout, refunds and shifts journal their own permission decisions; the gate stays
    # quiet so each decision is in the journal once.
    permissions = Permissions(directory, currency=settings.currency)
    auth = AuthService(
        directory, ledger, hasher, card_key, clock, settings.auth_config(), pin_policy=policy
    )
    training = TrainingService(journal, auth, permissions, ledger, directory)
    staff = StaffService(
        directory,
        permissions,
        ledger,
        hasher,
        card_key,
        training=training,
        pin_policy=policy,
        today=lambda: clock.now().date(),
    )
    return StaffServices(
        directory=directory,
        permissions=permissions,
        auth=auth,
        approvals=ApprovalService(auth, permissions, ledger, settings.approval_reasons),
        training=training,
        staff=staff,
        evaluation=EvaluationService(
            journal, permissions, directory, cash_tolerance=settings.cash_tolerance
        ),
        ratings=RatingService(ledger),
    )


def seed_staff(
    services: StaffServices,
    records: Iterable[Mapping[str, Any]],
    *,
    must_change_pin: bool = True,
) -> list[str]:
    """Add sample or first-start staff that are not there yet (as the owner), with the PIN and
    card each record carries (``pin``, optional ``card``). ``must_change_pin=False`` is for the
    demo store, whose PINs are printed in the README. Returns the ids added; running it again
    adds nothing."""
    added = []
    for record in records:
        data = {k: v for k, v in record.items() if k not in ("pin", "card", "cards")}
        staff_id = str(data.get("staff_id", ""))
        if services.directory.member(staff_id) is not None:
            continue
        pin = record.get("pin")
        services.staff.add(
            data, by=OWNER, pin=str(pin) if pin else None, must_change_pin=must_change_pin
        )
        codes = list(record.get("cards") or ())
        if record.get("card"):
            codes.append(record["card"])
        for code in codes:
            services.staff.assign_card(staff_id, str(code), by=OWNER)
        added.append(staff_id)
    return added
