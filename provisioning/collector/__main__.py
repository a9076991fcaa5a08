"""``python -m provisioning.collector``: run one collector until interrupted.

    python -m provisioning.collector --db collector.sqlite3 \\
        --broker mqtt.example.com:8883 --ca ca.crt --cert client.crt --key client.key

``--home`` takes the broker address, CA and the first collector identity from a posctl owner
directory instead (``--identity svc.collector.2`` picks another one).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from provisioning.collector.db import CentralDB
from provisioning.collector.service import BrokerConfig, Collector
from terminal.link import protocol as wire


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m provisioning.collector",
        description="Store every terminal's events in the central database, acknowledge them "
        "and ask for resends of what is missing.",
    )
    p.add_argument(
        "--db",
        default="collector.sqlite3",
        help="database: a SQLite file path, sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
        "(default: %(default)s)",
    )
    p.add_argument("--broker", help="HOST:PORT of the store's broker")
    p.add_argument("--ca", type=Path, help="CA certificate of the broker (TLS)")
    p.add_argument("--cert", type=Path, help="this collector's client certificate")
    p.add_argument("--key", type=Path, help="this collector's private key")
    p.add_argument("--home", type=Path, help="take broker, CA and identity from a posctl home")
    p.add_argument(
        "--identity", default="svc.collector.1", help="identity in --home (default: %(default)s)"
    )
    p.add_argument("--tz", help="IANA time zone for report days (default: UTC)")
    p.add_argument("--gap-grace", type=float, default=2.0, help="seconds before a resend request")
    p.add_argument(
        "--gap-skip-after",
        type=float,
        default=120.0,
        help="seconds after a resend request before an unfillable hole is skipped",
    )
    p.add_argument(
        "--session-expiry",
        type=int,
        default=0,
        help="seconds the broker keeps this collector's session (and queues its share of the "
        "events) after it disconnects; keep 0 when several collectors share the load "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--group",
        help="the collectors' shared-subscription group (default: the file `group` of the "
        "identity in --home, which `posctl broker` writes; a terminal cannot join a group "
        "whose name it does not know)",
    )
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def broker_config(args: argparse.Namespace) -> BrokerConfig:
    if args.home is not None:
        from provisioning.broker import broker_address
        from provisioning.home import Home

        home = Home(args.home)
        home.require()
        host, port = broker_address(home)
        if args.broker:
            host, _, p = args.broker.rpartition(":")
            port = int(p)
        ident = home.identity_dir(args.identity)
        if not (ident / "client.crt").exists():
            raise SystemExit(
                f"no identity {args.identity} in {home.root}: run `posctl broker` (it issues "
                "svc.collector.1..N) or pass --cert/--key"
            )
        return BrokerConfig(
            host, port, home.ca_cert, ident / "client.crt", ident / "client.key", args.identity
        )
    if not args.broker or ":" not in args.broker:
        raise SystemExit("--broker HOST:PORT is required (or --home with a posctl directory)")
    host, _, port = args.broker.rpartition(":")
    return BrokerConfig(host, int(port), args.ca, args.cert, args.key)


def group_name(args: argparse.Namespace) -> str:
    if args.group:
        return str(args.group)
    if args.home is not None:
        from provisioning.home import Home

        path = Home(args.home).identity_dir(args.identity) / "group"
        if path.exists():
            return path.read_text(encoding="ascii").strip()
    return wire.COLLECTOR_GROUP


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    collector = Collector(
        CentralDB(args.db, tz=args.tz),
        broker_config(args),
        gap_grace=args.gap_grace,
        gap_skip_after=args.gap_skip_after,
        session_expiry=args.session_expiry,
        group=group_name(args),
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    try:
        collector.start(wait=30)
    except ConnectionError as exc:
        print(f"collector: {exc}", file=sys.stderr)
        return 2
    logging.info("collector: storing into %s", args.db)
    done.wait()
    collector.stop()
    s = collector.stats
    logging.info(
        "collector: stopped; %d stored, %d duplicates, %d rejected",
        s.inserted,
        s.duplicates,
        s.rejected,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
