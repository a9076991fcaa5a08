"""Named moments where the crash tests SIGKILL the terminal: ``POS_CRASH_AT="name:n"`` kills
the process the n-th time ``name`` is reached (``n`` defaults to 1; several points are separated
by commas). Unset, as in every real start, ``reached`` is one empty-dict lookup.

A chosen moment is what a random kill hits only by luck: right after the sale's commit, right
after its print job is spooled, in the middle of a receipt.
"""

from __future__ import annotations

import os
import signal

ENV = "POS_CRASH_AT"


def _parse(text: str) -> dict[str, int]:
    armed: dict[str, int] = {}
    for part in text.split(","):
        name, _, count = part.strip().partition(":")
        if name:
            armed[name] = int(count) if count.strip().isdigit() else 1
    return armed


_armed = _parse(os.environ.get(ENV, ""))


def arm(spec: str) -> None:
    """Arm points as ``POS_CRASH_AT`` would, for a process forked after start-up (a test's
    pre-imported worker)."""
    _armed.clear()
    _armed.update(_parse(spec))


def due(name: str) -> bool:
    """Count one pass through ``name``; True on the armed pass. The caller sets up its moment
    (e.g. sends half a job) and then calls ``kill``."""
    left = _armed.get(name)
    if left is None:
        return False
    _armed[name] = left - 1
    return left == 1


def kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def reached(name: str) -> None:
    """Count one pass through ``name``; on the armed pass, SIGKILL this process."""
    if due(name):
        kill()
