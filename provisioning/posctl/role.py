"""``posctl role``: give a clerk a role, or define a role from a built-in one."""

from __future__ import annotations

import argparse

from provisioning.posctl.common import UsageError, owner_home, remote_opts, send_all
from provisioning.posctl.staff import save_staff
from terminal.link import protocol as wire


def cmd_role_set(args: argparse.Namespace) -> int:
    home = owner_home(args)
    home.require()
    send_all(
        home,
        args,
        "staff.update",
        wire.StaffUpdate(staff_id=args.id, changes={"role": args.role}),
        what=f"role of {args.id} -> {args.role}",
    )
    save_staff(home, args.id, role=args.role)
    return 0


def cmd_role_define(args: argparse.Namespace) -> int:
    home = owner_home(args)
    home.require()
    from terminal.core.permissions import builtin_roles
    from terminal.core.rights import Right, Verdict
    from terminal.core.staff import Grant, grants_to_payload

    roles = builtin_roles()
    if args.base not in roles:
        raise UsageError(f"--base {args.base!r}: choose one of {', '.join(sorted(roles))}")
    grants = dict(roles[args.base].grants)
    for spec in args.grant or ():
        right_name, sep, verdict = spec.partition("=")
        try:
            right = Right(right_name)
            grants[right] = Grant(Verdict(verdict), {})
        except ValueError:
            raise UsageError(
                f"--grant {spec!r}: write RIGHT=allow|approval|deny with RIGHT one of "
                + ", ".join(r.value for r in Right)
            ) from None
        if not sep:
            raise UsageError(f"--grant {spec!r}: write RIGHT=allow|approval|deny")
    body = wire.RoleSet(
        name=args.name, label=args.label or args.name, grants=grants_to_payload(grants)
    )
    send_all(home, args, "role.set", body, what=f"define role {args.name}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "role",
        help="set a clerk's role or define a role",
        description="Set a clerk's role, or define a role.",
    )
    rsub = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = rsub.add_parser("set", help="give a clerk a role", description="Give a clerk a role.")
    e.add_argument("id")
    e.add_argument("role")
    remote_opts(e)
    e.set_defaults(func=cmd_role_set)
    e = rsub.add_parser(
        "define",
        help="define a role from a built-in one",
        description="Define (or redefine) a role: a built-in role's grants with changes.",
    )
    e.add_argument("name")
    e.add_argument("--base", default="cashier", help="built-in role to start from")
    e.add_argument("--label")
    e.add_argument(
        "--grant",
        action="append",
        metavar="RIGHT=VERDICT",
        help="e.g. drawer.no_sale=allow (repeatable)",
    )
    remote_opts(e)
    e.set_defaults(func=cmd_role_define)
