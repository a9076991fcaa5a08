"""ESC/POS bytes back to readable text.

One tokenizer serves two readers: ``decode`` (tests, the simulated printer's preview, doctor) and
the loopback emulator, which needs to know where each command ends so a status query is never
confused with image or QR payload bytes. The tokenizer knows the commands python-escpos emits
plus the real-time ones (DLE EOT, DLE DC4); anything else starting with ESC, GS or FS is taken
as a two-byte command so decoding never stops.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
_PREFIXES = frozenset((ESC, GS, FS, DLE))

# Commands of fixed total length, by (prefix, second byte).
_FIXED = {
    (ESC, ord("@")): 2,
    (ESC, ord("2")): 2,
    (ESC, ord("3")): 3,
    (ESC, ord("!")): 3,
    (ESC, ord("E")): 3,
    (ESC, ord("G")): 3,
    (ESC, ord("-")): 3,
    (ESC, ord("M")): 3,
    (ESC, ord("a")): 3,
    (ESC, ord("t")): 3,
    (ESC, ord("{")): 3,
    (ESC, ord("d")): 3,
    (ESC, ord("J")): 3,
    (ESC, ord("c")): 4,
    (ESC, ord("p")): 5,
    (ESC, ord("B")): 4,
    (GS, ord("!")): 3,
    (GS, ord("B")): 3,
    (GS, ord("b")): 3,
    (GS, ord("h")): 3,
    (GS, ord("w")): 3,
    (GS, ord("f")): 3,
    (GS, ord("H")): 3,
    (GS, ord("L")): 4,
    (GS, ord("W")): 4,
    (GS, ord("a")): 3,
    (GS, ord("r")): 3,
    (FS, ord("&")): 2,
    (FS, ord(".")): 2,
    (FS, ord("!")): 3,
    (FS, ord("C")): 3,
    (DLE, 0x04): 3,
    (DLE, 0x05): 3,
}

# DLE DC4 fn: total lengths by fn (1 = pulse, 2 = power off, 7 = buzzer, 8 = clear buffers).
_DLE_DC4 = {1: 5, 2: 5, 7: 6, 8: 10}

_BARCODE_A = {0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "NW7"}
_BARCODE_B = {
    65: "UPC-A",
    66: "UPC-E",
    67: "EAN13",
    68: "EAN8",
    69: "CODE39",
    70: "ITF",
    71: "NW7",
    72: "CODE93",
    73: "CODE128",
    74: "GS1-128",
    75: "GS1 DataBar Omnidirectional",
    76: "GS1 DataBar Truncated",
    77: "GS1 DataBar Limited",
    78: "GS1 DataBar Expanded",
}

# ESC t n -> Python codec for the code pages Latin text is likely to use.
_CODE_PAGES = {
    0: "cp437",
    2: "cp850",
    3: "cp860",
    4: "cp863",
    5: "cp865",
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    """"text" for printable bytes, else a command name such as "ESC @", "GS v 0", "DLE EOT"."""
    raw: bytes


def next_token(buf: bytes | bytearray, pos: int = 0) -> tuple[Token, int] | None:
    """The token starting at ``pos`` and the position after it, or None when ``buf`` ends in
    the middle of a command (the caller waits for more bytes)."""
    n = len(buf)
    if pos >= n:
        return None
    b0 = buf[pos]
    if b0 not in _PREFIXES:
        end = pos
        while end < n and buf[end] not in _PREFIXES:
            end += 1
        return Token("text", bytes(buf[pos:end])), end
    if pos + 1 >= n:
        return None
    b1 = buf[pos + 1]
    name = f"{_PREFIX_NAMES[b0]} {_name(b1)}"
    length = _FIXED.get((b0, b1))
    if length is None:
        length = _variable_length(buf, pos, b0, b1)
        if length is None:
            return None
        if length == 0:
            # Unknown command: treat as two bytes so decoding goes on.
            length = 2
    if b0 == GS and b1 == ord("V"):
        if pos + 2 >= n:
            return None
        length = 4 if buf[pos + 2] in (65, 66) else 3
    if pos + length > n:
        return None
    if b0 == GS and b1 == ord("v"):
        name = "GS v 0"
    elif b0 == GS and b1 == ord("("):
        name = f"GS ( {chr(buf[pos + 2])}"
    elif b0 == DLE and b1 == 0x14:
        name = "DLE DC4"
    return Token(name, bytes(buf[pos : pos + length])), pos + length


_PREFIX_NAMES = {ESC: "ESC", GS: "GS", FS: "FS", DLE: "DLE"}


def _name(b: int) -> str:
    return {0x04: "EOT", 0x05: "ENQ", 0x14: "DC4"}.get(
        b, chr(b) if 0x20 < b < 0x7F else f"{b:#04x}"
    )


def _variable_length(buf: bytes | bytearray, pos: int, b0: int, b1: int) -> int | None:
    """Total length of a data-carrying command; None when incomplete, 0 when unknown."""
    n = len(buf)
    if b0 == GS and b1 == ord("V"):
        return 3  # refined by the caller once the mode byte is there
    if b0 == GS and b1 == ord("v"):
        if pos + 8 > n:
            return None
        xb = buf[pos + 4] | buf[pos + 5] << 8
        yd = buf[pos + 6] | buf[pos + 7] << 8
        return 8 + xb * yd
    if b0 == GS and b1 == ord("("):
        if pos + 5 > n:
            return None
        return 5 + (buf[pos + 3] | buf[pos + 4] << 8)
    if b0 == GS and b1 == ord("k"):
        if pos + 3 > n:
            return None
        m = buf[pos + 2]
        if m <= 6:
            end = buf.find(b"\x00", pos + 3)
            return None if end < 0 else end + 1 - pos
        if pos + 4 > n:
            return None
        return 4 + buf[pos + 3]
    if b0 == ESC and b1 == ord("*"):
        if pos + 5 > n:
            return None
        m = buf[pos + 2]
        width = buf[pos + 3] | buf[pos + 4] << 8
        return 5 + width * (3 if m in (32, 33) else 1)
    if b0 == DLE and b1 == 0x14:
        if pos + 3 > n:
            return None
        return _DLE_DC4.get(buf[pos + 2], 3)
    return 0


def tokenize(data: bytes) -> Iterator[Token]:
    """Every token of a complete byte string; a truncated command at the end is reported as a
    "truncated" token instead of being dropped."""
    pos = 0
    while pos < len(data):
        step = next_token(data, pos)
        if step is None:
            yield Token("truncated", data[pos:])
            return
        tok, pos = step
        yield tok


def decode(
    data: bytes, raster_texts: Sequence[str] | None = None, columns: int | None = None
) -> str:
    """Readable text of an ESC/POS byte stream.

    Commands that change looks are dropped; things that are not text become markers:
    ``[QR:data]``, ``[BARCODE CODE128:data]``, ``[CUT]``, ``[DRAWER pin 2]``,
    ``[RASTER n lines]``. ``raster_texts`` is the side channel for rasterised text: the i-th
    entry is what the i-th raster image says, and is shown after its marker. With ``columns``,
    centred and right-aligned lines are padded as the paper shows them.
    """
    reader = _Reader(raster_texts, columns)
    for tok in tokenize(data):
        if not reader.text_or_style(tok.kind, tok.raw):
            reader.mark(tok.kind, tok.raw)
    reader.flush()
    out = reader.out
    return "\n".join(out) + "\n" if out else ""


class _Reader:
    """The paper as ``decode`` reads it: finished lines, the line being set, and the text
    state (alignment, double width, Chinese mode, code page) the commands change."""

    def __init__(self, raster_texts: Sequence[str] | None, columns: int | None) -> None:
        self.out: list[str] = []
        self.line: list[str] = []
        self.align = 0
        self.wide = False
        self.chinese = False
        self.codec = "cp437"
        self.raster_no = 0
        self.raster_texts = raster_texts
        self.columns = columns
        self.gb = codecs.getincrementaldecoder("gb18030")(errors="replace")

    def flush(self, force: bool = False) -> None:
        text = "".join(self.line)
        self.line.clear()
        if not text and not force:
            return
        if text and self.columns and self.align in (1, 2):
            width = self.columns // 2 if self.wide else self.columns
            gap = max(0, width - _width(text))
            text = " " * (gap // 2 if self.align == 1 else gap) + text
        self.out.append(text)

    def add_text(self, text: str) -> None:
        parts = text.split("\n")
        for i, part in enumerate(parts):
            self.line.append(part)
            if i < len(parts) - 1:
                self.flush(force=True)

    def marker(self, text: str) -> None:
        self.flush()
        self.out.append(text)

    def text_or_style(self, kind: str, raw: bytes) -> bool:
        """Handle text and the commands that change how it reads; False for anything else."""
        if kind == "text":
            self.add_text(
                self.gb.decode(raw) if self.chinese else raw.decode(self.codec, errors="replace")
            )
        elif kind == "FS &":
            self.chinese = True
        elif kind == "FS .":
            self.add_text(self.gb.decode(b"", final=True))
            self.chinese = False
        elif kind == "ESC t":
            self.codec = _CODE_PAGES.get(raw[2], "latin-1")
        elif kind == "ESC a":
            self.align = raw[2] % 48
        elif kind == "ESC !":
            self.wide = bool(raw[2] & 0x20)
        elif kind == "GS !":
            self.wide = bool(raw[2] & 0x70)
        elif kind == "ESC @":
            self.align, self.wide = 0, False
        else:
            return False
        return True

    def mark(self, kind: str, raw: bytes) -> None:
        """Feeds, cuts, drawer kicks, codes and images: what is not text becomes a marker."""
        if kind == "ESC d":
            self.flush()
            self.out.extend([""] * raw[2])
        elif kind == "GS V":
            self.marker("[CUT]")
        elif kind == "ESC p":
            self.marker(f"[DRAWER pin {2 if raw[2] in (0, 48) else 5}]")
        elif kind == "GS ( k" and len(raw) > 7 and raw[5] == 49 and raw[6] == 80:
            self.marker(f"[QR:{raw[8:].decode('utf-8', errors='replace')}]")
        elif kind == "GS k":
            self.marker(_barcode_marker(raw))
        elif kind == "GS v 0":
            self.raster(raw)
        elif kind == "truncated":
            self.marker(f"[TRUNCATED {len(raw)} bytes]")

    def raster(self, raw: bytes) -> None:
        lines = raw[6] | raw[7] << 8
        label = f"[RASTER {lines} lines]"
        texts, no = self.raster_texts, self.raster_no
        side = texts[no] if texts and no < len(texts) else ""
        self.raster_no += 1
        if side and "\n" in side:
            self.marker(label)
            self.out.extend(side.split("\n"))
        else:
            self.marker(f"{label} {side}" if side else label)


def _barcode_marker(raw: bytes) -> str:
    m = raw[2]
    if m <= 6:
        sym, payload = _BARCODE_A.get(m, str(m)), raw[3:-1]
    else:
        sym, payload = _BARCODE_B.get(m, str(m)), raw[4:]
    text = payload.decode("ascii", errors="replace")
    if sym == "CODE128" and text[:2] in ("{A", "{B", "{C"):
        text = text[2:]
    return f"[BARCODE {sym}:{text}]"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def raster_widths(data: bytes) -> list[tuple[int, int]]:
    """(width in dots, height in dots) of every GS v 0 raster image in the stream."""
    return [
        ((t.raw[4] | t.raw[5] << 8) * 8, t.raw[6] | t.raw[7] << 8)
        for t in tokenize(data)
        if t.kind == "GS v 0"
    ]
