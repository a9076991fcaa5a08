"""``posctl catalog import``: read a CSV catalog and send it to each terminal as a versioned
snapshot in signed chunks, with a progress bar."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from provisioning.posctl.common import (
    UsageError,
    broker_override,
    chosen_terminals,
    owner_home,
    remote_opts,
)
from provisioning.posctl.output import Progress, out
from provisioning.remote import Remote, RemoteError, reply_error_text
from terminal.core.records import TaxClass
from terminal.link import protocol as wire


def cmd_catalog_import(args: argparse.Namespace) -> int:
    from provisioning.catalog_csv import read_catalog

    home = owner_home(args)
    store = home.store()
    if not 1 <= args.chunk <= wire.MAX_CHUNK_ITEMS:
        raise UsageError(f"--chunk must be 1-{wire.MAX_CHUNK_ITEMS} items")
    catalog = read_catalog(args.csv, store.get("currency", "CNY"))
    settings = home.settings()
    taxes = dict(settings.get("tax_classes", {}))
    for spec in args.tax or ():
        code, tax = _tax_class(spec)
        taxes[code] = tax
    _check_tax_classes(catalog.items, taxes)
    # The version is only used up once every terminal has the catalog: an import that failed
    # is run again under the same version, and a terminal that already took some of its
    # chunks takes them again harmlessly.
    version = int(settings.get("catalog_version", 0)) + 1
    chunks = wire.catalog_snapshot_chunks(
        catalog.items,
        version,
        tax_classes=[
            TaxClass(c, t["rate_bp"], t["inclusive"], t["name"]) for c, t in taxes.items()
        ],
        chunk_items=args.chunk,
    )
    targets = chosen_terminals(home, args)
    host, port = broker_override(args)
    out(f"{len(catalog.items)} items in {len(chunks)} chunks, catalog version {version}")
    failures: list[str] = []
    refused = False
    with Remote(home, host=host, port=port) as remote:
        for t in targets:
            failure, by_terminal = _send_chunks(remote, t, chunks, len(catalog.items), args)
            if failure is None:
                out(f"{t}: catalog version {version}: done")
            else:
                failures.append(f"{t}: {failure}")
                refused = refused or by_terminal
    settings["tax_classes"] = taxes
    if not failures:
        settings["catalog_version"] = version
    home.save_settings(settings)
    if failures:
        hint = (
            "\nCorrect the catalog (or the --tax classes) and import it again."
            if refused
            else "\nRun the same import again once the terminals are reachable: it keeps "
            f"version {version}, and chunks already applied are applied again harmlessly."
        )
        raise RemoteError("\n".join(failures) + hint)
    return 0


def _check_tax_classes(items: Any, taxes: dict[str, Any]) -> None:
    """Every tax class the items use needs a rate sent with them: a fresh terminal knows
    none, and would refuse the first chunk."""
    missing = sorted({i.tax_class for i in items} - set(taxes))
    if missing:
        example = " ".join(f"--tax {c}=1300" for c in missing)
        raise UsageError(
            f"the catalog uses tax class{'es' if len(missing) > 1 else ''} "
            f"{', '.join(repr(c) for c in missing)} with no rate yet: give "
            f"{'them' if len(missing) > 1 else 'it'} with --tax, e.g. {example} "
            "(13 % included in prices; remembered for later imports)"
        )


def _send_chunks(
    remote: Remote,
    terminal: str,
    chunks: list[wire.CatalogSnapshot],
    items: int,
    args: argparse.Namespace,
) -> tuple[str | None, bool]:
    """Send the chunks one after the other, each after the previous one's reply; returns what
    went wrong (or None) and whether the terminal refused (rather than did not answer)."""
    bar = Progress(len(chunks), terminal)
    try:
        remote.listen(terminal)
        for n, chunk in enumerate(chunks):
            where = f"chunk {n + 1}/{len(chunks)}"
            sent, q = remote.send(terminal, "catalog.snapshot", chunk)
            try:
                reply = remote.wait_reply(sent, q, args.timeout)
            except RemoteError as exc:
                return f"{where}: {exc}", False
            if reply.status != "done":
                return f"{where}: {reply_error_text(reply)}", True
            bar.update(n + 1, f"chunks ({min((n + 1) * args.chunk, items)} items)")
    finally:
        bar.close()
    return None, False


def _tax_class(spec: str) -> tuple[str, dict[str, Any]]:
    """``standard=1300`` (inclusive, basis points), ``export=0:exclusive:Zero rated``."""
    code, sep, rest = spec.partition("=")
    parts = rest.split(":", 2)
    if not sep or not code or not parts[0].isdigit() or int(parts[0]) > 10_000:
        raise UsageError(
            f"--tax {spec!r}: write CODE=RATE_BP[:inclusive|exclusive][:NAME], "
            "e.g. standard=1300 for 13 % included in prices"
        )
    mode = parts[1] if len(parts) > 1 and parts[1] else "inclusive"
    if mode not in ("inclusive", "exclusive"):
        raise UsageError(f"--tax {spec!r}: the mode is inclusive or exclusive, not {mode!r}")
    name = parts[2] if len(parts) > 2 else ""
    return code, {"rate_bp": int(parts[0]), "inclusive": mode == "inclusive", "name": name}


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("catalog", help="import the catalog", description="Catalog.")
    casub = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = casub.add_parser(
        "import",
        help="send a CSV catalog as a signed snapshot",
        description="Read a CSV catalog and send it to the terminals as a "
        "versioned snapshot in signed chunks, with a progress bar. Columns: "
        "sku, name, price (required); name_zh, barcodes, tax_class, unit, "
        "open_price, stock, category, active.",
    )
    e.add_argument("csv", type=Path)
    e.add_argument(
        "--tax",
        action="append",
        metavar="CODE=RATE_BP[:MODE][:NAME]",
        help="a tax class the items use, e.g. standard=1300 (13 %% included in prices); "
        "remembered for later imports",
    )
    e.add_argument(
        "--chunk",
        type=int,
        default=wire.CATALOG_CHUNK_ITEMS,
        help="items per chunk (default: %(default)s)",
    )
    remote_opts(e)
    e.set_defaults(func=cmd_catalog_import)
