"""``posctl report``: sales totals from the collector's database by store, clerk, day or
terminal; and how posctl finds and opens that database."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from provisioning.home import Home
from provisioning.posctl.common import UsageError, owner_home
from provisioning.posctl.output import money, out, table


def db_url(args: argparse.Namespace, home: Home) -> str:
    url = args.db or os.environ.get("POSCTL_DB")
    if url:
        return url
    path = home.root / "collector.sqlite3"
    if not path.exists():
        raise UsageError(
            f"no collector database given and none at {path}: pass --db URL (the collector's "
            "--db) or set POSCTL_DB"
        )
    return str(path)


def open_db(args: argparse.Namespace) -> Any:
    from provisioning.collector.db import CentralDB

    home = owner_home(args)
    db = CentralDB(db_url(args, home), tz=getattr(args, "tz", None))
    db.create()
    return db


def cmd_report(args: argparse.Namespace) -> int:
    home = owner_home(args)
    currency = home.store().get("currency", "CNY") if home.exists() else "CNY"
    db = open_db(args)
    try:
        rows = db.report(
            by=args.by,
            day=args.day,
            since=args.since,
            until=args.until,
            terminal_id=args.terminal,
            staff_id=args.staff,
        )
    finally:
        db.close()
    if args.json:
        out(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        out("No sales in that range.")
        return 0
    key_cols = {
        "store": ["store_id"],
        "clerk": ["staff_id"],
        "day": ["day"],
        "terminal": ["store_id", "terminal_id"],
    }[args.by]
    tenders = sorted({k for r in rows for k in r["by_tender"]})
    header = [
        *key_cols,
        "sales",
        "net sales",
        "refunds",
        "tax",
        "discounts",
        *[f"{t}" for t in tenders],
    ]
    body = [
        (
            *[r[k] for k in key_cols],
            r["sales_count"],
            money(r["net_sales"], currency),
            money(r["refunds_total"], currency),
            money(r["tax"], currency),
            money(r["discounts"], currency),
            *[money(r["by_tender"].get(t, 0), currency) for t in tenders],
        )
        for r in rows
    ]
    out(table(body, header))
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "report",
        help="sales totals by store, clerk, day or terminal",
        description="Totals from the collector's database (training excluded).",
    )
    s.add_argument("--db", help="collector database URL (default: $POSCTL_DB)")
    s.add_argument("--by", choices=("store", "clerk", "day", "terminal"), default="store")
    s.add_argument("--day", help="YYYY-MM-DD")
    s.add_argument("--since", help="YYYY-MM-DD (inclusive)")
    s.add_argument("--until", help="YYYY-MM-DD (inclusive)")
    s.add_argument("--terminal")
    s.add_argument("--staff")
    s.add_argument("--tz", help="time zone the collector used for days")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_report)
