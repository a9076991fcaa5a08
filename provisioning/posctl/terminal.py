"""``posctl terminal``: enrol a terminal (its certificate and SD-card bundle), revoke it, list
them."""

from __future__ import annotations

import argparse
from pathlib import Path

from provisioning import profile as hw
from provisioning import terminals as terms
from provisioning.posctl.common import broker_override, owner_home
from provisioning.posctl.output import out, table


def cmd_terminal_enroll(args: argparse.Namespace) -> int:
    home = owner_home(args)
    host, port = broker_override(args)
    sections = hw.build_profile(
        hw.ProfileFlags(
            simulated=args.simulated,
            profile=args.profile,
            printer=args.printer,
            paper=args.paper,
            drawer=args.drawer,
            scanners=args.scanner or [],
            scanner_serial=args.scanner_serial or [],
        )
    )
    bundle = terms.enroll(
        home,
        args.id,
        out=args.out,
        host=host,
        port=port,
        install_dir=args.install_dir,
        profile=hw.profile_text(sections),
    )
    out(f"Terminal {args.id} enrolled (certificate serial {bundle.serial:x}).")
    out(f"Bundle: {bundle.dir}")
    for f in sorted(bundle.dir.iterdir()):
        out(f"  {f.name}")
    for line in hw.describe(sections):
        out(line)
    out(
        "Copy the folder onto the SD card's boot partition as `pos-terminal/` "
        "(next to config.txt); the terminal installs it at first boot."
    )
    return 0


def cmd_terminal_revoke(args: argparse.Namespace) -> int:
    home = owner_home(args)
    crl = terms.revoke(home, args.id)
    out(f"Terminal {args.id} revoked; its certificate is on the revocation list {crl}.")
    out(
        "Next: copy that crl.pem to the broker (where mosquitto.conf's crlfile points) and "
        "restart mosquitto (`sudo systemctl restart mosquitto`); from then on the broker refuses "
        "the terminal's certificate."
    )
    return 0


def cmd_terminal_list(args: argparse.Namespace) -> int:
    home = owner_home(args)
    home.require()
    rows = [
        (
            t,
            "revoked " + rec["revoked_at"] if rec.get("revoked_at") else "active",
            rec.get("enrolled_at", ""),
            f"{rec.get('host')}:{rec.get('port')}",
        )
        for t, rec in sorted(home.terminals().items())
    ]
    if not rows:
        out("No terminals yet: `posctl terminal enroll ID` adds one.")
        return 0
    out(table(rows, ("terminal", "state", "enrolled", "broker")))
    return 0


def _add_profile_options(e: argparse.ArgumentParser) -> None:
    g = e.add_argument_group(
        "hardware profile",
        "Without --simulated the card is a real terminal: [hardware] simulated = false, "
        "[ui] fullscreen = true, QR and card payments none unless the profile sets them.",
    )
    g.add_argument("--simulated", action="store_true",
                   help="simulated devices in a window (a bench or test terminal)")
    g.add_argument("--profile", type=Path, metavar="FILE",
                   help="TOML with [hardware] [ui] [printer] [drawer] [scanner] [payments]; "
                   "the flags below override it")
    g.add_argument("--printer", metavar="SPEC",
                   help="usb:VENDOR:PRODUCT (hex), network:HOST[:PORT], serial:DEVICE[@BAUD] "
                   "or file:PATH")
    g.add_argument("--paper", choices=("80mm", "58mm"), help="receipt paper width")
    g.add_argument("--drawer", metavar="SPEC",
                   help="printer[:2|5] (the printer's kick connector) or gpio[:BCM_PIN]")
    g.add_argument("--scanner", action="append", metavar="DEVICE",
                   help="an evdev scanner (/dev/input/by-id/...); repeatable; default: "
                   "detected at start")
    g.add_argument("--scanner-serial", action="append", metavar="PORT",
                   help="a serial scanner (/dev/ttyACM0); repeatable")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "terminal",
        help="enrol, revoke and list terminals",
        description="Enrol, revoke and list terminals.",
    )
    tsub = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = tsub.add_parser(
        "enroll",
        help="issue a terminal's certificate and its SD-card bundle",
        description="Issue the terminal's client certificate (CN = id) and write "
        "the bundle (pos-terminal.toml, ca.crt, client.crt, client.key) to copy "
        "onto the SD card's boot partition as pos-terminal/.",
    )
    e.add_argument("id", help="terminal id, e.g. till-1")
    e.add_argument("--out", type=Path, help="bundle folder (default: <home>/terminals/ID/...)")
    e.add_argument("--broker", metavar="HOST:PORT", help="broker the terminal connects to")
    e.add_argument(
        "--install-dir",
        default=terms.INSTALL_DIR,
        help="where the bundle lives on the Pi (default: %(default)s)",
    )
    _add_profile_options(e)
    e.set_defaults(func=cmd_terminal_enroll)
    e = tsub.add_parser(
        "revoke",
        help="revoke a terminal's certificate",
        description="Put the terminal's certificate on the CRL. Copy the new "
        "crl.pem to the broker and restart mosquitto to make it effective.",
    )
    e.add_argument("id")
    e.set_defaults(func=cmd_terminal_revoke)
    e = tsub.add_parser("list", help="list enrolled terminals", description="List terminals.")
    e.set_defaults(func=cmd_terminal_list)
