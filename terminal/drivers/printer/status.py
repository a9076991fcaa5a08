"""DLE EOT real-time status: the three bytes that tell a working printer from a broken one.

Each query is one byte back: n=1 printer status (online), n=2 offline cause (cover open, paper
end stop, error), n=4 roll paper sensor (near end, end). Every answer has fixed bits (bit 1 and 4
set, bit 0 and 7 clear); a byte without them is not a status answer.

python-escpos turns an empty answer into "offline" (``is_online``) or "plenty of paper"
(``paper_status``), and a garbled byte can match its "no paper" mask. Here a missing, late or
malformed answer is *unknown*: the job stays spooled and is retried once a real answer says OK,
rather than being either trusted or reported as a paper fault the clerk cannot fix.
"""

from __future__ import annotations

from typing import Protocol

from terminal.core.ports import DeviceHealth, PrinterStatus

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 4)


class StatusLink(Protocol):
    def drain_input(self) -> None: ...

    def write(self, data: bytes) -> None: ...

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes, b"" when nothing came before the transport's timeout."""


def valid(byte: int | None) -> bool:
    return byte is not None and (byte & 0x93) == 0x12


def encode_status(
    *,
    online: bool = True,
    paper_low: bool = False,
    paper_out: bool = False,
    cover_open: bool = False,
    error: bool = False,
) -> dict[int, int]:
    """The answers a printer in this state gives to DLE EOT 1, 2 and 4 (the emulator's side)."""
    offline = not online or paper_out or cover_open or error
    s1 = 0x12 | (0x08 if offline else 0)
    s2 = 0x12 | (0x04 if cover_open else 0) | (0x20 if paper_out else 0) | (0x40 if error else 0)
    s4 = 0x12 | (0x0C if paper_low or paper_out else 0) | (0x60 if paper_out else 0)
    return {1: s1, 2: s2, 4: s4}


def parse_status(s1: int | None, s2: int | None, s4: int | None, detail: str = "") -> PrinterStatus:
    """Combine the three answers; a missing or malformed answer leaves its fields unknown.

    FAULT needs positive evidence (offline bit, cover open, paper end, error). OK needs all three
    answers. Anything in between is UNKNOWN.
    """
    b1 = s1 if valid(s1) else None
    b2 = s2 if valid(s2) else None
    b4 = s4 if valid(s4) else None
    online = None if b1 is None else not (b1 & 0x08)
    cover_open = None if b2 is None else bool(b2 & 0x04)
    error = None if b2 is None else bool(b2 & 0x40)
    paper_out: bool | None = None
    if b4 is not None:
        paper_out = bool(b4 & 0x60)
    if b2 is not None and b2 & 0x20:
        paper_out = True
    paper_low = None if b4 is None else bool(b4 & 0x0C) and not paper_out

    problems = []
    if online is False:
        problems.append("offline")
    if paper_out:
        problems.append("paper out")
    if cover_open:
        problems.append("cover open")
    if error:
        problems.append("printer error")
    missing = [f"DLE EOT {n}" for n, b in ((1, b1), (2, b2), (4, b4)) if b is None]
    if problems:
        health = DeviceHealth.FAULT
    elif missing:
        health = DeviceHealth.UNKNOWN
    else:
        health = DeviceHealth.OK
    parts = problems + ([f"no answer to {', '.join(missing)}"] if missing else [])
    if paper_low and not problems:
        parts.append("paper low")
    if detail:
        parts.append(detail)
    return PrinterStatus(
        health=health,
        online=online,
        paper_low=paper_low,
        paper_out=paper_out,
        cover_open=cover_open,
        detail="; ".join(parts),
    )


def unknown(detail: str) -> PrinterStatus:
    return PrinterStatus(health=DeviceHealth.UNKNOWN, detail=detail)


def unreachable(detail: str) -> PrinterStatus:
    """The printer cannot be reached (refused, unplugged, link dropped): certainly not online,
    but nothing is known about paper or cover, so health stays unknown."""
    return PrinterStatus(health=DeviceHealth.UNKNOWN, online=False, detail=detail)


def query_status(link: StatusLink) -> PrinterStatus:
    """Ask the three questions over an open transport. Transport errors propagate (the caller
    reconnects); an answer that does not come is recorded as unknown."""
    link.drain_input()
    answers: dict[int, int | None] = {}
    for n in QUERIES:
        link.write(DLE_EOT + bytes((n,)))
        got = link.read(1)
        answers[n] = got[0] if got else None
        if answers[n] is None:
            # The printer did not answer one question; it will not answer the next either,
            # and each wait costs a full timeout.
            break
    return parse_status(answers.get(1), answers.get(2), answers.get(4))
