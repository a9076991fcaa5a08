"""Keyboard layouts a USB HID scanner may be configured for: which character each key code types,
plain, with Shift and with AltGr.

A scanner in keyboard mode does not send characters; it sends key positions (HID usages, which
the kernel turns into ``KEY_*`` codes) chosen for the keyboard layout its firmware was set to. The
terminal must decode with the same layout, or a German-configured scanner types ``Z`` where the
barcode says ``Y``. Tables follow the Linux console/xkb layouts of the same names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evdev import ecodes as e


@dataclass(frozen=True, slots=True)
class KeyLayout:
    name: str
    keys: dict[int, tuple[str, str]]
    """Key code -> (plain, shifted) character."""
    altgr: dict[int, str] = field(default_factory=dict)
    """Key code -> character typed with AltGr (right Alt). Empty: right Alt is a plain Alt."""
    dead: frozenset[str] = frozenset()
    """Characters that are dead keys in this layout (they wait for the next key)."""
    kp_dot: str = "."
    """What the keypad decimal key types with NumLock on."""

    def char(self, code: int, *, shift: bool, caps: bool, altgr: bool) -> str | None:
        if altgr and self.altgr:
            return self.altgr.get(code)
        pair = self.keys.get(code)
        if pair is None:
            return None
        plain, shifted = pair
        # CapsLock only affects keys that are a letter and its capital (xkb's ALPHABETIC type);
        # on AZERTY the digit row is not one, so CapsLock does not turn "é" into "2".
        if caps and plain.isalpha() and shifted == plain.upper():
            shift = not shift
        return shifted if shift else plain

    def position_of(self, ch: str) -> tuple[int, bool, bool] | None:
        """(key code, shift, altgr) that types ``ch``, for encoding test and simulator input."""
        for code, (plain, shifted) in self.keys.items():
            if plain == ch:
                return code, False, False
            if shifted == ch:
                return code, True, False
        for code, c in self.altgr.items():
            if c == ch:
                return code, False, True
        return None


def _row(codes: list[int], plain: str, shifted: str) -> dict[int, tuple[str, str]]:
    assert len(codes) == len(plain) == len(shifted)
    return {c: (p, s) for c, p, s in zip(codes, plain, shifted, strict=True)}


_DIGITS = [e.KEY_1, e.KEY_2, e.KEY_3, e.KEY_4, e.KEY_5, e.KEY_6, e.KEY_7, e.KEY_8, e.KEY_9, e.KEY_0]
_TOP = [e.KEY_Q, e.KEY_W, e.KEY_E, e.KEY_R, e.KEY_T, e.KEY_Y, e.KEY_U, e.KEY_I, e.KEY_O, e.KEY_P]
_HOME = [e.KEY_A, e.KEY_S, e.KEY_D, e.KEY_F, e.KEY_G, e.KEY_H, e.KEY_J, e.KEY_K, e.KEY_L]
_BOTTOM = [e.KEY_Z, e.KEY_X, e.KEY_C, e.KEY_V, e.KEY_B, e.KEY_N, e.KEY_M]
_PUNCT = [
    e.KEY_MINUS, e.KEY_EQUAL, e.KEY_LEFTBRACE, e.KEY_RIGHTBRACE, e.KEY_SEMICOLON,
    e.KEY_APOSTROPHE, e.KEY_GRAVE, e.KEY_BACKSLASH, e.KEY_COMMA, e.KEY_DOT, e.KEY_SLASH,
    e.KEY_102ND, e.KEY_SPACE,
]  # fmt: skip

KEYPAD_DIGITS: dict[int, str] = {
    e.KEY_KP0: "0", e.KEY_KP1: "1", e.KEY_KP2: "2", e.KEY_KP3: "3", e.KEY_KP4: "4",
    e.KEY_KP5: "5", e.KEY_KP6: "6", e.KEY_KP7: "7", e.KEY_KP8: "8", e.KEY_KP9: "9",
}  # fmt: skip
"""Keypad keys that type digits only with NumLock on (otherwise they are arrows, Home, End...)."""

KEYPAD_SYMBOLS: dict[int, str] = {
    e.KEY_KPSLASH: "/", e.KEY_KPASTERISK: "*", e.KEY_KPMINUS: "-", e.KEY_KPPLUS: "+",
    e.KEY_KPEQUAL: "=", e.KEY_KPCOMMA: ",",
}  # fmt: skip
"""Keypad keys that type the same character whatever NumLock says."""


def _us() -> KeyLayout:
    keys = _row(_DIGITS, "1234567890", "!@#$%^&*()")
    keys |= _row(_TOP, "qwertyuiop", "QWERTYUIOP")
    keys |= _row(_HOME, "asdfghjkl", "ASDFGHJKL")
    keys |= _row(_BOTTOM, "zxcvbnm", "ZXCVBNM")
    keys |= _row(_PUNCT, "-=[];'`\\,./< ", '_+{}:"~|<>?> ')
    return KeyLayout("us", keys)


def _de() -> KeyLayout:
    keys = _row(_DIGITS, "1234567890", '!"§$%&/()=')
    # QWERTZ: Y and Z swap places.
    keys |= _row(_TOP, "qwertzuiop", "QWERTZUIOP")
    keys |= _row(_HOME, "asdfghjkl", "ASDFGHJKL")
    keys |= _row(_BOTTOM, "yxcvbnm", "YXCVBNM")
    keys |= _row(_PUNCT, "ß´ü+öä^#,.-< ", "?`Ü*ÖÄ°';:_> ")
    altgr = {
        e.KEY_Q: "@", e.KEY_E: "€", e.KEY_2: "²", e.KEY_3: "³", e.KEY_7: "{", e.KEY_8: "[",
        e.KEY_9: "]", e.KEY_0: "}", e.KEY_MINUS: "\\", e.KEY_RIGHTBRACE: "~", e.KEY_102ND: "|",
        e.KEY_M: "µ",
    }  # fmt: skip
    return KeyLayout("de", keys, altgr, dead=frozenset("^´`"), kp_dot=",")


def _fr() -> KeyLayout:
    # AZERTY: digits need Shift; A/Q, Z/W swap and M sits right of L.
    keys = _row(_DIGITS, "&é\"'(-è_çà", "1234567890")
    keys |= _row(_TOP, "azertyuiop", "AZERTYUIOP")
    keys |= _row(_HOME, "qsdfghjkl", "QSDFGHJKL")
    keys |= _row(_BOTTOM, "wxcvbn,", "WXCVBN?")
    keys |= _row(
        [e.KEY_MINUS, e.KEY_EQUAL, e.KEY_LEFTBRACE, e.KEY_RIGHTBRACE, e.KEY_SEMICOLON,
         e.KEY_APOSTROPHE, e.KEY_GRAVE, e.KEY_BACKSLASH, e.KEY_COMMA, e.KEY_DOT, e.KEY_SLASH,
         e.KEY_102ND, e.KEY_SPACE],
        ")=^$mù²*;:!< ",
        "°+¨£M%~µ./§> ",
    )  # fmt: skip
    altgr = {
        e.KEY_2: "~", e.KEY_3: "#", e.KEY_4: "{", e.KEY_5: "[", e.KEY_6: "|", e.KEY_7: "`",
        e.KEY_8: "\\", e.KEY_9: "^", e.KEY_0: "@", e.KEY_MINUS: "]", e.KEY_EQUAL: "}",
        e.KEY_E: "€", e.KEY_RIGHTBRACE: "¤",
    }  # fmt: skip
    return KeyLayout("fr", keys, altgr, dead=frozenset("^¨"), kp_dot=".")


_BUILDERS = {"us": _us, "de": _de, "fr": _fr}

LAYOUT_NAMES: tuple[str, ...] = tuple(_BUILDERS)


def get_layout(name: str) -> KeyLayout:
    """The layout called ``name`` ("us", "de" for German QWERTZ, "fr" for French AZERTY)."""
    try:
        return _BUILDERS[name.lower()]()
    except KeyError:
        raise ValueError(
            f"unknown keyboard layout {name!r}; known layouts: {', '.join(LAYOUT_NAMES)}"
        ) from None
