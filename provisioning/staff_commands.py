"""The owner's staff commands as data: a checked ``staff.add`` body with its generated initial
PIN, and the owner directory's record of the staff as last sent. ``posctl staff`` and the web
back office both build what they send here, so a clerk added from either is the same command."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioning.home import Home, utc_now
from terminal.core.pins import generate_pin
from terminal.core.staff import StaffMember
from terminal.link import protocol as wire


@dataclass(frozen=True, slots=True)
class NewClerk:
    """A clerk to add: the checked record, the command body, and the initial PIN, which
    travels only sealed inside the command and is shown once."""

    member: StaffMember
    body: wire.StaffAdd
    pin: str


def new_pin() -> str:
    return generate_pin(6)


def staff_add(
    *,
    staff_id: str,
    name: str,
    role: str,
    gender: str | None = None,
    contact: str = "",
    trainee: bool = False,
) -> NewClerk:
    """The ``staff.add`` for one clerk with a fresh initial PIN the clerk must change. Raises
    ``terminal.core.errors.PosError`` naming what is wrong with the record."""
    member = StaffMember.from_payload(
        {
            "staff_id": staff_id,
            "name": name,
            "role": role,
            "gender": gender,
            "contact": contact or "",
            "trainee": trainee,
        }
    )
    body = wire.StaffAdd(
        staff_id=member.staff_id,
        name=member.name,
        role=member.role,
        gender=member.gender,
        contact=member.contact,
        trainee=member.trainee,
        must_change_pin=True,
    )
    return NewClerk(member, body, new_pin())


def save_staff(home: Home, staff_id: str, **changes: Any) -> dict[str, Any]:
    staff = home.staff()
    rec = {**staff.get(staff_id, {"staff_id": staff_id, "cards": []}), **changes}
    rec["updated_at"] = utc_now()
    staff[staff_id] = rec
    home.save_staff(staff)
    return rec


def save_added(home: Home, member: StaffMember) -> dict[str, Any]:
    """Record a clerk just sent with ``staff.add`` (``posctl staff list`` reads it)."""
    return save_staff(
        home,
        member.staff_id,
        name=member.name,
        role=member.role,
        gender=member.gender,
        contact=member.contact,
        trainee=member.trainee,
        status="active",
    )
