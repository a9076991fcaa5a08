"""Turns one keyboard-mode scanner's key events into barcode strings.

Pure: it takes evdev ``InputEvent``-shaped objects (``type``, ``code``, ``value``, ``sec``,
``usec``) and returns finished codes; the readers own the devices, threads and clocks.

What ends a code: Enter, keypad Enter or Tab (configurable), a gap between two key events longer
than the inter-character timeout, or the reader calling ``flush`` after that long without events.
What throws a code away: ``SYN_DROPPED`` (the kernel's buffer overflowed and keys were lost).
Events up to the next ``SYN_REPORT`` are ignored, as the evdev protocol requires, the held
modifiers are re-read from the device by the reader (``resync``), and the code in progress is
discarded *up to its end* (terminator or timeout): its tail alone would be a different, wrong
code. The scanner has beeped, so the clerk sees nothing in the cart and scans again.

GS1 group separator (ASCII 29), which separates variable-length fields in GS1-128 and GS1
DataMatrix codes, arrives from a scanner in one of two ways, both decoded to ``"\\x1d"``:

- Ctrl+``]`` -- the usual keyboard-wedge default (Honeywell, Zebra, Datalogic). The ``]`` is the
  key *position* of the US layout (``KEY_RIGHTBRACE``) whatever layout is configured, because the
  firmware sends the HID usage of the US key; Ctrl with a letter key uses the configured layout's
  letter (Ctrl+A on AZERTY is the key labelled A).
- "ALT mode": Alt held while the keypad types the decimal code (Alt, KP0 KP2 KP9). Any character
  0-255 can come this way; codes with a leading zero are Windows-1252, others CP437, as on the
  systems that invented the convention.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from evdev import ecodes as e

from terminal.drivers.scanner.layouts import KEYPAD_DIGITS, KEYPAD_SYMBOLS, KeyLayout, get_layout

_SHIFT = {e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT}
_CTRL = {e.KEY_LEFTCTRL, e.KEY_RIGHTCTRL}
_US_CONTROL_KEYS = {
    e.KEY_2: "@", e.KEY_LEFTBRACE: "[", e.KEY_BACKSLASH: "\\", e.KEY_RIGHTBRACE: "]",
    e.KEY_6: "^", e.KEY_MINUS: "_",
}  # fmt: skip
"""Ctrl plus these US key positions type the ASCII controls 0, 27, 28, 29, 30, 31."""

DEFAULT_TERMINATORS: frozenset[int] = frozenset({e.KEY_ENTER, e.KEY_KPENTER, e.KEY_TAB})
GS = "\x1d"


class KeyEvent(Protocol):
    """The part of ``evdev.InputEvent`` the decoder reads."""

    sec: int
    usec: int
    type: int
    code: int
    value: int


@dataclass(frozen=True, slots=True)
class DecoderSettings:
    layout: str = "us"
    char_timeout: float = 0.1
    """Seconds between two keys after which the code so far is complete. Scanners type a
    character every few milliseconds; people need far more than 100 ms."""
    terminators: frozenset[int] = DEFAULT_TERMINATORS
    min_length: int = 1
    """Shorter codes are dropped (a stray Enter, a single bounced key)."""


class KeyDecoder:
    def __init__(
        self,
        settings: DecoderSettings | None = None,
        *,
        caps_lock: bool = False,
        num_lock: bool = True,
    ) -> None:
        self.settings = settings or DecoderSettings()
        self.layout: KeyLayout = get_layout(self.settings.layout)
        self.caps_lock = caps_lock
        self.num_lock = num_lock
        self._held: set[int] = set()
        self._buf: list[str] = []
        self._alt_digits: str | None = None
        self._dead: str | None = None
        self._last_time: float | None = None
        self._dropping = False
        self._tainted = False
        self.dropped = 0
        """Partial codes thrown away because of SYN_DROPPED (for diagnostics)."""

    # -- state the reader manages -------------------------------------------------------------

    @property
    def pending(self) -> bool:
        """A code has started and is not finished yet."""
        return bool(self._buf) or self._dead is not None or self._tainted

    def resync(self, held_keys: Iterable[int]) -> None:
        """Set the held keys (modifiers) from the device, e.g. ``device.active_keys()``."""
        self._held = set(held_keys)

    def flush(self) -> str | None:
        """End the current code because no key came within the timeout."""
        return self._finish()

    def reset(self) -> None:
        self._buf.clear()
        self._held.clear()
        self._alt_digits = None
        self._dead = None
        self._last_time = None

    # -- decoding ------------------------------------------------------------------------------

    def feed(self, event: KeyEvent) -> list[str]:
        """Feed one event; returns the codes it completed (usually none, at most two)."""
        if event.type == e.EV_SYN:
            if event.code == e.SYN_DROPPED:
                self.dropped += 1
                self.reset()
                self._dropping = True
                self._tainted = True
            elif event.code == e.SYN_REPORT and self._dropping:
                self._dropping = False
            return []
        if self._dropping or event.type != e.EV_KEY:
            return []

        out: list[str] = []
        t = event.sec + event.usec / 1_000_000
        if (
            self._last_time is not None
            and self.pending
            and t - self._last_time > self.settings.char_timeout
        ):
            self._emit(self._finish(), out)
        self._last_time = t

        code, value = event.code, event.value
        if value == 0:
            self._release(code, out)
        elif value == 1:
            self._press(code, out)
        # value 2 is autorepeat: a scanner that holds a key long enough to repeat is faulty,
        # and repeating would duplicate digits.
        return out

    def _release(self, code: int, out: list[str]) -> None:
        self._held.discard(code)
        if self._alt_digits is not None and not self._alt_held():
            digits, self._alt_digits = self._alt_digits, None
            if digits:
                self._append(_alt_code_char(digits))

    def _press(self, code: int, out: list[str]) -> None:
        if code == e.KEY_CAPSLOCK:
            self.caps_lock = not self.caps_lock
            return
        if code == e.KEY_NUMLOCK:
            self.num_lock = not self.num_lock
            return
        if code in _SHIFT or code in _CTRL or code in (e.KEY_LEFTALT, e.KEY_RIGHTALT):
            self._held.add(code)
            return
        if code in self.settings.terminators:
            self._emit(self._finish(), out)
            return

        if self._alt_held() and code in KEYPAD_DIGITS:
            self._alt_digits = (self._alt_digits or "") + KEYPAD_DIGITS[code]
            return

        ch = self._char(code)
        if ch is not None:
            self._append(ch)

    def _char(self, code: int) -> str | None:
        shift = bool(self._held & _SHIFT)
        if self._held & _CTRL:
            return self._control_char(code, shift)
        if code in KEYPAD_DIGITS:
            # Shift inverts NumLock on the keypad, as it does on the console and in X.
            return KEYPAD_DIGITS[code] if self.num_lock != shift else None
        if code == e.KEY_KPDOT:
            return self.layout.kp_dot if self.num_lock != shift else None
        if code in KEYPAD_SYMBOLS:
            return KEYPAD_SYMBOLS[code]
        altgr = e.KEY_RIGHTALT in self._held and bool(self.layout.altgr)
        return self.layout.char(code, shift=shift, caps=self.caps_lock, altgr=altgr)

    def _control_char(self, code: int, shift: bool) -> str | None:
        if code in _US_CONTROL_KEYS:
            return chr(ord(_US_CONTROL_KEYS[code]) & 0x1F)
        ch = self.layout.char(code, shift=False, caps=False, altgr=False)
        if ch is not None and "a" <= ch <= "z":
            return chr(ord(ch) & 0x1F)
        return None

    def _alt_held(self) -> bool:
        if e.KEY_LEFTALT in self._held:
            return True
        # Right Alt is AltGr on layouts that have one; there it never starts an Alt code.
        return e.KEY_RIGHTALT in self._held and not self.layout.altgr

    def _append(self, ch: str) -> None:
        if self._dead is not None:
            dead, self._dead = self._dead, None
            # Scanners type a dead key followed by a space to get the character itself; a dead
            # key followed by anything else keeps both, since barcodes carry no accented letters.
            self._buf.append(dead)
            if ch == " ":
                return
        if ch in self.layout.dead:
            self._dead = ch
            return
        self._buf.append(ch)

    def _finish(self) -> str | None:
        if self._dead is not None:
            self._buf.append(self._dead)
            self._dead = None
        code = "".join(self._buf)
        self._buf.clear()
        self._alt_digits = None
        if self._tainted:
            self._tainted = False
            return None
        return code if len(code) >= self.settings.min_length else None

    @staticmethod
    def _emit(code: str | None, out: list[str]) -> None:
        if code is not None:
            out.append(code)


def _alt_code_char(digits: str) -> str:
    value = int(digits) % 256
    if value < 128:
        return chr(value)
    encoding = "cp1252" if digits.startswith("0") else "cp437"
    return bytes([value]).decode(encoding, errors="replace")
