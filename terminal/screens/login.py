"""Login: PIN on a big keypad, language switch. The left side is where staff tiles and the
card prompt go."""

from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout

from terminal.screens.base import PosScreen
from terminal.screens.i18n import LANGUAGE_NAMES, LANGUAGES
from terminal.screens.presenters import apply_key, mask_pin
from terminal.screens.widgets import MUTED, Keypad, Panel, PosButton, Text

PIN_MAX = 8


class LoginScreen(PosScreen):
    title = "login"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.pin = ""

    def render(self) -> None:
        _ = self._
        m = self.m
        body = BoxLayout(orientation="vertical" if m.portrait else "horizontal",
                         padding=m.pad * 2, spacing=m.pad * 3)
        side = BoxLayout(orientation="vertical", spacing=m.pad * 2)
        side.add_widget(Text(_("Welcome"), font_size=m.font(3), bold=True,
                             size_hint_y=None, height=m.row(1.3)))
        side.add_widget(Text(_("Enter your PIN, or scan your staff card."),
                             font_size=m.font(1), color=MUTED, valign="top"))
        # Staff tiles go here once staff records carry photos.
        self.tiles = BoxLayout(orientation="horizontal", spacing=m.pad)
        side.add_widget(self.tiles)
        langs = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                          height=m.row())
        for lang in LANGUAGES:
            langs.add_widget(PosButton(
                LANGUAGE_NAMES[lang], aid=f"login.lang.{lang}",
                kind="accent" if lang == self.app.tr.language else "muted",
                font_size=m.font(1), on_tap=lambda lang=lang: self.app.tr.set_language(lang)))
        side.add_widget(langs)

        pad = Panel(orientation="vertical", spacing=m.pad)
        if m.portrait:
            side.size_hint_y = 0.35
        else:
            pad.size_hint_x = 0.9
        self.pin_label = Text(mask_pin(self.pin) or _("PIN"), aid="login.pin",
                              font_size=m.font(2), halign="center",
                              color=(0.1, 0.12, 0.15, 1) if self.pin else MUTED,
                              bg=(1, 1, 1, 1), size_hint_y=None, height=m.row(1.2))
        pad.add_widget(self.pin_label)
        pad.add_widget(Keypad(m, self.key, labels={"clear": _("Clear"), "back": _("Del")},
                              prefix="keypad"))
        pad.add_widget(PosButton(_("Log in"), aid="login.ok", kind="primary",
                                 font_size=m.font(1), size_hint_y=None, height=m.row(1.1),
                                 on_tap=self.submit))
        body.add_widget(side)
        body.add_widget(pad)
        self.add_widget(body)

    def key(self, key: str) -> None:
        if key == "enter":
            self.submit()
            return
        self.pin = apply_key(self.pin, key, max_len=PIN_MAX, decimals=0)
        self._show_pin()

    def _show_pin(self) -> None:
        self.pin_label.text = mask_pin(self.pin) or self._("PIN")

    def submit(self) -> None:
        pin, self.pin = self.pin, ""
        self._show_pin()
        if not pin:
            self.app.show_error(self._("Enter your PIN first."), code="login.empty")
            return
        self.app.call(self.app.terminal.login_pin, pin, on_done=self.app.logged_in)

    def on_scan(self, code: str) -> bool:
        self.app.call(self.app.terminal.login_card, code, self.pin or None,
                     on_done=self.app.logged_in)
        self.pin = ""
        self._show_pin()
        return True

    def on_key(self, key: str) -> bool:
        if key == "enter":
            self.submit()
        elif key == "backspace":
            self.key("back")
        elif key == "escape":
            self.key("clear")
        elif key.isdigit():
            self.key(key)
        else:
            return False
        return True

    def automation_state(self) -> dict[str, Any]:
        return {"pin_length": len(self.pin)}
