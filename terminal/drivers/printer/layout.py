"""Column arithmetic for receipt paper where a Chinese character takes two columns.

Thermal printers lay text out on a fixed grid: Font A is 12 dots wide, a full-width (CJK)
glyph is 24, so on 80 mm paper (576 dots) a line holds 48 Latin characters or 24 Chinese ones.
Python's ``len`` counts both as one, which is why every width here goes through
``display_width``.
"""

from __future__ import annotations

import unicodedata


def char_width(ch: str) -> int:
    """Columns one character occupies: 2 for wide/full-width, 0 for combining marks, else 1."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def is_wide_text(text: str) -> bool:
    """True when the text holds a character no single-byte code page can print."""
    return any(char_width(c) == 2 for c in text)


def wrap(text: str, width: int) -> list[str]:
    """Break text into lines of at most ``width`` columns.

    Breaks at spaces when a Latin word fits on the next line, and anywhere between wide
    characters (Chinese has no spaces). Always returns at least one line.
    """
    if width < 2:
        raise ValueError(f"width must be at least 2 columns, got {width}")
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        used = 0
        for word in _words(para):
            w = display_width(word)
            if used + w <= width:
                line += word
                used += w
                continue
            if word == " ":
                lines.append(line.rstrip())
                line, used = "", 0
                continue
            if w <= width and line.strip():
                lines.append(line.rstrip())
                line, used = word, w
                continue
            # A word wider than the line (or a wide character): split it by columns.
            for ch in word:
                cw = char_width(ch)
                if used + cw > width:
                    lines.append(line.rstrip())
                    line, used = "", 0
                line += ch
                used += cw
        lines.append(line.rstrip())
    return lines or [""]


def _words(text: str) -> list[str]:
    """Latin words and single spaces as units; every wide character is a unit of its own."""
    out: list[str] = []
    cur = ""
    for ch in text:
        if ch == " " or char_width(ch) == 2:
            if cur:
                out.append(cur)
                cur = ""
            out.append(ch)
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def align(text: str, width: int, how: str) -> str:
    """Pad ``text`` to ``width`` columns for left, center or right alignment."""
    gap = max(0, width - display_width(text))
    if how == "right":
        return " " * gap + text
    if how == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    if how == "left":
        return text + " " * gap
    raise ValueError(f"unknown alignment {how!r} (left, center or right)")


def row(left: str, right: str, width: int) -> list[str]:
    """A label and a value on one line, the value flush right; the label wraps if it must.

    The value is never split or truncated (it is usually an amount); when it does not fit next
    to the last label line it gets a line of its own.
    """
    right = right.strip()
    if not right:
        return wrap(left, width)
    rw = display_width(right)
    if rw > width:
        return [*wrap(left, width), *wrap(right, width)]
    lines = wrap(left, width) if left else [""]
    last = lines[-1]
    if display_width(last) + (1 if last else 0) + rw <= width:
        lines[-1] = last + " " * (width - display_width(last) - rw) + right
    else:
        lines.append(" " * (width - rw) + right)
    return lines
