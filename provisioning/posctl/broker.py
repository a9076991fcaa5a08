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
        bind=tuple(args.bind or ()),
        data_dir=args.data_dir,
        log_file=args.log_file,
        extra_names=tuple(args.name or ()),
    )
    out(f"Broker files in {files.conf.parent}:")
    for f in (files.conf, files.acl, files.ca, files.cert, files.key, files.crl):
        out(f"  {f.name}")
    where = args.install_dir or str(files.conf.parent.resolve())
    listens = ", ".join(args.bind) if args.bind else "every interface (restrict with --bind)"
    out(f"The broker listens on port {args.port} on {listens}.")
    out(
        f"It keeps its sessions in {args.data_dir or where + '/data'} and logs to "
        f"{args.log_file or where + '/mosquitto.log'}: both must be writable by the user "
        "mosquitto runs as, and server.key readable by it (e.g. `chown -R mosquitto: "
        f"{where}`)."
    )
    blocked = None if args.install_dir else brokercfg.unreadable_parent(files.conf)
    if blocked is not None:
        out(
            f"Note: {blocked} is closed to other users, so mosquitto running as its own user "
            f"cannot read these files there: copy the folder out (e.g. to /etc/pos-broker) and "
            "pass --install-dir, or write it there directly with --out."
        )
    out(
        f"Install them on the broker machine in {where} and run "
        f"`mosquitto -c {where}/mosquitto.conf` (or point the mosquitto service at it)."
    )
    out(
        f"Collector identities: svc.collector.1..{args.collectors} in {home.root / 'identities'}; "
        "start each with `python -m provisioning.collector --home "
        f"{home.root} --identity svc.collector.N --db URL`."
    )
    out(
        f"Read-only monitoring identity: {home.identity_dir(brokercfg.MONITOR_CN)} "
        "(events, status and replies; publishes nothing)."
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "broker",
        help="generate mosquitto's configuration, certificate and ACL",
        description="Write mosquitto.conf (TLS listener, client certificates "
        "required, CN as username), the server certificate, the CA, the CRL "
        "and an ACL that confines each terminal to its own topics; issue the "
        "collector identities (with the store's secret collectors' group), posctl's "
        "identities and a read-only monitoring identity. The broker keeps its sessions "
        "in a data folder of its own, logs to a file of its own and refuses messages "
        "over 16 MiB.",
    )
    s.add_argument("--host", required=True, help="name or IP terminals use to reach the broker")
    s.add_argument("--port", type=int, default=8883, help="TLS port (default: %(default)s)")
    s.add_argument(
        "--bind",
        action="append",
        metavar="ADDRESS",
        help="listen only on this address (repeatable; default: every interface)",
    )
    s.add_argument(
        "--data-dir", help="the broker's own persistence folder (default: <install-dir>/data)"
    )
    s.add_argument(
        "--log-file", help="the broker's own log file (default: <install-dir>/mosquitto.log)"
    )
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
