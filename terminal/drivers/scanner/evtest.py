"""Reads and writes key event sequences in the text format ``evtest`` prints, so recordings made
at a counter with ``sudo evtest /dev/input/by-id/...`` can be replayed through the decoder and the
reader as evdev's own ``InputEvent`` objects.

Recognised lines (everything else, such as evtest's device header, is skipped)::

    Event: time 1700000000.000001, type 1 (EV_KEY), code 42 (KEY_LEFTSHIFT), value 1
    Event: time 1700000000.000001, type 4 (EV_MSC), code 4 (MSC_SCAN), value 700e1
    Event: time 1700000000.000001, -------------- SYN_REPORT ------------
    Event: time 1700000000.000001, -------------- SYN_DROPPED ------------
    evtest: error reading: No such device

The last one is what evtest prints when the device is unplugged; it parses to ``UNPLUG``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

from evdev import InputEvent
from evdev import ecodes as e

from terminal.drivers.scanner.layouts import get_layout


class _Unplug:
    def __repr__(self) -> str:
        return "UNPLUG"


UNPLUG: Final = _Unplug()
"""Marks the point where the device went away (reads raise ``OSError(ENODEV)`` from there)."""

_EVENT = re.compile(
    r"^Event: time (?P<sec>\d+)\.(?P<usec>\d{6}), type (?P<type>\d+) \([^)]*\), "
    r"code (?P<code>\d+) \([^)]*\), value (?P<value>-?[0-9a-fA-F]+)\s*$"
)
_SYN = re.compile(r"^Event: time (?P<sec>\d+)\.(?P<usec>\d{6}), -+ (?P<name>SYN_\w+) -+\s*$")
_UNPLUG = re.compile(r"^evtest: error reading: No such device")


def parse_evtest(text: str) -> list[InputEvent | _Unplug]:
    out: list[InputEvent | _Unplug] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if m := _EVENT.match(line):
            etype, code = int(m["type"]), int(m["code"])
            # evtest prints MSC_SCAN values (HID usages) in hex, everything else in decimal.
            base = 16 if (etype, code) == (e.EV_MSC, e.MSC_SCAN) else 10
            try:
                value = int(m["value"], base)
            except ValueError:
                raise ValueError(f"line {lineno}: bad value in {raw!r}") from None
            out.append(InputEvent(int(m["sec"]), int(m["usec"]), etype, code, value))
        elif m := _SYN.match(line):
            syn_code = getattr(e, m["name"], None)
            if syn_code is None:
                raise ValueError(f"line {lineno}: unknown {m['name']} in {raw!r}")
            out.append(InputEvent(int(m["sec"]), int(m["usec"]), e.EV_SYN, syn_code, 0))
        elif _UNPLUG.match(line):
            out.append(UNPLUG)
        elif line.startswith("Event:"):
            raise ValueError(f"line {lineno}: not an evtest event line: {raw!r}")
    return out


def format_evtest(events: Iterable[InputEvent | _Unplug]) -> str:
    lines = []
    for ev in events:
        if ev is UNPLUG:
            lines.append("evtest: error reading: No such device")
            continue
        assert isinstance(ev, InputEvent)
        stamp = f"Event: time {ev.sec}.{ev.usec:06d}, "
        if ev.type == e.EV_SYN:
            lines.append(f"{stamp}-------------- {e.SYN[ev.code]} ------------")
            continue
        tname = e.EV[ev.type]
        names = e.bytype[ev.type].get(ev.code, "?")
        cname = names[0] if isinstance(names, list | tuple) else names
        value = f"{ev.value:x}" if (ev.type, ev.code) == (e.EV_MSC, e.MSC_SCAN) else ev.value
        lines.append(f"{stamp}type {ev.type} ({tname}), code {ev.code} ({cname}), value {value}")
    return "\n".join(lines) + "\n"


def key_events(
    text: str,
    layout: str = "us",
    *,
    start: float = 1_700_000_000.0,
    gap: float = 0.002,
    terminator: int | None = e.KEY_ENTER,
) -> list[InputEvent]:
    """The events a scanner set to ``layout`` sends for ``text``: press and release of each key
    with its modifiers, each followed by ``SYN_REPORT``. ``"\\x1d"`` is sent as Ctrl+]."""
    lay = get_layout(layout)
    out: list[InputEvent] = []
    t = start

    def emit(code: int, value: int) -> None:
        nonlocal t
        sec = int(t)
        usec = round((t - sec) * 1_000_000)
        out.append(InputEvent(sec, usec, e.EV_KEY, code, value))
        out.append(InputEvent(sec, usec, e.EV_SYN, e.SYN_REPORT, 0))
        t += gap

    def stroke(code: int, mods: Sequence[int]) -> None:
        for m in mods:
            emit(m, 1)
        emit(code, 1)
        emit(code, 0)
        for m in reversed(mods):
            emit(m, 0)

    for ch in text:
        if ch == "\x1d":
            stroke(e.KEY_RIGHTBRACE, [e.KEY_LEFTCTRL])
            continue
        pos = lay.position_of(ch)
        if pos is None:
            raise ValueError(f"layout {layout!r} cannot type {ch!r}")
        code, shift, altgr = pos
        mods = ([e.KEY_LEFTSHIFT] if shift else []) + ([e.KEY_RIGHTALT] if altgr else [])
        stroke(code, mods)
        if ch in lay.dead:
            stroke(e.KEY_SPACE, [])
    if terminator is not None:
        stroke(terminator, [])
    return out
