"""``posctl init``: the owner's signing key, the store record and its certificate authority."""

from __future__ import annotations

import argparse

from provisioning.posctl.common import owner_home
from provisioning.posctl.output import out
from terminal.link import protocol as wire


def cmd_init(args: argparse.Namespace) -> int:
    home = owner_home(args)
    rec = home.init(
        args.store,
        currency=args.currency,
        store_id=args.store_id,
        broker_host=args.broker_host,
        broker_port=args.broker_port,
    )
    out(f"Store {rec['name']!r} (id {rec['store_id']}) created in {home.root}")
    out(f"Owner signing key: {home.signing_key_file} (keep it secret; back up this directory)")
    out(f"Owner public key:  {wire.public_key_text(home.signing_key().public_key())}")
    out(f"Certificate authority: {home.ca_cert}")
    out("Next: `posctl broker --host BROKER_HOST`, then `posctl terminal enroll ID`.")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "init",
        help="create the owner key, the store and its CA",
        description="Create the owner's Ed25519 signing key, the store record and "
        "a certificate authority for the broker and terminals.",
    )
    s.add_argument("--store", required=True, help="store name, as printed on badges")
    s.add_argument("--store-id", help="store id used in MQTT topics (default: generated)")
    s.add_argument("--currency", default="CNY", help="ISO 4217 currency (default: %(default)s)")
    s.add_argument("--broker-host", default="pos-broker.local", help="broker host name")
    s.add_argument("--broker-port", type=int, default=8883, help="broker TLS port")
    s.set_defaults(func=cmd_init)
