"""The few widgets every screen is made of: flat touch buttons that carry an automation id,
labels with a background, the numeric keypad, a banner for errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from kivy.graphics import Color, Rectangle
from kivy.properties import StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label

BG = (0.94, 0.95, 0.96, 1)
HEADER = (0.12, 0.17, 0.24, 1)
INK = (0.1, 0.12, 0.15, 1)
MUTED = (0.4, 0.43, 0.48, 1)
WHITE = (1, 1, 1, 1)
DESTRUCTIVE_DEBOUNCE_S = 0.5
"""How soon after a void a second tap on the same button is taken as a bounce, not a void."""

KINDS: dict[str, tuple[tuple[float, float, float, float], tuple[float, float, float, float]]] = {
    # kind: (background, text)
    "key": ((1, 1, 1, 1), INK),
    "primary": ((0.11, 0.55, 0.32, 1), WHITE),
    "accent": ((0.15, 0.40, 0.75, 1), WHITE),
    "danger": ((0.78, 0.20, 0.20, 1), WHITE),
    "muted": ((0.82, 0.84, 0.87, 1), INK),
    "quick": ((1.0, 0.96, 0.86, 1), INK),
    "header": (HEADER, WHITE),
}


@dataclass(frozen=True, slots=True)
class Metrics:
    """Sizes derived from the window, so one layout reads well from 800x480 to 1280x800 and in
    portrait."""

    width: int
    height: int

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    @property
    def scale(self) -> float:
        short, long_ = sorted((self.width, self.height))
        return max(1.0, min(short / 480, long_ / 800, 1.8))

    def font(self, step: int = 0) -> float:
        """step -1 small, 0 body, 1 emphasis, 2 big figures, 3 the total."""
        return round({-1: 15, 0: 19, 1: 24, 2: 32, 3: 44}[step] * self.scale)

    def row(self, factor: float = 1.0) -> float:
        """Height of one touch row: at least a fingertip."""
        return round(54 * self.scale * factor)

    @property
    def pad(self) -> float:
        return round(6 * self.scale)


class Painted:
    """Mixin: a flat background colour drawn under the widget."""

    def paint(self, rgba: tuple[float, ...]) -> None:
        with self.canvas.before:  # type: ignore[attr-defined]
            self._bg_color = Color(*rgba)
            self._bg_rect = Rectangle(pos=self.pos, size=self.size)  # type: ignore[attr-defined]
        self.bind(pos=self._sync_bg, size=self._sync_bg)  # type: ignore[attr-defined]

    def repaint(self, rgba: tuple[float, ...]) -> None:
        self._bg_color.rgba = rgba

    def _sync_bg(self, *_a: object) -> None:
        self._bg_rect.pos = self.pos  # type: ignore[attr-defined]
        self._bg_rect.size = self.size  # type: ignore[attr-defined]


_LAST_TAP: dict[str, float] = {}
"""When each debounced button (by automation id) last took a tap."""


class PosButton(Button):
    """A flat button with a stable automation id (``aid``) the control channel taps by."""

    aid = StringProperty("")
    kind = StringProperty("key")

    def __init__(
        self, text: str = "", *, aid: str = "", kind: str = "key",
        on_tap: Callable[[], None] | None = None, debounce: float | None = None,
        **kw: object,
    ) -> None:
        """``debounce`` (s): a destructive button ignores a tap that comes this soon after the
        one it took, so a bounced or doubled tap does the damage once."""
        kw.setdefault("halign", "center")
        kw.setdefault("valign", "middle")
        # The control under the finger when it went down takes the tap, even if the finger
        # ends up elsewhere: a button never loses a tap to a slip or a redraw.
        kw.setdefault("always_release", True)
        super().__init__(text=text, aid=aid, kind=kind, **kw)
        self.background_normal = ""
        self.background_down = ""
        self.background_disabled_normal = ""
        self._apply_kind()
        self.bind(kind=lambda *_: self._apply_kind(), state=lambda *_: self._apply_kind(),
                  disabled=lambda *_: self._apply_kind())
        self.bind(size=self._wrap)
        self.debounce = debounce or 0.0
        if on_tap is not None:
            self.bind(on_release=lambda *_: self._tapped(on_tap))

    def _tapped(self, on_tap: Callable[[], None]) -> None:
        if self.debounce:
            # Kept by automation id, not on the widget: a screen redrawn by the first tap
            # builds a new button, and the bounce must still be caught.
            now = time.monotonic()
            if now - _LAST_TAP.get(self.aid, float("-inf")) < self.debounce:
                return
            _LAST_TAP[self.aid] = now
        on_tap()

    def _wrap(self, *_a: object) -> None:
        self.text_size = (self.width - 8, None)

    def _apply_kind(self) -> None:
        bg, fg = KINDS.get(self.kind, KINDS["key"])
        if self.disabled:
            bg, fg = (0.88, 0.89, 0.91, 1), (0.6, 0.62, 0.66, 1)
        elif self.state == "down":
            bg = (bg[0] * 0.8, bg[1] * 0.8, bg[2] * 0.8, 1)
        self.background_color = bg
        self.color = fg
        self.disabled_color = (*fg[:3], 0.5)


class Text(Label, Painted):
    """A label that wraps to its width and may have a background."""

    aid = StringProperty("")

    def __init__(self, text: str = "", bg: tuple[float, ...] | None = None, **kw: Any) -> None:
        kw.setdefault("color", INK)
        kw.setdefault("halign", "left")
        kw.setdefault("valign", "middle")
        super().__init__(text=text, **kw)
        self.bind(size=self._wrap)
        if bg is not None:
            self.paint(bg)

    def _wrap(self, *_a: object) -> None:
        # Centred text is measured by width alone, so a line that does not fit is wrapped
        # and shown rather than dropped; top or bottom alignment needs the height too.
        height = None if self.valign == "middle" else self.height
        self.text_size = (max(0, self.width - 8), height)


class Panel(BoxLayout, Painted):
    def __init__(self, bg: tuple[float, ...] | None = None, **kw: object) -> None:
        super().__init__(**kw)
        if bg is not None:
            self.paint(bg)


KEYPAD_ROWS: tuple[tuple[str, ...], ...] = (
    ("7", "8", "9"),
    ("4", "5", "6"),
    ("1", "2", "3"),
    ("clear", "0", "back"),
)
KEY_AIDS = {".": "dot", "00": "00"}


class Keypad(GridLayout):
    """Digits plus clear and backspace; ``extra`` adds a row (".", "00", an enter key).

    ``on_key`` receives "0".."9", ".", "00", "clear", "back" or "enter".
    """

    def __init__(
        self,
        m: Metrics,
        on_key: Callable[[str], None],
        *,
        labels: dict[str, str],
        prefix: str = "keypad",
        extra: tuple[str, ...] = (),
        **kw: object,
    ) -> None:
        super().__init__(cols=3, spacing=m.pad, **kw)
        rows = [*KEYPAD_ROWS, extra] if extra else list(KEYPAD_ROWS)
        for row in rows:
            for key in row:
                kind = {"clear": "muted", "back": "muted", "enter": "primary"}.get(key, "key")
                self.add_widget(
                    PosButton(
                        labels.get(key, key),
                        aid=f"{prefix}.{KEY_AIDS.get(key, key)}",
                        kind=kind,
                        font_size=m.font(1),
                        on_tap=partial(on_key, key),
                    )
                )


class TapPanel(ButtonBehavior, Panel):
    """A row or tile that is tapped as a whole (a cart line, a staff tile)."""

    aid = StringProperty("")

    def __init__(self, *, aid: str = "", on_tap: Callable[[], None] | None = None,
                 **kw: Any) -> None:
        kw.setdefault("always_release", True)
        super().__init__(**kw)
        self.aid = aid
        if on_tap is not None:
            self.bind(on_release=lambda *_: on_tap())
