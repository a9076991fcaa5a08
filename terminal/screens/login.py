"""Login: PIN on a big keypad, or staff card then PIN; choosing a new PIN when the one issued
must be changed; language switch; and the clear messages for a wrong PIN (attempts left), a
locked account (time left) and a weak new PIN (the reason), whose texts are in
``screens/errors.py``. The left side is where staff tiles go (``screens/tiles.py``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.uix.boxlayout import BoxLayout

from terminal.screens.approval import watch_idle
from terminal.screens.base import PosScreen
from terminal.screens.i18n import LANGUAGE_NAMES, LANGUAGES
from terminal.screens.port import ClerkView, LoginTile
from terminal.screens.presenters import apply_key, mask_pin
from terminal.screens.tiles import StaffLogin
from terminal.screens.widgets import INK, MUTED, Keypad, Panel, PosButton, Text

PIN_MAX = 8

class LoginScreen(PosScreen):
    title = "login"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.pin = ""
        self.card: str | None = None
        self.card_holder = ""
        self.step = "pin"
        """"pin", then for an issued PIN "new" and "confirm"."""
        self._old_pin = ""
        self._new_pin = ""

    def _prompt(self) -> str:
        _ = self._
        if self.step == "new":
            return _("Your PIN must be changed. Choose a new PIN.")
        if self.step == "confirm":
            return _("Enter the new PIN again.")
        if self.card_holder:
            return _("Hello, {name}. Enter your PIN.").format(name=self.card_holder)
        return _("Enter your PIN, or scan your staff card.")

    def render(self) -> None:
        _ = self._
        m = self.m
        body = BoxLayout(orientation="vertical" if m.portrait else "horizontal",
                         padding=m.pad * 2, spacing=m.pad * 3)
        side = BoxLayout(orientation="vertical", spacing=m.pad * 2)
        if not m.portrait:
            # Portrait screens are narrow and tall: the keypad needs the height more.
            side.add_widget(Text(_("Welcome"), font_size=m.font(3), bold=True,
                                 size_hint_y=None, height=m.row(1.3)))
        side.add_widget(Text(self._prompt(), aid="login.prompt", font_size=m.font(1),
                             color=MUTED, size_hint_y=None,
                             height=m.row(0.9 if m.portrait else 1.4)))
        # Staff tiles (photo, name) of a PIN-only store; a card greeting replaces them.
        self.tiles = BoxLayout(orientation="horizontal", spacing=m.pad)
        side.add_widget(self.tiles)
        self.staff_tiles().render(self.tiles, hidden=bool(self.card) or self.step != "pin")
        langs = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                          height=m.row())
        for lang in LANGUAGES:
            langs.add_widget(PosButton(
                LANGUAGE_NAMES[lang], aid=f"login.lang.{lang}",
                kind="accent" if lang == self.app.tr.language else "muted",
                font_size=m.font(1), on_tap=partial(self.app.tr.set_language, lang)))
        side.add_widget(langs)

        pad = Panel(orientation="vertical", spacing=m.pad)
        if m.portrait:
            side.size_hint_y = 0.5
        else:
            pad.size_hint_x = 0.9
        self.pin_label = Text("", aid="login.pin", font_size=m.font(2), halign="center",
                              bg=(1, 1, 1, 1), size_hint_y=None, height=m.row(1.2))
        self._show_pin()
        pad.add_widget(self.pin_label)
        pad.add_widget(Keypad(m, self.key, labels={"clear": _("Clear"), "back": _("Del")},
                              prefix="keypad"))
        row = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                        height=m.row(1.1))
        if self.step != "pin" or self.card:
            row.add_widget(PosButton(_("Cancel"), aid="login.cancel", kind="muted",
                                     font_size=m.font(1), size_hint_x=0.5, on_tap=self.reset))
        row.add_widget(PosButton(_("Log in") if self.step == "pin" else _("OK"), aid="login.ok",
                                 kind="primary", font_size=m.font(1), on_tap=self.submit))
        pad.add_widget(row)
        body.add_widget(side)
        body.add_widget(pad)
        self.add_widget(body)

    def reset(self) -> None:
        self.pin = self._old_pin = self._new_pin = ""
        self.card, self.card_holder, self.step = None, "", "pin"
        self.rerender()

    def key(self, key: str) -> None:
        if key == "enter":
            self.submit()
            return
        self.pin = apply_key(self.pin, key, max_len=PIN_MAX, decimals=0)
        self._show_pin()

    def _show_pin(self) -> None:
        self.pin_label.text = mask_pin(self.pin) or self._("PIN")
        self.pin_label.color = INK if self.pin else MUTED

    def submit(self) -> None:
        pin, self.pin = self.pin, ""
        self._show_pin()
        if not pin:
            self.app.show_error(self._("Enter your PIN first."), code="login.empty")
            return
        # Logging in over another clerk parks their open sale for them.
        terminal = self.app.terminal
        picked = self.staff_tiles().staff_id
        if self.step == "new":
            self._new_pin, self.step = pin, "confirm"
            self.rerender()
        elif self.step == "confirm":
            if pin != self._new_pin:
                self.app.show_error(self._("The two PINs differ. Choose a new PIN again."),
                                    code="pin.mismatch")
                self.step = "new"
                self.rerender()
                return
            self.app.call(terminal.change_pin, self._old_pin, pin, card=self.card,
                          staff_id=picked, on_done=self._done, on_error=self._failed)
        elif self.card:
            self.app.call(terminal.login, pin, card=self.card, on_done=self._done,
                          on_error=partial(self._failed, pin=pin))
        else:
            self.app.call(terminal.login, pin, staff_id=picked, on_done=self._done,
                          on_error=partial(self._failed, pin=pin))

    def staff_tiles(self) -> StaffLogin:
        if getattr(self, "_staff_tiles", None) is None:
            self._staff_tiles = StaffLogin(self)
        return self._staff_tiles

    def _done(self, clerk: ClerkView) -> None:
        self.staff_tiles().staff_id = None
        self.reset()
        watch_idle(self.app)
        self.app.logged_in(clerk)

    def _failed(self, exc: BaseException, pin: str = "") -> bool:
        code = getattr(exc, "code", "")
        if code == "login.pin_change_required":
            self._old_pin, self.step = pin, "new"
            self.app.clear_error()
            self.rerender()
            return True
        if self.step == "confirm":
            self.step = "new"
            self.rerender()
        return False

    def on_scan(self, code: str) -> bool:
        pin = self.pin
        self.pin = ""
        self._show_pin()
        if pin:
            # PIN typed first, card second: log in at once.
            self.card = code
            self.app.call(self.app.terminal.login, pin, card=code, on_done=self._done,
                          on_error=partial(self._failed, pin=pin))
        else:
            self.app.call(self.app.terminal.card_holder, code,
                          on_done=partial(self._card_read, code))
        return True

    def _card_read(self, code: str, who: LoginTile) -> None:
        self.card, self.card_holder = code, who.name
        self.app.clear_error()
        self.rerender()

    def on_key(self, key: str) -> bool:
        if key == "enter":
            self.submit()
        elif key == "backspace":
            self.key("back")
        elif key == "escape":
            self.reset()
        elif key.isdigit():
            self.key(key)
        else:
            return False
        return True

    def automation_state(self) -> dict[str, Any]:
        return {"pin_length": len(self.pin), "login_step": self.step,
                "card_holder": self.card_holder, **self.staff_tiles().automation_state()}
