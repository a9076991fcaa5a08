"""The drawer outside a sale: a no-sale open and cash in or out, each with a reason; they ask
for a supervisor when the clerk's role needs one."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from terminal.core.errors import InvalidInput
from terminal.core.money import parse_money
from terminal.screens.approval import REASON_LABELS
from terminal.screens.base import PosScreen
from terminal.screens.i18n import N_
from terminal.screens.port import DrawerDone
from terminal.screens.presenters import apply_key
from terminal.screens.training import DONE_INK
from terminal.screens.widgets import INK, MUTED, WHITE, Keypad, Panel, PosButton, Text

DRAWER_REASONS = (N_("change for a customer"), N_("float top-up"), N_("cash pick-up"),
                  N_("other"))


class DrawerScreen(PosScreen):
    """No-sale drawer open and cash in/out, each with a reason."""

    title = "drawer"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.entry = ""
        self.reason: str | None = None
        self.done: DrawerDone | None = None

    def on_enter_screen(self, **params: Any) -> None:
        self.entry = ""
        self.reason = None
        self.done = None
        self.rerender()

    def render(self) -> None:
        _ = self._
        m = self.m
        cur = self.app.terminal.currency
        body = BoxLayout(orientation="vertical" if m.portrait else "horizontal",
                         padding=m.pad * 2, spacing=m.pad * 2)
        left = BoxLayout(orientation="vertical", spacing=m.pad)
        left.add_widget(Text(_("Cash drawer"), font_size=m.font(2), bold=True,
                             size_hint_y=None, height=m.row(0.9)))
        left.add_widget(Text(_("Reason"), font_size=m.font(0), bold=True, size_hint_y=None,
                             height=m.row(0.55)))
        grid = GridLayout(cols=2, spacing=m.pad // 2)
        for i, reason in enumerate(DRAWER_REASONS):
            grid.add_widget(PosButton(_(REASON_LABELS.get(reason, reason)),
                                      aid=f"drawer.reason.{i}",
                                      kind="accent" if reason == self.reason else "muted",
                                      font_size=m.font(-1),
                                      on_tap=partial(self.pick, reason)))
        left.add_widget(grid)
        note = ""
        if self.done is not None:
            d = self.done
            note = {"no_sale": _("Drawer opened."),
                    "cash_in": _("Cash in recorded."),
                    "cash_out": _("Cash out recorded.")}.get(d.done, "")
        left.add_widget(Text(note, aid="drawer.done", font_size=m.font(0), bold=True,
                             color=DONE_INK, size_hint_y=None, height=m.row(0.7)))
        left.add_widget(PosButton(_("Open drawer (no sale)"), aid="drawer.no_sale",
                                  kind="danger", font_size=m.font(0), size_hint_y=None,
                                  height=m.row(1.0), on_tap=self.no_sale))
        left.add_widget(PosButton(_("Back to sale"), aid="drawer.back", kind="muted",
                                  font_size=m.font(0), size_hint_y=None, height=m.row(0.9),
                                  on_tap=lambda: self.app.show("sale")))
        right = Panel(orientation="vertical", spacing=m.pad)
        if not m.portrait:
            right.size_hint_x = 0.8
        self.entry_label = Text(self.entry or _("Amount ({currency})").format(currency=cur),
                                aid="drawer.amount", font_size=m.font(1), halign="right",
                                color=INK if self.entry else MUTED, bg=WHITE,
                                size_hint_y=None, height=m.row(0.9))
        right.add_widget(self.entry_label)
        right.add_widget(Keypad(m, self.key, labels={"clear": _("Clear"), "back": _("Del")},
                                prefix="keypad", extra=(".",)))
        row = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                        height=m.row(1.0))
        row.add_widget(PosButton(_("Cash in"), aid="drawer.cash_in", kind="accent",
                                 font_size=m.font(0), on_tap=lambda: self.move("in")))
        row.add_widget(PosButton(_("Cash out"), aid="drawer.cash_out", kind="accent",
                                 font_size=m.font(0), on_tap=lambda: self.move("out")))
        right.add_widget(row)
        body.add_widget(left)
        body.add_widget(right)
        self.add_widget(body)

    def key(self, key: str) -> None:
        self.entry = apply_key(self.entry, key, max_len=10, decimals=2)
        self.entry_label.text = self.entry or self._("Amount ({currency})").format(
            currency=self.app.terminal.currency)
        self.entry_label.color = INK if self.entry else MUTED

    def on_key(self, key: str) -> bool:
        if key == "backspace":
            self.key("back")
        elif key.isdigit() or key == ".":
            self.key(key)
        else:
            return False
        return True

    def pick(self, reason: str) -> None:
        self.reason = reason
        self.rerender()

    def _need_reason(self) -> bool:
        if self.reason is None:
            self.app.show_error(self._("Pick a reason first."), code="drawer.reason")
            return True
        return False

    def no_sale(self) -> None:
        if self._need_reason():
            return
        self.app.call(self.app.terminal.no_sale, self.reason, on_done=self._done)

    def move(self, direction: str) -> None:
        if self._need_reason():
            return
        try:
            amount = parse_money(self.entry, self.app.terminal.currency)
        except (ValueError, InvalidInput):
            self.app.show_error(self._("Type the amount first."), code="input.missing")
            return
        self.app.call(self.app.terminal.cash_move, direction, amount, self.reason,
                      on_done=self._done)

    def _done(self, result: DrawerDone) -> None:
        self.app.clear_error()
        self.done = result
        self.entry = ""
        self.rerender()
        self.app.render_status()

    def automation_state(self) -> dict[str, Any]:
        return {"drawer_action": self.done.to_dict() if self.done else None,
                "entry": self.entry, "reason": self.reason}
