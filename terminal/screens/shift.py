"""Opening a shift with a float, and closing it with a blind count: the clerk counts the drawer
without seeing what it should hold; over or short is shown only after the count is saved."""

from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout

from terminal.core.money import parse_money
from terminal.screens.base import PosScreen
from terminal.screens.i18n import N_
from terminal.screens.port import ShiftClose
from terminal.screens.presenters import apply_key, money
from terminal.screens.widgets import INK, MUTED, WHITE, Keypad, Panel, PosButton, Text


class _AmountScreen(PosScreen):
    heading = ""
    hint = ""
    action = ""
    aid = ""

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.entry = ""

    def on_enter_screen(self, **params: Any) -> None:
        self.entry = ""
        self.rerender()

    def render(self) -> None:
        _ = self._
        m = self.m
        body = BoxLayout(orientation="vertical" if m.portrait else "horizontal",
                         padding=m.pad * 2, spacing=m.pad * 3)
        info = BoxLayout(orientation="vertical", spacing=m.pad)
        info.add_widget(Text(_(self.heading), font_size=m.font(2), bold=True,
                             size_hint_y=None, height=m.row(1.2)))
        info.add_widget(Text(_(self.hint), font_size=m.font(0), color=MUTED, valign="top"))
        self.render_info(info)
        pad = BoxLayout(orientation="vertical", spacing=m.pad)
        if m.portrait:
            info.size_hint_y = 0.4
        self.entry_label = Text("", aid=f"{self.aid}.entry", font_size=m.font(2),
                                halign="right", bg=WHITE, size_hint_y=None, height=m.row(1.1))
        self._show()
        pad.add_widget(self.entry_label)
        row = BoxLayout(orientation="horizontal", spacing=m.pad)
        row.add_widget(Keypad(m, self.key, labels={"clear": _("Clear"), "back": _("Del")}))
        side = BoxLayout(orientation="vertical", spacing=m.pad, size_hint_x=0.4)
        side.add_widget(PosButton(".", aid="keypad.dot", font_size=m.font(1),
                                  on_tap=lambda: self.key(".")))
        side.add_widget(PosButton(_(self.action), aid=f"{self.aid}.ok", kind="primary",
                                  font_size=m.font(0), size_hint_y=3, on_tap=self.submit))
        row.add_widget(side)
        pad.add_widget(row)
        body.add_widget(info)
        body.add_widget(pad)
        self.add_widget(body)

    def render_info(self, info: BoxLayout) -> None:
        pass

    def _show(self) -> None:
        self.entry_label.text = self.entry or money(0, self.app.terminal.currency)
        self.entry_label.color = INK if self.entry else MUTED

    def key(self, key: str) -> None:
        self.entry = apply_key(self.entry, key, max_len=10, decimals=2)
        self._show()

    def amount(self) -> int | None:
        try:
            return parse_money(self.entry or "0", self.app.terminal.currency)
        except ValueError as e:
            self.app.show_error(e)
            return None

    def submit(self) -> None:
        raise NotImplementedError

    def on_key(self, key: str) -> bool:
        if key == "enter":
            self.submit()
        elif key == "backspace":
            self.key("back")
        elif len(key) == 1 and (key.isdigit() or key == "."):
            self.key(key)
        else:
            return False
        return True

    def automation_state(self) -> dict[str, Any]:
        return {"entry": self.entry}


class ShiftOpenScreen(_AmountScreen):
    title = "shift_open"
    heading = N_("Open shift")
    hint = N_("Count the opening float in the drawer and enter it.")
    action = N_("Open shift")
    aid = "shift_open"

    def submit(self) -> None:
        amount = self.amount()
        if amount is not None:
            self.app.call(self.app.terminal.open_shift, amount, on_done=self._opened)

    def _opened(self, _shift: Any) -> None:
        self.app.clear_error()
        self.app.show("sale")


class ShiftCloseScreen(_AmountScreen):
    title = "shift_close"
    heading = N_("Close shift")
    hint = N_(
        "Count all cash in the drawer and enter the total. The expected amount is shown after."
    )
    action = N_("Close shift")
    aid = "shift_close"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.result: ShiftClose | None = None

    def on_enter_screen(self, **params: Any) -> None:
        self.result = None
        super().on_enter_screen(**params)

    def render(self) -> None:
        if self.result is None:
            super().render()
            return
        _ = self._
        m = self.m
        cur = self.app.terminal.currency
        r = self.result
        body = BoxLayout(orientation="vertical", padding=m.pad * 3, spacing=m.pad * 2)
        card = Panel(orientation="vertical", bg=WHITE, padding=m.pad * 3, spacing=m.pad)
        card.add_widget(Text(_("Shift closed"), font_size=m.font(2), bold=True))
        over = r.over_short
        label = _("Over") if over > 0 else _("Short") if over < 0 else _("Balanced")
        color = (0.11, 0.55, 0.32, 1) if over == 0 else (0.78, 0.2, 0.2, 1)
        for text, value, aid in ((_("Counted"), r.counted, "shift_close.counted"),
                                 (_("Expected"), r.expected, "shift_close.expected")):
            row = BoxLayout(orientation="horizontal")
            row.add_widget(Text(text, font_size=m.font(1)))
            row.add_widget(Text(money(value, cur), aid=aid, font_size=m.font(1),
                                halign="right"))
            card.add_widget(row)
        row = BoxLayout(orientation="horizontal")
        row.add_widget(Text(label, font_size=m.font(2), bold=True, color=color))
        row.add_widget(Text(money(over, cur), aid="shift_close.over_short", font_size=m.font(2),
                            bold=True, color=color, halign="right"))
        card.add_widget(row)
        body.add_widget(card)
        buttons = BoxLayout(orientation="horizontal", spacing=m.pad * 2, size_hint_y=None,
                            height=m.row(1.2))
        buttons.add_widget(PosButton(_("X report"), aid="shift_close.x", kind="accent",
                                     font_size=m.font(1),
                                     on_tap=lambda: self.app.show("report", kind="x")))
        buttons.add_widget(PosButton(_("Log out"), aid="shift_close.done", kind="primary",
                                     font_size=m.font(1), on_tap=self.app.logout))
        body.add_widget(buttons)
        self.add_widget(body)

    def submit(self) -> None:
        amount = self.amount()
        if amount is not None:
            self.app.call(self.app.terminal.close_shift, amount, on_done=self._closed)

    def _closed(self, result: ShiftClose) -> None:
        self.app.clear_error()
        self.result = result
        self.app.render_chrome()
        self.rerender()

    def automation_state(self) -> dict[str, Any]:
        return {"entry": self.entry, "result": self.result.to_dict() if self.result else None}
