"""``posctl commands``: the outbox of signed commands that have no reply yet.

``list`` shows them; ``retry`` publishes the same signed commands again, and with ``--wait``
keeps at it (reconnecting when the broker goes away, publishing again the moment a terminal's
retained status turns online) until every one has a reply or the time is up. The terminal
applies a command id once and answers a repeated one "done", so sending again is always safe.
"""

from __future__ import annotations

import argparse
import queue
import time
from collections.abc import Callable

from provisioning.home import Home
from provisioning.outbox import Entry, open_outbox
from provisioning.posctl.common import broker_override, owner_home
from provisioning.posctl.output import out, table
from provisioning.remote import Remote, RemoteError, Sent, reply_error_text
from terminal.link import protocol as wire

_POLL = 0.05
_RESIGNS = 3


def cmd_list(args: argparse.Namespace) -> int:
    home = owner_home(args)
    box = open_outbox(home.root)
    try:
        rows = box.entries() if args.all else box.waiting()
    finally:
        box.close()
    if not rows:
        out("No command is waiting for a reply." if not args.all else "The outbox is empty.")
        return 0
    out(
        table(
            [
                (
                    e.id,
                    e.terminal,
                    e.type,
                    e.state,
                    e.attempts,
                    f"{e.created_at:%Y-%m-%d %H:%M}",
                    e.reply_code or "",
                )
                for e in rows
            ],
            ("id", "terminal", "type", "state", "sent", "signed (UTC)", "reply"),
        )
    )
    return 0


class _Round:
    """One connection's worth of retrying: what was published on it and awaits a reply."""

    def __init__(self, remote: Remote, say: Callable[[str], None], refused: list[str]) -> None:
        self.remote = remote
        self.say = say
        self.refused = refused
        self.pending: dict[str, tuple[Sent, queue.Queue[wire.Reply]]] = {}
        self.resigned: dict[str, int] = {}

    def publish(self, entries: list[Entry]) -> None:
        for e in entries:
            sent = Sent(e.id, e.type, e.seq, e.expires_at, e.terminal, e.payload)
            self.pending[e.id] = (sent, self.remote.publish(sent))

    def collect(self) -> None:
        for cid, (sent, q) in list(self.pending.items()):
            try:
                reply = q.get_nowait()
            except queue.Empty:
                continue
            del self.pending[cid]
            code = reply.error.code if reply.error else None
            if code == "replay" and self.resigned.get(cid, 0) < _RESIGNS:
                # Overtaken by a newer command while it was lost: same id, new sequence. A copy
                # published before the new one may still answer "replay", hence a few tries.
                self.resigned[cid] = self.resigned.get(cid, 0) + 1
                again = self.remote.resign(self._entry(cid))
                self.pending[cid] = (again, self.remote.publish(again))
                continue
            self.remote.outbox.replied(reply, self.remote._now())
            if reply.status == "done":
                self.say(f"{sent.terminal}: {sent.type} {cid}: done")
            else:
                self.refused.append(cid)
                self.say(f"{sent.terminal}: {sent.type} {cid}: refused: {reply_error_text(reply)}")

    def _entry(self, cid: str) -> Entry:
        e = self.remote.outbox.get(cid)
        assert e is not None
        return e


def retry(
    home: Home,
    terminals: list[str] | None,
    *,
    host: str | None,
    port: int | None,
    wait: float,
    every: float = 30.0,
    say: Callable[[str], None] = out,
    refused: list[str] | None = None,
) -> list[Entry]:
    """Publish every waiting command again until each has a reply or ``wait`` seconds have
    passed; returns those still waiting (the ids refused go to ``refused``). A lost broker is
    reconnected to (and everything published again); a terminal whose status turns online gets
    its commands at once."""
    deadline = time.monotonic() + wait
    told = ""
    refused = [] if refused is None else refused
    while True:
        box = open_outbox(home.root)
        waiting = box.waiting(terminals)
        box.close()
        if not waiting or time.monotonic() >= deadline:
            return waiting
        try:
            _connected_rounds(home, waiting, host, port, deadline, every, say, refused)
        except RemoteError as exc:
            if str(exc) != told:
                say(f"broker: {exc}")
                told = str(exc)
            time.sleep(max(0.0, min(1.0, deadline - time.monotonic())))


def _connected_rounds(
    home: Home,
    waiting: list[Entry],
    host: str | None,
    port: int | None,
    deadline: float,
    every: float,
    say: Callable[[str], None],
    refused: list[str],
) -> None:
    with Remote(home, host=host, port=port, connect_timeout=5.0) as remote:
        targets = sorted({e.terminal for e in waiting})
        remote.watch_status(targets)
        rnd = _Round(remote, say, refused)
        rnd.publish(waiting)
        next_all = time.monotonic() + every
        while rnd.pending and time.monotonic() < deadline:
            if not remote.is_connected():
                raise RemoteError("lost the connection to the broker")
            if remote.came_online.is_set() or time.monotonic() >= next_all:
                # A terminal that has just come online may never have had a session to queue
                # the earlier copies in: give it its commands now.
                remote.came_online.clear()
                rnd.publish([e for e in remote.outbox.waiting(targets) if e.id in rnd.pending])
                next_all = time.monotonic() + every
            time.sleep(_POLL)
            rnd.collect()


def cmd_retry(args: argparse.Namespace) -> int:
    home = owner_home(args)
    host, port = broker_override(args)
    terminals = list(args.terminal) if args.terminal else None
    wait = args.wait if args.wait is not None else args.timeout
    refused: list[str] = []
    left = retry(home, terminals, host=host, port=port, wait=wait, refused=refused)
    if left:
        out(f"{len(left)} command(s) still without a reply; `posctl commands list` shows them.")
        return 1
    if refused:
        out(f"{len(refused)} command(s) refused by the terminal (reasons above).")
        return 1
    out("Every command has a reply.")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = sub.add_parser(
        "commands",
        help="signed commands still waiting for a terminal's reply",
        description="Every command posctl signs is kept in its outbox (commands.sqlite3 in the "
        "home) until the terminal replies. Sending one again is safe: a terminal applies each "
        "command once and answers a repeat 'done'.",
    )
    csub = c.add_subparsers(dest="commands_cmd", metavar="ACTION", required=True)
    ls = csub.add_parser("list", help="commands without a reply (--all: every one kept)")
    ls.add_argument("--all", action="store_true", help="also those already answered")
    ls.set_defaults(func=cmd_list)
    r = csub.add_parser(
        "retry",
        help="send the waiting commands again",
        description="Publish every waiting command again (the same signed bytes) and wait for "
        "the replies. With --wait, keep going: reconnect when the broker goes away, send again "
        "when a terminal comes online, until every command has a reply or the time is up.",
    )
    r.add_argument("-t", "--terminal", action="append", metavar="ID", help="only this terminal")
    r.add_argument("--broker", metavar="HOST:PORT", help="broker address (default: posctl broker)")
    r.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the replies")
    r.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="keep retrying for up to this long (through broker restarts and offline terminals)",
    )
    r.set_defaults(func=cmd_retry)
