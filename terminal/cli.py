"""``pos-terminal``: the command line. Each subcommand is implemented in its own layer and
imported only when it runs, so ``pos-terminal version`` never loads Kivy or the drivers.

Exit codes: 0 success, 1 the command ran and found a problem (``ledger verify`` on a bad
ledger, a missing report), 2 usage or configuration errors.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from terminal.config import Config, ConfigError, load_config
from terminal.core.ports import LedgerError

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2


def _version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("pos-terminal")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _config(args: argparse.Namespace) -> Config:
    path = Path(args.config) if getattr(args, "config", None) else None
    return load_config(path)


def _data_dir(args: argparse.Namespace) -> Path:
    if getattr(args, "data_dir", None):
        return Path(args.data_dir).expanduser()
    return _config(args).data_dir


def _delegate(module: str, function: str, what: str) -> Callable[[argparse.Namespace], int]:
    """A handler that imports ``module.function`` when it runs and returns its exit code."""

    def handler(args: argparse.Namespace) -> int:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                print(
                    f"pos-terminal: {what} is not available in this build ({module} is missing)",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            raise
        fn = getattr(mod, function, None)
        if fn is None:
            print(
                f"pos-terminal: {what} is not available in this build "
                f"({module}.{function} is missing)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        result = fn(args)
        return int(result or 0)

    return handler


# --- ledger verify -------------------------------------------------------------------------


def _ledger_verify(args: argparse.Namespace) -> int:
    from terminal.ledger.db import ledger_path
    from terminal.ledger.verify import verify_file

    path = Path(args.file) if args.file else ledger_path(_data_dir(args))
    if args.allow_missing and not path.exists():
        print(f"no ledger yet at {path}: a new terminal, the app creates it")
        return EXIT_OK
    report = verify_file(path)
    if report.ok:
        if not args.quiet:
            print(report.summary())
        return EXIT_OK
    print(report.summary(), file=sys.stderr)
    return EXIT_PROBLEM


# --- report --------------------------------------------------------------------------------


def _open_existing_ledger(args: argparse.Namespace, config: Config) -> Any:
    from terminal.ledger.db import ledger_path, open_ledger

    data_dir = Path(args.data_dir).expanduser() if args.data_dir else config.data_dir
    path = ledger_path(data_dir)
    if not path.is_file():
        raise FileNotFoundError(f"no ledger at {path}")
    return open_ledger(path, config.terminal.id)


def render_text(doc: Any, width: int = 42) -> str:
    """A printable document as plain text, for a terminal window instead of paper."""
    from terminal.core.records import QR, Barcode, Feed, Row, Rule, Text

    # CJK characters take two columns on a terminal, as on the printer.
    from terminal.drivers.printer.layout import display_width as cells

    lines: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Text):
            pad = max(0, width - cells(block.text))
            if block.align == "center":
                lines.append(" " * (pad // 2) + block.text)
            elif block.align == "right":
                lines.append(" " * pad + block.text)
            else:
                lines.append(block.text)
        elif isinstance(block, Row):
            gap = max(1, width - cells(block.left) - cells(block.right))
            lines.append(block.left + " " * gap + block.right)
        elif isinstance(block, Rule):
            lines.append(block.char * width)
        elif isinstance(block, QR | Barcode):
            lines.append(f"[{type(block).__name__}: {block.data}]")
        elif isinstance(block, Feed):
            lines += [""] * block.lines
    return "\n".join(lines).rstrip() + "\n"


def _report(args: argparse.Namespace) -> int:
    from terminal.core.records import ReportTotals

    config = _config(args)
    try:
        ledger = _open_existing_ledger(args, config)
    except FileNotFoundError as exc:
        print(f"pos-terminal: {exc}", file=sys.stderr)
        return EXIT_PROBLEM
    try:
        # The header carries the store as the terminal shows it, provisioned settings included.
        from terminal.app.settings import provisioned_values, store_settings, with_provisioned

        settings = with_provisioned(store_settings(config), provisioned_values(ledger))
        now = datetime.now(UTC)
        if args.kind == "x":
            if args.number is not None:
                print("pos-terminal: --number applies to Z reports only", file=sys.stderr)
                return EXIT_USAGE
            # Like the terminal's X report: the open shift; with none open (or --day), the
            # business day so far (everything since the last Z).
            shift = None if args.day else ledger.current_shift()
            shift_id = str(shift["shift_id"]) if shift else None
            if shift_id is not None:
                totals = ledger.totals(shift_id=shift_id)
            else:
                totals = ledger.totals(since_last_z=True)
            data: dict[str, Any] = {
                "report": "x",
                "scope": "shift" if shift_id else "day",
                "shift_id": shift_id,
                "terminal_id": config.terminal.id,
                "generated_at": now.isoformat(timespec="seconds"),
                "totals": totals.to_payload(),
            }
            number = None
            duplicate = False
            printed_at = now
        else:
            z = ledger.z_report(args.number) if args.number is not None else ledger.last_z()
            if z is None:
                which = f"Z report #{args.number}" if args.number is not None else "Z report"
                print(f"pos-terminal: no {which} in this ledger", file=sys.stderr)
                return EXIT_PROBLEM
            totals = ReportTotals.from_payload(z["totals"])
            data = {"report": "z", "terminal_id": config.terminal.id, **z}
            number = z["number"]
            # Every Z printed after the day closed is a copy of the original, dated as it.
            duplicate = True
            shift_id = None
            printed_at = datetime.fromisoformat(str(z["ts"]))
    finally:
        ledger.close()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))
        return EXIT_OK
    from terminal.core.receipt import report_doc

    doc = report_doc(
        args.kind,
        totals,
        settings,
        printed_at=printed_at,
        number=number,
        duplicate=duplicate,
        shift_id=shift_id,
    )
    sys.stdout.write(render_text(doc))
    return EXIT_OK


def _reconcile(args: argparse.Namespace) -> int:
    """``payments reconcile``: the providers' statements against this ledger; 1 when any line
    does not match."""
    from terminal.drivers.payment import statements as st

    if not args.wechat and not args.alipay:
        print("pos-terminal: give --wechat and/or --alipay statement files", file=sys.stderr)
        return EXIT_USAGE
    config = _config(args)
    try:
        lines = (
            []
            if not args.wechat
            else st.parse_wechat_bill(Path(args.wechat).read_bytes().decode("utf-8-sig"))
        )
        for path in args.alipay or ():
            data = Path(path).read_bytes()
            lines += (
                st.read_alipay_zip(data)
                if data[:2] == b"PK"
                else st.parse_alipay_bill(data.decode("gbk"))
            )
        ledger = _open_existing_ledger(args, config)
    except (OSError, ValueError) as exc:
        print(f"pos-terminal: {exc}", file=sys.stderr)
        return EXIT_PROBLEM
    try:
        entries, seq = [], 0
        while batch := ledger.entries(after_seq=seq, limit=5000):
            entries += batch
            seq = batch[-1].seq
    finally:
        ledger.close()
    wallets = {x.provider for x in lines} or {"wechat", "alipay"}
    ours = [x for x in st.journal_lines(entries) if x.provider in wallets]
    result = st.reconcile(lines, ours)
    sys.stdout.write(st.render(result))
    return EXIT_OK if result.clean else EXIT_PROBLEM


def _print_version(args: argparse.Namespace) -> int:
    print(f"pos-terminal {_version()}")
    return EXIT_OK


# --- parser --------------------------------------------------------------------------------


def _add_payments_parser(
    sub: Any, data_dir_option: Callable[[argparse.ArgumentParser], None]
) -> None:
    p = sub.add_parser("payments", help="payment providers: reconcile their statements")
    pay_sub = p.add_subparsers(dest="payments_command", metavar="SUBCOMMAND")
    pay_sub.required = True
    r = pay_sub.add_parser(
        "reconcile",
        help="match the providers' daily statements to this ledger; exit 1 on any "
        "line that does not match",
    )
    r.add_argument("--wechat", metavar="FILE", help="a WeChat Pay trade bill (bill_type=ALL)")
    r.add_argument(
        "--alipay",
        metavar="FILE",
        action="append",
        help="an Alipay statement: the downloaded zip or its detail CSV (GBK)",
    )
    data_dir_option(r)
    r.set_defaults(handler=_reconcile)


def _add_ledger_parser(sub: Any, data_dir_option: Callable[[argparse.ArgumentParser], None]
                       ) -> None:
    p = sub.add_parser("ledger", help="ledger maintenance")
    ledger_sub = p.add_subparsers(dest="ledger_command", metavar="SUBCOMMAND")
    ledger_sub.required = True
    v = ledger_sub.add_parser(
        "verify",
        help="check integrity, hash chain, numbering and every projection rebuilt from the "
        "journal; exit 1 naming the first bad entry or table row",
    )
    data_dir_option(v)
    v.add_argument("--file", metavar="PATH", help="a ledger file instead of <data-dir>/ledger")
    v.add_argument(
        "--quiet",
        action="store_true",
        help="print nothing when the ledger is OK (problems still go to stderr); for boot",
    )
    v.add_argument("--allow-missing", action="store_true",
                   help="no ledger file passes (a new card); any file there is checked in full")
    v.set_defaults(handler=_ledger_verify)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pos-terminal",
        description="Point-of-sale terminal: run it, check its ledger, print its reports.",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="configuration file (default: $POS_CONFIG, then the usual places; "
        "see docs/configuration.md)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def data_dir_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data-dir", metavar="D", help="data directory (default: [terminal] data_dir)"
        )
        # Accepted after the subcommand too; SUPPRESS keeps a value given before it.
        p.add_argument(
            "--config", metavar="PATH", default=argparse.SUPPRESS, help="configuration file"
        )

    p = sub.add_parser("run", help="start the terminal (touchscreen app)")
    data_dir_option(p)
    p.set_defaults(handler=_delegate("terminal.app.run", "run_command", "run"))

    p = sub.add_parser("demo", help="start the terminal in simulator mode with a sample store")
    data_dir_option(p)
    p.set_defaults(handler=_delegate("terminal.app.run", "demo_command", "demo"))

    _add_ledger_parser(sub, data_dir_option)

    p = sub.add_parser("report", help="print the X report, or the last (or a given) Z report")
    p.add_argument(
        "kind",
        choices=("x", "z"),
        help="x: the open shift (or the day so far); z: a closed day, as a duplicate",
    )
    p.add_argument("--number", type=int, metavar="N", help="the Z report with this number")
    p.add_argument(
        "--day", action="store_true", help="x: the whole day since the last Z, not the shift"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    data_dir_option(p)
    p.set_defaults(handler=_report)

    p = sub.add_parser("doctor", help="check devices and configuration")
    data_dir_option(p)
    p.add_argument("--user", help="service user to check (default: pos when run as root)")
    p.add_argument(
        "--test",
        action="append",
        choices=("print", "drawer", "scan", "payments"),
        default=[],
        help="also print a test page, pulse the drawer, show decoded scans live, or ask each "
        "live payment provider a no-money question",
    )
    p.add_argument("--seconds", type=float, default=15, help="how long --test scan listens")
    p.set_defaults(handler=_delegate("terminal.drivers.doctor", "doctor_command", "doctor"))

    _add_payments_parser(sub, data_dir_option)

    p = sub.add_parser("version", help="print the version")
    p.set_defaults(handler=_print_version)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        print(f"pos-terminal: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LedgerError as exc:
        print(f"pos-terminal: ledger error: {exc}", file=sys.stderr)
        return EXIT_PROBLEM


if __name__ == "__main__":
    sys.exit(main())
