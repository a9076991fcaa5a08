"""``posctl broker``: mosquitto's configuration, server certificate, CRL and ACL, and the
collector and posctl identities."""

from __future__ import annotations

import argparse
from pathlib import Path

from provisioning import broker as brokercfg
from provisioning.posctl.common import owner_home
from provisioning.posctl.output import out


def cmd_broker(args: argparse.Namespace) -> int:
    home = owner_home(args)
    files = brokercfg.generate(
        home,
        host=args.host,
        port=args.port,
        out=args.out,
        install_dir=args.install_dir,
        collectors=args.collectors,
        bind=args.bind,
        extra_names=tuple(args.name or ()),
    )
    out(f"Broker files in {files.conf.parent}:")
    for f in (files.conf, files.acl, files.ca, files.cert, files.key, files.crl):
        out(f"  {f.name}")
    where = args.install_dir or str(files.conf.parent.resolve())
    out(
        f"Install them on the broker machine in {where} and run "
        f"`mosquitto -c {where}/mosquitto.conf` (or point the mosquitto service at it)."
    )
    out(
        f"Collector identities: svc.collector.1..{args.collectors} in {home.root / 'identities'}; "
        "start each with `python -m provisioning.collector --home "
        f"{home.root} --identity svc.collector.N --db URL`."
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "broker",
        help="generate mosquitto's configuration, certificate and ACL",
        description="Write mosquitto.conf (TLS listener, client certificates "
        "required, CN as username), the server certificate, the CA, the CRL "
        "and an ACL that confines each terminal to its own topics; issue the "
        "collector and posctl identities.",
    )
    s.add_argument("--host", required=True, help="name or IP terminals use to reach the broker")
    s.add_argument("--port", type=int, default=8883, help="TLS port (default: %(default)s)")
    s.add_argument("--bind", default="", help="address to listen on (default: all)")
    s.add_argument("--name", action="append", help="another name/IP for the server certificate")
    s.add_argument("--out", type=Path, help="output folder (default: <home>/broker)")
    s.add_argument("--install-dir", help="where the files live on the broker machine")
    s.add_argument(
        "--collectors",
        type=int,
        default=2,
        help="collector identities to issue (default: %(default)s)",
    )
    s.set_defaults(func=cmd_broker)
