"""``posctl staff`` and ``posctl reset-pin``: add, edit, suspend and list clerks, issue initial
PINs, and the owner directory's record of the staff as posctl last sent them."""

from __future__ import annotations

import argparse
from typing import Any, Literal

from provisioning.home import Home
from provisioning.posctl.common import (
    SendFailed,
    UsageError,
    owner_home,
    plaintext_opt,
    remote_opts,
    send_all,
)
from provisioning.posctl.output import out, table
from provisioning.staff_commands import new_pin, save_added, save_staff, staff_add
from terminal.link import protocol as wire


def known_staff(home: Home, staff_id: str) -> dict[str, Any]:
    rec = home.staff().get(staff_id)
    if rec is None:
        raise UsageError(
            f"no staff member {staff_id!r} in this home: add them with `posctl staff add "
            f"{staff_id} --name NAME --role ROLE` (`posctl staff list` shows everyone)"
        )
    return rec


def cmd_staff_add(args: argparse.Namespace) -> int:
    home = owner_home(args)
    home.require()
    from terminal.core.errors import PosError

    try:
        clerk = staff_add(
            staff_id=args.id,
            name=args.name,
            role=args.role,
            gender=args.gender,
            contact=args.contact or "",
            trainee=args.trainee,
        )
    except PosError as exc:
        raise UsageError(exc.message) from exc
    member, body, pin = clerk.member, clerk.body, clerk.pin

    def show_pin() -> None:
        out(f"Initial PIN for {member.name} ({member.staff_id}): {pin}")
        out("It is shown only now; the clerk chooses a new PIN at the first login.")

    def save() -> None:
        save_added(home, member)

    try:
        send_all(
            home,
            args,
            "staff.add",
            body,
            what=f"add {member.staff_id}",
            on_sent=show_pin,
            secrets={"pin": pin},
        )
    except SendFailed as exc:
        if exc.maybe_applied:
            save()
        raise
    save()
    return 0


def cmd_staff_edit(args: argparse.Namespace) -> int:
    home = owner_home(args)
    home.require()
    changes = {
        k: v
        for k, v in (
            ("name", args.name),
            ("role", args.role),
            ("gender", args.gender),
            ("contact", args.contact),
        )
        if v is not None
    }
    if not changes:
        raise UsageError("nothing to change: give --name, --role, --gender or --contact")
    send_all(
        home,
        args,
        "staff.update",
        wire.StaffUpdate(staff_id=args.id, changes=changes),
        what=f"edit {args.id}",
    )
    save_staff(home, args.id, **changes)
    return 0


def cmd_staff_suspend(args: argparse.Namespace) -> int:
    home = owner_home(args)
    home.require()
    status: Literal["suspended", "left", "active"] = (
        "active" if args.lift else ("left" if args.left else "suspended")
    )
    send_all(
        home,
        args,
        "staff.suspend",
        wire.StaffSuspend(staff_id=args.id, reason=args.reason or "", status=status),
        what=f"{'reactivate' if args.lift else status} {args.id}",
    )
    save_staff(home, args.id, status=status)
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    home = owner_home(args)
    home.require()
    staff = home.staff()
    if not staff:
        out("No staff yet: `posctl staff add ID --name NAME --role ROLE` adds one.")
        return 0
    rows = [
        (
            sid,
            rec.get("name", ""),
            rec.get("role", ""),
            rec.get("status", ""),
            ", ".join(rec.get("cards") or []),
        )
        for sid, rec in sorted(staff.items())
    ]
    out(table(rows, ("id", "name", "role", "status", "cards")))
    return 0


def cmd_reset_pin(args: argparse.Namespace) -> int:
    home = owner_home(args)
    home.require()
    rec = known_staff(home, args.id)
    pin = new_pin()

    def show_pin() -> None:
        out(f"New initial PIN for {rec.get('name', args.id)} ({args.id}): {pin}")
        out("It is shown only now; the clerk chooses a new PIN at the next login.")

    send_all(
        home,
        args,
        "pin.reset",
        wire.PinReset(staff_id=args.id, must_change=True),
        what=f"reset PIN of {args.id}",
        on_sent=show_pin,
        secrets={"pin": pin},
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _add_staff_parser(sub)
    s = sub.add_parser(
        "reset-pin",
        help="issue a new initial PIN (shown once)",
        description="Issue a new initial PIN for a clerk, shown once; the clerk "
        "must change it at the next login.",
    )
    s.add_argument("id")
    remote_opts(s)
    plaintext_opt(s)
    s.set_defaults(func=cmd_reset_pin)


def _add_staff_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "staff",
        help="add, edit, suspend and list staff",
        description="Manage staff on the terminals.",
    )
    ssub = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = ssub.add_parser(
        "add",
        help="add a clerk (prints the initial PIN once)",
        description="Add a clerk on the terminals with a generated initial PIN, shown once.",
    )
    e.add_argument("id", help="account id: phone or staff number")
    e.add_argument("--name", required=True)
    e.add_argument("--role", required=True, help="cashier, senior_cashier, supervisor, manager...")
    e.add_argument("--gender")
    e.add_argument("--contact")
    e.add_argument("--trainee", action="store_true", help="training mode only until trained")
    remote_opts(e)
    plaintext_opt(e)
    e.set_defaults(func=cmd_staff_add)
    e = ssub.add_parser(
        "edit",
        help="change name, role, gender or contact",
        description="Change a clerk's name, role, gender or contact.",
    )
    e.add_argument("id")
    e.add_argument("--name")
    e.add_argument("--role")
    e.add_argument("--gender")
    e.add_argument("--contact")
    remote_opts(e)
    e.set_defaults(func=cmd_staff_edit)
    e = ssub.add_parser(
        "suspend",
        help="suspend a clerk (or --lift, or --left)",
        description="Suspend a clerk's account; --lift reactivates it, --left closes it for good.",
    )
    e.add_argument("id")
    e.add_argument("--reason")
    g = e.add_mutually_exclusive_group()
    g.add_argument("--lift", action="store_true", help="reactivate")
    g.add_argument("--left", action="store_true", help="the clerk left the store")
    remote_opts(e)
    e.set_defaults(func=cmd_staff_suspend)
    e = ssub.add_parser(
        "list",
        help="list staff as posctl last sent them",
        description="List staff as posctl last sent them.",
    )
    e.set_defaults(func=cmd_staff_list)
    e = ssub.add_parser(
        "reset-pin",
        help="same as `posctl reset-pin`",
        description="Issue a new initial PIN, shown once.",
    )
    e.add_argument("id")
    remote_opts(e)
    plaintext_opt(e)
    e.set_defaults(func=cmd_reset_pin)
