"""The plumbing every posctl command shares: its errors, the owner directory, the terminals a
command goes to, sending one signed command to each of them, and the options that choose them."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from provisioning import terminals as terms
from provisioning.home import Home, default_home
from provisioning.posctl.output import out
from provisioning.remote import (
    KEPT_HINT,
    Remote,
    RemoteError,
    check_sealable,
    reply_error_text,
)
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


def owner_home(args: argparse.Namespace) -> Home:
    return Home(args.home or default_home())


def broker_override(args: argparse.Namespace) -> tuple[str | None, int | None]:
    if not getattr(args, "broker", None):
        return None, None
    host, sep, port = args.broker.rpartition(":")
    if not sep or not port.isdigit():
        raise UsageError(f"--broker {args.broker!r}: write HOST:PORT, e.g. 192.168.1.10:8883")
    return host, int(port)


def chosen_terminals(home: Home, args: argparse.Namespace) -> list[str]:
    chosen = list(getattr(args, "terminal", None) or [])
    active = terms.active_terminals(home)
    if not active:
        raise UsageError("no terminal is enrolled yet: run `posctl terminal enroll ID` first")
    if not chosen:
        return active
    for t in chosen:
        home.terminal(t)  # raises with the next step when unknown or revoked
    return chosen


def send_all(
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

    ``on_sent`` runs once posctl's outbox has every command (published when the broker is up),
    before the replies are awaited: a secret (PIN, card code) must be shown then, because the
    command is applied later even when the terminal or the broker is down now.

    ``secrets`` (field -> PIN or card code) travel sealed to each terminal; nothing is sent
    when one of the terminals cannot open them (see ``remote.check_sealable``). ``targets``
    replaces the terminals chosen on the command line."""
    if targets is None:
        targets = chosen_terminals(home, args)
    allow_plaintext = bool(getattr(args, "allow_plaintext", False))
    check_sealable(home, targets, bool(secrets), allow_plaintext)
    host, port = broker_override(args)
    replies: dict[str, wire.Reply] = {}
    failures: list[str] = []
    unanswered: list[str] = []
    remote = Remote(home, host=host, port=port)
    try:
        # Signed and kept in the outbox first: a broker that is down loses none of them.
        signed = [
            remote.sign(t, type, body, secrets=secrets, allow_plaintext=allow_plaintext)
            for t in targets
        ]
        try:
            remote.connect()
            pending = [(sent, remote.publish(sent)) for sent in signed]
        except RemoteError as exc:
            if on_sent is not None:
                on_sent()  # the outbox has them: they are applied later, secret and all
            for sent in signed:
                out(f"{sent.terminal}: {what}: kept, not yet sent")
            raise SendFailed(f"{exc}\n{KEPT_HINT}", {}, targets) from None
        if on_sent is not None:
            on_sent()
        for sent, q in pending:
            t = sent.terminal
            try:
                reply = remote.wait_reply(sent, q, args.timeout)
            except RemoteError as exc:
                failures.append(f"{t}: {exc}")
                unanswered.append(t)
                out(f"{t}: {what}: no reply")
                continue
            replies[t] = reply
            if reply.status == "done":
                out(f"{t}: {what}: done")
            else:
                failures.append(f"{t}: {reply_error_text(reply)}")
                out(f"{t}: {what}: refused")
    finally:
        remote.close()
    if failures:
        raise SendFailed("\n".join(failures), replies, unanswered)
    return replies


def remote_opts(p: argparse.ArgumentParser, *, targets: bool = True) -> None:
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


def plaintext_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-plaintext",
        action="store_true",
        help="no longer sends anything readable: terminals accept PINs and card codes only "
        "sealed (re-enrol old terminals with `posctl terminal enroll ID`)",
    )
