"""``posctl web``: the web back office over the collector's database, its accounts (``posctl web
user``), and ``posctl web --demo``, a back office on a demo store with a demo owner login."""

from __future__ import annotations

import argparse
import getpass
import sys
import threading
from pathlib import Path
from typing import Any

from provisioning.posctl.common import UsageError, owner_home
from provisioning.posctl.output import out
from provisioning.posctl.report import db_url

DEMO_DIR = Path("~/.local/share/pos-terminal/backoffice-demo")


def _setup(args: argparse.Namespace) -> tuple[Any, list[Any]]:
    """Configure Django for this run and create the tables; returns the config and, for the
    demo, its tills."""
    from provisioning.web import config

    if args.demo:
        from provisioning.web import demo

        root = (args.demo_dir or DEMO_DIR).expanduser()
        root.mkdir(parents=True, exist_ok=True)
        home = demo.make_home(root / "owner")
        url = str(root / "collector.sqlite3")
        homes = (home.root,)
        key_root = root
    else:
        home = owner_home(args)
        url = db_url(args, home)
        homes = tuple([home.root] if home.exists() else []) + tuple(args.store_home or ())
        key_root = home.root
    hosts = ("127.0.0.1", "localhost", args.host, *(args.allowed_host or ()))
    cfg = config.WebConfig(
        db_url=url,
        homes=homes,
        secret_key=config.secret_key_file(key_root),
        allowed_hosts=tuple(dict.fromkeys(hosts)),
        tz=args.tz,
        behind_https_proxy=args.behind_https_proxy,
    )
    config.configure(cfg)
    config.migrate()
    tills: list[Any] = []
    if args.demo:
        from provisioning.web import central, demo

        tills = demo.fill(central.get().db)
    return cfg, tills


def _demo_owner() -> tuple[str, str]:
    from django.contrib.auth import get_user_model

    from provisioning.web import access, demo

    password = demo.demo_password()
    users = get_user_model()
    user = users.objects.filter(username="owner").first()
    if user is None:
        access.create_account("owner", password, owner=True)
    else:
        user.set_password(password)
        user.save()
    return "owner", password


def cmd_web(args: argparse.Namespace) -> int:
    if getattr(args, "action", None):
        return int(args.action_func(args))
    _cfg, tills = _setup(args)
    from provisioning.web import server

    try:
        httpd = server.make_server(args.host, args.port)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {args.host}:{args.port} ({exc.strerror}): is another back office "
            "running there? Choose another with --port"
        ) from exc
    stop = threading.Event()
    if args.demo:
        from provisioning.web import demo

        name, password = _demo_owner()
        demo.keep_selling(tills, stop)
        out(f"Demo back office: http://{args.host}:{args.port}/")
        out(f"Log in as {name!r} with password {password!r} (a new one at every --demo start).")
    else:
        out(f"Back office: http://{args.host}:{args.port}/ (Ctrl-C stops it)")
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        httpd.server_close()
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        pw = sys.stdin.readline().rstrip("\n")
    else:
        pw = getpass.getpass("Password: ")
        if pw != getpass.getpass("Again: "):
            raise UsageError("the two passwords differ")
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(pw)
    except ValidationError as exc:
        raise UsageError(" ".join(exc.messages)) from exc
    if len(pw) < 10:
        raise UsageError("use a password of at least 10 characters")
    return pw


def cmd_user_add(args: argparse.Namespace) -> int:
    if not args.owner and not args.store:
        raise UsageError("give --owner, or --store STORE_ID (repeatable) for a manager")
    _setup(args)
    from django.contrib.auth import get_user_model

    from provisioning.web import access, audit

    if get_user_model().objects.filter(username=args.name).exists():
        raise UsageError(f"an account {args.name!r} exists already")
    user = access.create_account(
        args.name, _password(args), owner=args.owner, stores=tuple(args.store or ())
    )
    audit.record(
        None,
        "account.add",
        username="posctl",
        account=user.get_username(),
        owner=args.owner,
        stores=list(args.store or ()),
    )
    what = "owner (every store)" if args.owner else "manager of " + ", ".join(args.store)
    out(f"Account {args.name!r} created: {what}.")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    _setup(args)
    from django.contrib.auth import get_user_model

    from provisioning.web.models import StoreAccess

    for u in get_user_model().objects.order_by("username"):
        stores = StoreAccess.objects.filter(user=u).values_list("store_id", flat=True)
        scope = "owner" if u.is_superuser else "manager: " + ", ".join(stores)
        out(f"{u.get_username()}\t{scope}\t{'active' if u.is_active else 'disabled'}")
    return 0


