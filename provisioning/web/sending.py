"""Sending one signed command to a store's terminals from the back office: the same
``provisioning.remote.Remote`` posctl uses (the owner's key from the posctl home, PINs sealed to
each terminal's key from enrolment), but the page waits only a few seconds for replies; a
terminal that is off applies the command when it comes back (the broker keeps it)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from provisioning import terminals as terms
from provisioning.home import Home
from provisioning.remote import Remote, RemoteError, check_sealable, reply_error_text


@dataclass(frozen=True)
class Outcome:
    terminal: str
    status: str
    """done, refused or waiting (no reply yet: applied when the terminal connects)."""
    message: str = ""


RemoteFactory = Callable[[Home], Remote]


def send_to_store(
    home: Home,
    type: str,
    body: Any,
    *,
    secrets: Mapping[str, str] | None = None,
    timeout: float = 5.0,
    remote: RemoteFactory = Remote,
) -> list[Outcome]:
    """Send to every active terminal of the home's store. Raises RemoteError before anything
    is sent when there is no terminal, a terminal cannot open a secret sealed to it, or the
    broker cannot be reached."""
    targets = terms.active_terminals(home)
    if not targets:
        raise RemoteError("no terminal is enrolled in this store yet: run `posctl terminal enroll`")
    check_sealable(home, targets, bool(secrets), False)
    outcomes = []
    with remote(home) as r:
        pending = []
        for t in targets:
            r.listen(t)
            pending.append((t, *r.send(t, type, body, secrets=secrets)))
        deadline = time.monotonic() + timeout
        for t, sent, q in pending:
            try:
                reply = r.wait_reply(sent, q, max(0.05, deadline - time.monotonic()))
            except RemoteError:
                outcomes.append(Outcome(t, "waiting"))
                continue
            if reply.status == "done":
                outcomes.append(Outcome(t, "done"))
            else:
                outcomes.append(Outcome(t, "refused", reply_error_text(reply)))
    return outcomes
