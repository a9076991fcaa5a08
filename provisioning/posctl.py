"""posctl: the owner's tool. Keys, terminals, the broker, staff, cards, catalog, settings, and the
collector's live view and reports.

Every command that changes a terminal is a signed command (``terminal.link.protocol``) sent over
the store's broker; posctl waits for each terminal's reply and prints "done" or the terminal's
reason with what to do next. ``posctl COMMAND --help`` explains each command.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from provisioning import broker as brokercfg
from provisioning import terminals as terms
from provisioning.catalog_csv import CatalogFileError
from provisioning.home import Home, HomeError, default_home, utc_now
from provisioning.remote import Remote, RemoteError, check_sealable, reply_error_text
from terminal.core.records import TaxClass
from terminal.link import protocol as wire


class UsageError(Exception):
    """The command line asks for something that cannot be done; the message says why."""


class SendFailed(RemoteError):
    """Some terminal refused the command or did not answer; others may have applied it."""

    def __init__(self, message: str, replies: dict[str, wire.Reply], unanswered: list[str]):
        super().__init__(message)
        self.replies = replies
        self.unanswered = unanswered

    @property
    def maybe_applied(self) -> bool:
        """Applied somewhere, or queued for a terminal that may apply it later."""
        return bool(self.unanswered) or any(r.status == "done" for r in self.replies.values())


# --- output helpers ------------------------------------------------------------------------------


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [[str(h) for h in header], *[[("" if c is None else str(c)) for c in r] for r in rows]]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for n, r in enumerate(cells):
        lines.append("  ".join(c + " " * (widths[i] - _width(c)) for i, c in enumerate(r)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) >= 0x1100 and _wide(ch) else 1 for ch in text)


def _wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")


def money(minor: int, currency: str = "CNY") -> str:
    from terminal.core.money import format_amount

    return format_amount(int(minor), currency)


class Progress:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.done = 0

    def update(self, done: int, note: str = "") -> None:
        self.done = done
        width = 30
        filled = int(width * done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        text = f"{self.label} [{bar}] {done}/{self.total} {note}".rstrip()
        if self.tty:
            self.stream.write("\r" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


# --- common plumbing --------------------------------------------------------------------------


def _home(args: argparse.Namespace) -> Home:
    return Home(args.home or default_home())


def _broker_override(args: argparse.Namespace) -> tuple[str | None, int | None]:
    if not getattr(args, "broker", None):
        return None, None
    host, sep, port = args.broker.rpartition(":")
    if not sep or not port.isdigit():
        raise UsageError(f"--broker {args.broker!r}: write HOST:PORT, e.g. 192.168.1.10:8883")
    return host, int(port)


def _targets(home: Home, args: argparse.Namespace) -> list[str]:
    chosen = list(getattr(args, "terminal", None) or [])
    active = terms.active_terminals(home)
    if not active:
        raise UsageError("no terminal is enrolled yet: run `posctl terminal enroll ID` first")
    if not chosen:
        return active
    for t in chosen:
        home.terminal(t)  # raises with the next step when unknown or revoked
    return chosen


def _send_all(
    home: Home,
    args: argparse.Namespace,
    type: str,
    body: Any,
    *,
    what: str,
    on_sent: Callable[[], None] | None = None,
    secrets: dict[str, str] | None = None,
    targets: list[str] | None = None,
) -> dict[str, wire.Reply]:
    """Send one command to every chosen terminal; print one line per terminal. Raises
    RemoteError when any terminal refused or did not answer.

    ``on_sent`` runs once the broker has every command, before the replies are awaited: a
    secret (PIN, card code) must be shown then, because a terminal that is offline now applies
    the command when it reconnects.

    ``secrets`` (field -> PIN or card code) travel sealed to each terminal; nothing is sent
    when one of the terminals cannot open them (see ``remote.check_sealable``). ``targets``
    replaces the terminals chosen on the command line."""
    if targets is None:
        targets = _targets(home, args)
    allow_plaintext = bool(getattr(args, "allow_plaintext", False))
    check_sealable(home, targets, bool(secrets), allow_plaintext)
    host, port = _broker_override(args)
    replies: dict[str, wire.Reply] = {}
    failures: list[str] = []
    unanswered: list[str] = []
    with Remote(home, host=host, port=port) as remote:
        pending = []
        for t in targets:
            remote.listen(t)
            pending.append(
                (
                    t,
                    *remote.send(t, type, body, secrets=secrets, allow_plaintext=allow_plaintext),
                )
            )
        if on_sent is not None:
            on_sent()
        for t, sent, q in pending:
            try:
                reply = remote.wait_reply(sent, q, args.timeout)
            except RemoteError as exc:
                failures.append(f"{t}: {exc}")
                unanswered.append(t)
                _out(f"{t}: {what}: no reply")
                continue
            replies[t] = reply
            if reply.status == "done":
                _out(f"{t}: {what}: done")
            else:
                failures.append(f"{t}: {reply_error_text(reply)}")
                _out(f"{t}: {what}: refused")
    if failures:
        raise SendFailed("\n".join(failures), replies, unanswered)
    return replies


def _save_staff(home: Home, staff_id: str, **changes: Any) -> dict[str, Any]:
    staff = home.staff()
    rec = {**staff.get(staff_id, {"staff_id": staff_id, "cards": []}), **changes}
    rec["updated_at"] = utc_now()
    staff[staff_id] = rec
    home.save_staff(staff)
    return rec


def _known_staff(home: Home, staff_id: str) -> dict[str, Any]:
    rec = home.staff().get(staff_id)
    if rec is None:
        raise UsageError(
            f"no staff member {staff_id!r} in this home: add them with `posctl staff add "
            f"{staff_id} --name NAME --role ROLE` (`posctl staff list` shows everyone)"
        )
    return rec


# --- init, terminal, broker ---------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    home = _home(args)
    rec = home.init(
        args.store,
        currency=args.currency,
        store_id=args.store_id,
        broker_host=args.broker_host,
        broker_port=args.broker_port,
    )
    _out(f"Store {rec['name']!r} (id {rec['store_id']}) created in {home.root}")
    _out(f"Owner signing key: {home.signing_key_file} (keep it secret; back up this directory)")
    _out(f"Owner public key:  {wire.public_key_text(home.signing_key().public_key())}")
    _out(f"Certificate authority: {home.ca_cert}")
    _out("Next: `posctl broker --host BROKER_HOST`, then `posctl terminal enroll ID`.")
    return 0


def cmd_terminal_enroll(args: argparse.Namespace) -> int:
    home = _home(args)
    host, port = _broker_override(args)
    bundle = terms.enroll(
        home,
        args.id,
        out=args.out,
        host=host,
        port=port,
        install_dir=args.install_dir,
    )
    _out(f"Terminal {args.id} enrolled (certificate serial {bundle.serial:x}).")
    _out(f"Bundle: {bundle.dir}")
    for f in sorted(bundle.dir.iterdir()):
        _out(f"  {f.name}")
    _out(
        "Copy the folder onto the SD card's boot partition as `pos-terminal/` "
        "(next to config.txt); the terminal installs it at first boot."
    )
    return 0


def cmd_terminal_revoke(args: argparse.Namespace) -> int:
    home = _home(args)
    crl = terms.revoke(home, args.id)
    _out(f"Terminal {args.id} revoked; its certificate is on the revocation list {crl}.")
    _out(
        "Next: copy that crl.pem to the broker (where mosquitto.conf's crlfile points) and "
        "restart mosquitto (`sudo systemctl restart mosquitto`); from then on the broker refuses "
        "the terminal's certificate."
    )
    return 0


def cmd_terminal_list(args: argparse.Namespace) -> int:
    home = _home(args)
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
        _out("No terminals yet: `posctl terminal enroll ID` adds one.")
        return 0
    _out(table(rows, ("terminal", "state", "enrolled", "broker")))
    return 0


def cmd_broker(args: argparse.Namespace) -> int:
    home = _home(args)
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
    _out(f"Broker files in {files.conf.parent}:")
    for f in (files.conf, files.acl, files.ca, files.cert, files.key, files.crl):
        _out(f"  {f.name}")
    where = args.install_dir or str(files.conf.parent.resolve())
    _out(
        f"Install them on the broker machine in {where} and run "
        f"`mosquitto -c {where}/mosquitto.conf` (or point the mosquitto service at it)."
    )
    _out(
        f"Collector identities: svc.collector.1..{args.collectors} in {home.root / 'identities'}; "
        "start each with `python -m provisioning.collector --home "
        f"{home.root} --identity svc.collector.N --db URL`."
    )
    return 0


# --- staff ---------------------------------------------------------------------------------------


def _new_pin() -> str:
    from terminal.core.pins import generate_pin

    return generate_pin(6)


def cmd_staff_add(args: argparse.Namespace) -> int:
    home = _home(args)
    home.require()
    from terminal.core.errors import PosError
    from terminal.core.staff import StaffMember

    try:
        member = StaffMember.from_payload(
            {
                "staff_id": args.id,
                "name": args.name,
                "role": args.role,
                "gender": args.gender,
                "contact": args.contact or "",
                "trainee": args.trainee,
            }
        )
    except PosError as exc:
        raise UsageError(exc.message) from exc
    pin = _new_pin()
    body = wire.StaffAdd(
        staff_id=member.staff_id,
        name=member.name,
        role=member.role,
        gender=member.gender,
        contact=member.contact,
        trainee=member.trainee,
        must_change_pin=True,
    )

    def show_pin() -> None:
        _out(f"Initial PIN for {member.name} ({member.staff_id}): {pin}")
        _out("It is shown only now; the clerk chooses a new PIN at the first login.")

    def save() -> None:
        _save_staff(
            home,
            member.staff_id,
            name=member.name,
            role=member.role,
            gender=member.gender,
            contact=member.contact,
            trainee=member.trainee,
            status="active",
        )

    try:
        _send_all(
            home,
            args,
            "staff.add",
            body,
            what=f"add {member.staff_id}",
            on_sent=show_pin,
            secrets={"pin": pin},
        )
    except SendFailed as exc:
        if exc.maybe_applied:
            save()
        raise
    save()
    return 0


def cmd_staff_edit(args: argparse.Namespace) -> int:
    home = _home(args)
    home.require()
    changes = {
        k: v
        for k, v in (
            ("name", args.name),
            ("role", args.role),
            ("gender", args.gender),
            ("contact", args.contact),
        )
        if v is not None
    }
    if not changes:
        raise UsageError("nothing to change: give --name, --role, --gender or --contact")
    _send_all(
        home,
        args,
        "staff.update",
        wire.StaffUpdate(staff_id=args.id, changes=changes),
        what=f"edit {args.id}",
    )
    _save_staff(home, args.id, **changes)
    return 0


def cmd_staff_suspend(args: argparse.Namespace) -> int:
    home = _home(args)
    home.require()
    status = "active" if args.lift else ("left" if args.left else "suspended")
    _send_all(
        home,
        args,
        "staff.suspend",
        wire.StaffSuspend(staff_id=args.id, reason=args.reason or "", status=status),
        what=f"{'reactivate' if args.lift else status} {args.id}",
    )
    _save_staff(home, args.id, status=status)
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    home = _home(args)
    home.require()
    staff = home.staff()
    if not staff:
        _out("No staff yet: `posctl staff add ID --name NAME --role ROLE` adds one.")
        return 0
    rows = [
        (
            sid,
            rec.get("name", ""),
            rec.get("role", ""),
            rec.get("status", ""),
            ", ".join(rec.get("cards") or []),
        )
        for sid, rec in sorted(staff.items())
    ]
    _out(table(rows, ("id", "name", "role", "status", "cards")))
    return 0


def cmd_reset_pin(args: argparse.Namespace) -> int:
    home = _home(args)
    home.require()
    rec = _known_staff(home, args.id)
    pin = _new_pin()

    def show_pin() -> None:
        _out(f"New initial PIN for {rec.get('name', args.id)} ({args.id}): {pin}")
        _out("It is shown only now; the clerk chooses a new PIN at the next login.")

    _send_all(
        home,
        args,
        "pin.reset",
        wire.PinReset(staff_id=args.id, must_change=True),
        what=f"reset PIN of {args.id}",
        on_sent=show_pin,
        secrets={"pin": pin},
    )
    return 0


def cmd_role_set(args: argparse.Namespace) -> int:
    home = _home(args)
    home.require()
    _send_all(
        home,
        args,
        "staff.update",
        wire.StaffUpdate(staff_id=args.id, changes={"role": args.role}),
        what=f"role of {args.id} -> {args.role}",
    )
    _save_staff(home, args.id, role=args.role)
    return 0


def cmd_role_define(args: argparse.Namespace) -> int:
    home = _home(args)
    home.require()
    from terminal.core.permissions import builtin_roles
    from terminal.core.rights import Right, Verdict
    from terminal.core.staff import Grant, grants_to_payload

    roles = builtin_roles()
    if args.base not in roles:
        raise UsageError(f"--base {args.base!r}: choose one of {', '.join(sorted(roles))}")
    grants = dict(roles[args.base].grants)
    for spec in args.grant or ():
        right_name, sep, verdict = spec.partition("=")
        try:
            right = Right(right_name)
            grants[right] = Grant(Verdict(verdict), {})
        except ValueError:
            raise UsageError(
                f"--grant {spec!r}: write RIGHT=allow|approval|deny with RIGHT one of "
                + ", ".join(r.value for r in Right)
            ) from None
        if not sep:
            raise UsageError(f"--grant {spec!r}: write RIGHT=allow|approval|deny")
    body = wire.RoleSet(
        name=args.name, label=args.label or args.name, grants=grants_to_payload(grants)
    )
    _send_all(home, args, "role.set", body, what=f"define role {args.name}")
    return 0


# --- cards ------------------------------------------------------------------------------------


def cmd_card_issue(args: argparse.Namespace) -> int:
    from provisioning.badge import new_card_code, render_badge

    home = _home(args)
    store = home.store()
    rec = _known_staff(home, args.id)
    targets = _targets(home, args)
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
        if png is not None:
            render_badge(
                Path(png),
                code=code,
                staff_name=name,
                staff_id=args.id,
                store_name=store["name"],
                kind=args.kind,
            )
        _out(f"Card code for {name}: {code}")
        if png is not None:
            _out(f"Badge: {png}  (print it; the code is shown only now and posctl keeps no copy)")
        else:
            _out(
                f"The badge prints on {print_on}; the code is shown only now, posctl keeps no copy"
            )

    def save(replies: dict[str, wire.Reply]) -> None:
        tags = {
            str(r.result["card"])
            for r in replies.values()
            if r.status == "done" and isinstance(r.result, dict) and r.result.get("card")
        }
        _save_staff(home, args.id, cards=sorted({*(rec.get("cards") or []), *tags}))

    failures: list[str] = []
    try:
        replies = _send_all(
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
        save(exc.replies)
        replies = exc.replies
        failures.append(str(exc))
    else:
        save(replies)
    if print_on is not None:
        there = replies.get(print_on)
        if print_on in targets and (there is None or there.status != "done"):
            _out(f"{print_on}: print badge: not sent, the card is not assigned there")
        else:
            try:
                _send_all(
                    home,
                    args,
                    "badge.print",
                    wire.BadgePrint(
                        staff_id=args.id,
                        name=name,
                        name_zh=args.name_zh
                        if args.name_zh is not None
                        else rec.get("name_zh", ""),
                        role_label=_role_label(rec.get("role", "")),
                        symbology=args.kind,
                        store_name=store["name"],
                    ),
                    what="print badge",
                    secrets={"code": code},
                    targets=[print_on],
                )
            except SendFailed as exc:
                failures.append(str(exc))
    if failures:
        raise RemoteError("\n".join(failures))
    return 0


def _role_label(role: str) -> str:
    from terminal.core.permissions import builtin_roles

    known = builtin_roles().get(role)
    return known.label if known is not None else role


def cmd_card_revoke(args: argparse.Namespace) -> int:
    home = _home(args)
    rec = _known_staff(home, args.id)
    _send_all(
        home,
        args,
        "card.revoke",
        wire.CardRevoke(staff_id=args.id, tag=args.tag),
        what="revoke card" if args.tag else "revoke all cards",
    )
    left = [] if not args.tag else [t for t in rec.get("cards") or [] if t != args.tag]
    _save_staff(home, args.id, cards=left)
    return 0


# --- catalog and settings -------------------------------------------------------------------------


def cmd_catalog_import(args: argparse.Namespace) -> int:
    from provisioning.catalog_csv import read_catalog

    home = _home(args)
    store = home.store()
    if not 1 <= args.chunk <= wire.MAX_CHUNK_ITEMS:
        raise UsageError(f"--chunk must be 1-{wire.MAX_CHUNK_ITEMS} items")
    catalog = read_catalog(args.csv, store.get("currency", "CNY"))
    settings = home.settings()
    taxes = dict(settings.get("tax_classes", {}))
    for spec in args.tax or ():
        code, tax = _tax_class(spec)
        taxes[code] = tax
    version = int(settings.get("catalog_version", 0)) + 1
    chunks = wire.catalog_snapshot_chunks(
        catalog.items,
        version,
        tax_classes=[
            TaxClass(c, t["rate_bp"], t["inclusive"], t["name"]) for c, t in taxes.items()
        ],
        chunk_items=args.chunk,
    )
    targets = _targets(home, args)
    host, port = _broker_override(args)
    _out(f"{len(catalog.items)} items in {len(chunks)} chunks, catalog version {version}")
    failures: list[str] = []
    with Remote(home, host=host, port=port) as remote:
        for t in targets:
            failure = _send_chunks(remote, t, chunks, len(catalog.items), args)
            if failure is None:
                _out(f"{t}: catalog version {version}: done")
            else:
                failures.append(f"{t}: {failure}")
    settings["catalog_version"] = version
    settings["tax_classes"] = taxes
    home.save_settings(settings)
    if failures:
        raise RemoteError(
            "\n".join(failures)
            + "\nRun the import again: chunks already applied are applied again harmlessly."
        )
    return 0


def _send_chunks(
    remote: Remote,
    terminal: str,
    chunks: list[wire.CatalogSnapshot],
    items: int,
    args: argparse.Namespace,
) -> str | None:
    """Send the chunks one after the other, each after the previous one's reply; returns what
    went wrong, or None."""
    bar = Progress(len(chunks), terminal)
    try:
        remote.listen(terminal)
        for n, chunk in enumerate(chunks):
            where = f"chunk {n + 1}/{len(chunks)}"
            sent, q = remote.send(terminal, "catalog.snapshot", chunk)
            try:
                reply = remote.wait_reply(sent, q, args.timeout)
            except RemoteError as exc:
                return f"{where}: {exc}"
            if reply.status != "done":
                return f"{where}: {reply_error_text(reply)}"
            bar.update(n + 1, f"chunks ({min((n + 1) * args.chunk, items)} items)")
    finally:
        bar.close()
    return None


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


def _setting_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def cmd_settings(args: argparse.Namespace) -> int:
    home = _home(args)
    home.require()
    values: dict[str, Any] = {}
    for spec in args.values:
        key, sep, value = spec.partition("=")
        if not sep or not key:
            raise UsageError(f"{spec!r}: write KEY=VALUE, e.g. cash_rounding_step=10")
        values[key.strip()] = _setting_value(value.strip())
    _send_all(home, args, "settings.set", wire.SettingsSet(values=values), what="settings")
    settings = home.settings()
    settings.setdefault("values", {}).update(values)
    home.save_settings(settings)
    return 0


# --- watch and report ---------------------------------------------------------------------------


def _db_url(args: argparse.Namespace, home: Home) -> str:
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


def _open_db(args: argparse.Namespace) -> Any:
    from provisioning.collector.db import CentralDB

    home = _home(args)
    db = CentralDB(_db_url(args, home), tz=getattr(args, "tz", None))
    db.create()
    return db


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
    home = _home(args)
    currency = home.store().get("currency", "CNY") if home.exists() else "CNY"
    db = _open_db(args)
    try:
        while True:
            text = render_watch(db, currency=currency, limit=args.limit)
            if sys.stdout.isatty() and not args.once:
                sys.stdout.write("\x1b[2J\x1b[H")
            _out(text)
            if args.once:
                return 0
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    finally:
        db.close()


def cmd_report(args: argparse.Namespace) -> int:
    home = _home(args)
    currency = home.store().get("currency", "CNY") if home.exists() else "CNY"
    db = _open_db(args)
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
        _out(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        _out("No sales in that range.")
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
    _out(table(body, header))
    return 0


# --- parser -------------------------------------------------------------------------------------


def _remote_opts(p: argparse.ArgumentParser, *, targets: bool = True) -> None:
    if targets:
        p.add_argument(
            "-t",
            "--terminal",
            action="append",
            metavar="ID",
            help="send to this terminal (repeatable; default: every enrolled terminal)",
        )
    p.add_argument("--broker", metavar="HOST:PORT", help="broker address (default: posctl broker)")
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for each terminal's reply (default: %(default)s)",
    )


def _plaintext_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-plaintext",
        action="store_true",
        help="send the PIN or card code readable to terminals enrolled before sealing "
        "(better: re-enrol them with `posctl terminal enroll ID`)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="posctl",
        description="The owner's tool: keys, terminals, broker, staff, cards, catalog, settings, "
        "and the collector's live view and reports.",
    )
    p.add_argument(
        "--home",
        type=Path,
        help="owner directory (default: $POSCTL_HOME or ~/.config/posctl)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

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

    s = sub.add_parser(
        "staff",
        help="add, edit, suspend and list staff",
        description="Manage staff on the terminals.",
    )
    ssub = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = ssub.add_parser(
        "add",
        help="add a clerk (prints the initial PIN once)",
        description="Add a clerk on the terminals with a generated initial PIN, shown once.",
    )
    e.add_argument("id", help="account id: phone or staff number")
    e.add_argument("--name", required=True)
    e.add_argument("--role", required=True, help="cashier, senior_cashier, supervisor, manager...")
    e.add_argument("--gender")
    e.add_argument("--contact")
    e.add_argument("--trainee", action="store_true", help="training mode only until trained")
    _remote_opts(e)
    _plaintext_opt(e)
    e.set_defaults(func=cmd_staff_add)
    e = ssub.add_parser(
        "edit",
        help="change name, role, gender or contact",
        description="Change a clerk's name, role, gender or contact.",
    )
    e.add_argument("id")
    e.add_argument("--name")
    e.add_argument("--role")
    e.add_argument("--gender")
    e.add_argument("--contact")
    _remote_opts(e)
    e.set_defaults(func=cmd_staff_edit)
    e = ssub.add_parser(
        "suspend",
        help="suspend a clerk (or --lift, or --left)",
        description="Suspend a clerk's account; --lift reactivates it, --left closes it for good.",
    )
    e.add_argument("id")
    e.add_argument("--reason")
    g = e.add_mutually_exclusive_group()
    g.add_argument("--lift", action="store_true", help="reactivate")
    g.add_argument("--left", action="store_true", help="the clerk left the store")
    _remote_opts(e)
    e.set_defaults(func=cmd_staff_suspend)
    e = ssub.add_parser(
        "list",
        help="list staff as posctl last sent them",
        description="List staff as posctl last sent them.",
    )
    e.set_defaults(func=cmd_staff_list)
    e = ssub.add_parser(
        "reset-pin",
        help="same as `posctl reset-pin`",
        description="Issue a new initial PIN, shown once.",
    )
    e.add_argument("id")
    _remote_opts(e)
    _plaintext_opt(e)
    e.set_defaults(func=cmd_reset_pin)

    s = sub.add_parser(
        "reset-pin",
        help="issue a new initial PIN (shown once)",
        description="Issue a new initial PIN for a clerk, shown once; the clerk "
        "must change it at the next login.",
    )
    s.add_argument("id")
    _remote_opts(s)
    _plaintext_opt(s)
    s.set_defaults(func=cmd_reset_pin)

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
    _remote_opts(e)
    _plaintext_opt(e)
    e.set_defaults(func=cmd_card_issue)
    e = csub.add_parser(
        "revoke",
        help="revoke one card (--tag) or all of a clerk's cards",
        description="Revoke a clerk's card by tag, or all of their cards.",
    )
    e.add_argument("id")
    e.add_argument("--tag", help="card tag as shown by `posctl staff list`")
    _remote_opts(e)
    e.set_defaults(func=cmd_card_revoke)

    s = sub.add_parser(
        "role",
        help="set a clerk's role or define a role",
        description="Set a clerk's role, or define a role.",
    )
    rsub = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = rsub.add_parser("set", help="give a clerk a role", description="Give a clerk a role.")
    e.add_argument("id")
    e.add_argument("role")
    _remote_opts(e)
    e.set_defaults(func=cmd_role_set)
    e = rsub.add_parser(
        "define",
        help="define a role from a built-in one",
        description="Define (or redefine) a role: a built-in role's grants with changes.",
    )
    e.add_argument("name")
    e.add_argument("--base", default="cashier", help="built-in role to start from")
    e.add_argument("--label")
    e.add_argument(
        "--grant",
        action="append",
        metavar="RIGHT=VERDICT",
        help="e.g. drawer.no_sale=allow (repeatable)",
    )
    _remote_opts(e)
    e.set_defaults(func=cmd_role_define)

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
    _remote_opts(e)
    e.set_defaults(func=cmd_catalog_import)

    s = sub.add_parser(
        "settings",
        help="change store settings on the terminals",
        description="Send KEY=VALUE settings (names as in the terminal's "
        "StoreSettings; values are JSON when they parse as JSON).",
    )
    s.add_argument("values", nargs="+", metavar="KEY=VALUE")
    _remote_opts(s)
    s.set_defaults(func=cmd_settings)

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
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (HomeError, UsageError, RemoteError, CatalogFileError, ValueError) as exc:
        # ValueError: a value the owner gave that the protocol or a record refuses.
        _err(f"posctl: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
