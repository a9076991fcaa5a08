"""``posctl watch``: a live table of terminals, recent sales and alerts from the collector's
database."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

from provisioning.posctl.common import owner_home
from provisioning.posctl.output import money, out, table
from provisioning.posctl.report import open_db


def render_watch(db: Any, *, currency: str = "CNY", limit: int = 10) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    parts = [f"posctl watch  {now}", ""]
    states = db.states()
    rows = []
    for s in states:
        st = s.get("status") or {}
        rows.append(
            (
                f"{s['store_id']}/{s['terminal_id']}",
                st.get("state", "?"),
                s["contiguous"],
                s["max_seq"],
                st.get("outbox_depth", ""),
                s.get("last_event_at") or "",
            )
        )
    parts.append(table(rows, ("terminal", "state", "stored", "highest", "outbox", "last event")))
    parts += ["", "Recent sales"]
    sales = [
        (
            r["completed_at"][:19],
            r["terminal_id"],
            r["receipt_no"],
            r["staff_id"],
            r["kind"],
            money(r["total"], r["currency"] or currency),
        )
        for r in db.recent_sales(limit)
    ]
    parts.append(table(sales, ("time", "terminal", "receipt", "clerk", "kind", "total")))
    parts += ["", "Alerts"]
    alerts = [
        (
            r["ts"][:19],
            r["terminal_id"],
            r["kind"],
            r.get("staff_id") or "",
            json.dumps(r["detail"], ensure_ascii=False)[:60],
        )
        for r in db.recent_alerts(limit)
    ]
    parts.append(table(alerts, ("time", "terminal", "alert", "staff", "detail")))
    return "\n".join(parts)


def cmd_watch(args: argparse.Namespace) -> int:
    home = owner_home(args)
    currency = home.store().get("currency", "CNY") if home.exists() else "CNY"
    db = open_db(args)
    try:
        while True:
            text = render_watch(db, currency=currency, limit=args.limit)
            if sys.stdout.isatty() and not args.once:
                sys.stdout.write("\x1b[2J\x1b[H")
            out(text)
            if args.once:
                return 0
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    finally:
        db.close()


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "watch",
        help="live table of terminals, sales and alerts",
        description="A live table of terminals, recent sales and alerts from "
        "the collector's database.",
    )
    s.add_argument("--db", help="collector database URL (default: $POSCTL_DB)")
    s.add_argument("--interval", type=float, default=2.0)
    s.add_argument("--limit", type=int, default=10)
    s.add_argument("--once", action="store_true", help="print once and exit")
    s.set_defaults(func=cmd_watch)
