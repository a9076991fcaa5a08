"""``posctl card``: issue a staff badge (a fresh card code assigned on the terminals, drawn as a
PNG or printed on a terminal's receipt printer) and revoke cards."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provisioning.home import Home
from provisioning.posctl.common import (
    SendFailed,
    chosen_terminals,
    owner_home,
    plaintext_opt,
    remote_opts,
    send_all,
)
from provisioning.posctl.output import out
from provisioning.posctl.staff import known_staff, save_staff
from provisioning.remote import RemoteError, check_sealable
from terminal.link import protocol as wire


def cmd_card_issue(args: argparse.Namespace) -> int:
    from provisioning.badge import new_card_code

    home = owner_home(args)
    store = home.store()
    rec = known_staff(home, args.id)
    targets = chosen_terminals(home, args)
    print_on: str | None = args.print_on
    if print_on is not None:
        home.terminal(print_on)  # raises with the next step when unknown or revoked
    # Every terminal that gets the code must be able to open it, before anything is sent.
    check_sealable(
        home, sorted({*targets, *([print_on] if print_on else [])}), True, args.allow_plaintext
    )
    code = args.prefix + new_card_code()
    name = rec.get("name", args.id)
    png = args.out
    if png is None and print_on is None:
        png = home.root / "badges" / f"{args.id}-{datetime.now(UTC):%Y%m%d%H%M%S}.png"

    def show_badge() -> None:
        _show_badge(args, png, code=code, name=name, store_name=store["name"], print_on=print_on)

    failures: list[str] = []
    try:
        replies = send_all(
            home,
            args,
            "card.assign",
            wire.CardAssign(staff_id=args.id),
            what="assign card",
            on_sent=show_badge,
            secrets={"code": code},
            targets=targets,
        )
    except SendFailed as exc:
        _save_cards(home, args.id, rec, exc.replies)
        replies = exc.replies
        failures.append(str(exc))
    else:
        _save_cards(home, args.id, rec, replies)
    if print_on is not None:
        there = replies.get(print_on)
        if print_on in targets and (there is None or there.status != "done"):
            out(f"{print_on}: print badge: not sent, the card is not assigned there")
        else:
            failures += _print_badge(home, args, rec, code, store["name"], print_on)
    if failures:
        raise RemoteError("\n".join(failures))
    return 0


def _show_badge(
    args: argparse.Namespace,
    png: Path | None,
    *,
    code: str,
    name: str,
    store_name: str,
    print_on: str | None,
) -> None:
    """Draw the badge (when it goes to a PNG) and show the code: the only time it is shown."""
    from provisioning.badge import render_badge

    if png is not None:
        render_badge(
            Path(png),
            code=code,
            staff_name=name,
            staff_id=args.id,
            store_name=store_name,
            kind=args.kind,
        )
    out(f"Card code for {name}: {code}")
    if png is not None:
        out(f"Badge: {png}  (print it; the code is shown only now and posctl keeps no copy)")
    else:
        out(f"The badge prints on {print_on}; the code is shown only now, posctl keeps no copy")


def _save_cards(
    home: Home, staff_id: str, rec: dict[str, Any], replies: dict[str, wire.Reply]
) -> None:
    """Remember the tags of the cards the terminals assigned, next to the clerk's old ones."""
    tags = {
        str(r.result["card"])
        for r in replies.values()
        if r.status == "done" and isinstance(r.result, dict) and r.result.get("card")
    }
    save_staff(home, staff_id, cards=sorted({*(rec.get("cards") or []), *tags}))


def _print_badge(
    home: Home,
    args: argparse.Namespace,
    rec: dict[str, Any],
    code: str,
    store_name: str,
    print_on: str,
) -> list[str]:
    """Ask one terminal to print the badge; returns what went wrong (nothing when printed)."""
    try:
        send_all(
            home,
            args,
            "badge.print",
            wire.BadgePrint(
                staff_id=args.id,
                name=rec.get("name", args.id),
                name_zh=args.name_zh if args.name_zh is not None else rec.get("name_zh", ""),
                role_label=_role_label(rec.get("role", "")),
                symbology=args.kind,
                store_name=store_name,
            ),
            what="print badge",
            secrets={"code": code},
            targets=[print_on],
        )
    except SendFailed as exc:
        return [str(exc)]
    return []


def _role_label(role: str) -> str:
    from terminal.core.permissions import builtin_roles

    known = builtin_roles().get(role)
    return known.label if known is not None else role


def cmd_card_revoke(args: argparse.Namespace) -> int:
    home = owner_home(args)
    rec = known_staff(home, args.id)
    send_all(
        home,
        args,
        "card.revoke",
        wire.CardRevoke(staff_id=args.id, tag=args.tag),
        what="revoke card" if args.tag else "revoke all cards",
    )
    left = [] if not args.tag else [t for t in rec.get("cards") or [] if t != args.tag]
    save_staff(home, args.id, cards=left)
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "card", help="issue or revoke staff badges", description="Staff badges (barcode or QR)."
    )
    csub = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = csub.add_parser(
        "issue",
        help="issue a badge PNG and assign its code",
        description="Generate a card code, assign it on the terminals, and draw "
        "the badge as a PNG. The code is shown once.",
    )
    e.add_argument("id", help="staff id")
    e.add_argument("--kind", choices=("qr", "code128"), default="qr")
    e.add_argument("--out", type=Path, help="PNG path (default: <home>/badges/...)")
    e.add_argument(
        "--prefix",
        default="STF",
        help="prefix scanners' reads carry for staff cards (default: %(default)s)",
    )
    e.add_argument(
        "--print-on",
        metavar="TERMINAL",
        help="print the badge on this terminal's receipt printer (no PNG unless --out)",
    )
    e.add_argument("--name-zh", help="Chinese name printed on the badge")
    remote_opts(e)
    plaintext_opt(e)
    e.set_defaults(func=cmd_card_issue)
    e = csub.add_parser(
        "revoke",
        help="revoke one card (--tag) or all of a clerk's cards",
        description="Revoke a clerk's card by tag, or all of their cards.",
    )
    e.add_argument("id")
    e.add_argument("--tag", help="card tag as shown by `posctl staff list`")
    remote_opts(e)
    e.set_defaults(func=cmd_card_revoke)