def _account(name: str) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        raise UsageError(f"no account {name!r}: `posctl web user list` shows them")
    return user


def cmd_user_password(args: argparse.Namespace) -> int:
    _setup(args)
    from provisioning.web import audit

    user = _account(args.name)
    user.set_password(_password(args))
    user.save()
    audit.record(None, "account.password", username="posctl", account=args.name)
    out(f"New password set for {args.name!r}.")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    _setup(args)
    from django.contrib.sessions.models import Session

    from provisioning.web import audit

    user = _account(args.name)
    user.is_active = bool(args.enable)
    user.save()
    if not args.enable:
        # Log the account out everywhere: its sessions go with it.
        for s in Session.objects.all():
            if str(s.get_decoded().get("_auth_user_id")) == str(user.pk):
                s.delete()
    audit.record(
        None,
        "account.enable" if args.enable else "account.disable",
        username="posctl",
        account=args.name,
    )
    out(f"Account {args.name!r} {'enabled' if args.enable else 'disabled'}.")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup(args)
    out("The back office's tables are up to date.")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="collector database URL (default: $POSCTL_DB)")
    p.add_argument("--tz", help="time zone the collector counts days in")
    p.add_argument(
        "--store-home",
        action="append",
        type=Path,
        metavar="DIR",
        help="another posctl home whose store this back office may command (repeatable)",
    )
    p.add_argument("--demo", action="store_true", help="a demo store with a demo owner login")
    p.add_argument("--demo-dir", type=Path, help=f"where the demo lives (default: {DEMO_DIR})")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (%(default)s)")
    p.add_argument(
        "--allowed-host",
        action="append",
        metavar="NAME",
        help="a host name the pages are reached by, behind a reverse proxy (repeatable)",
    )
    p.add_argument(
        "--behind-https-proxy",
        action="store_true",
        help="a reverse proxy terminates TLS and sets X-Forwarded-Proto (secure cookies)",
    )


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "web",
        help="the web back office (and its accounts: `web user`)",
        description="Serve the web back office over the collector's database: live "
        "monitoring, staff, adding clerks. `posctl web --demo` starts one on a demo store.",
    )
    _common(s)
    s.set_defaults(func=cmd_web)
    ssub = s.add_subparsers(dest="action", metavar="ACTION")
    u = ssub.add_parser("user", help="back-office accounts", description="Back-office accounts.")
    usub = u.add_subparsers(dest="user_action", metavar="ACTION", required=True)
    a = usub.add_parser(
        "add",
        help="add an owner or a manager of some stores",
        description="Add an account: --owner sees every store; otherwise a manager of the "
        "stores given with --store. The password is asked twice (or read from stdin).",
    )
    a.add_argument("name")
    a.add_argument("--owner", action="store_true")
    a.add_argument("--store", action="append", metavar="STORE_ID")
    a.add_argument("--password-stdin", action="store_true")
    _common(a)
    a.set_defaults(action_func=cmd_user_add)
    pw = usub.add_parser(
        "password",
        help="set a new password for an account",
        description="Set a new password for an account (asked twice, or read from stdin).",
    )
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true")
    _common(pw)
    pw.set_defaults(action_func=cmd_user_password)
    d = usub.add_parser(
        "disable",
        help="disable an account (logs it out), or --enable it again",
        description="Disable an account and end its sessions; --enable lets it log in again.",
    )
    d.add_argument("name")
    d.add_argument("--enable", action="store_true")
    _common(d)
    d.set_defaults(action_func=cmd_user_disable)
    lst = usub.add_parser("list", help="list accounts", description="List the accounts.")
    _common(lst)
    lst.set_defaults(action_func=cmd_user_list)
    m = ssub.add_parser(
        "migrate",
        help="create or update the back office's tables",
        description="Create or update the back office's tables (and the collector's) in the "
        "database; run it once before starting WSGI servers of a chain.",
    )
    _common(m)
    m.set_defaults(action_func=cmd_migrate)
