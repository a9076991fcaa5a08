"""The functions a clerk reaches from the header: shift, reports, back to selling."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from terminal.screens.base import PosScreen
from terminal.screens.widgets import PosButton, Text


class MenuScreen(PosScreen):
    title = "menu"

    def render(self) -> None:
        _ = self._
        m = self.m
        shift_open = self.app.terminal.shift_state() is not None
        body = BoxLayout(orientation="vertical", padding=m.pad * 2, spacing=m.pad * 2)
        body.add_widget(Text(_("Functions"), font_size=m.font(2), bold=True,
                             size_hint_y=None, height=m.row()))
        grid = GridLayout(cols=2 if m.portrait else 3, spacing=m.pad * 2)
        entries = [
            ("menu.sale", _("Back to sale"), "primary", self._to_sale, shift_open),
            ("menu.shift_open", _("Open shift"), "accent", lambda: self.app.show("shift_open"),
             not shift_open),
            ("menu.shift_close", _("Close shift"), "accent",
             lambda: self.app.show("shift_close"), shift_open),
            ("menu.x", _("X report"), "key", lambda: self.app.show("report", kind="x"), True),
            ("menu.z", _("Z report (end of day)"), "key",
             lambda: self.app.show("report", kind="z"), True),
            ("menu.held", _("Held sales"), "key", lambda: self.app.show("recall"), shift_open),
            ("menu.refund", _("Refund"), "danger", lambda: self.app.show("refund"), True),
            ("menu.drawer", _("Cash drawer"), "key", lambda: self.app.show("drawer"),
             shift_open),
            ("menu.figures", _("My figures"), "key", lambda: self.app.show("figures"), True),
            ("menu.training", _("Training"), "key", lambda: self.app.show("training"), True),
            ("menu.staff", _("Staff"), "key", lambda: self.app.show("staff"), True),
            # Another clerk logs in on top; this clerk's open sale is parked for them.
            ("menu.switch", _("Switch clerk"), "key", lambda: self.app.show("login"), True),
        ]
        for aid, label, kind, action, enabled in entries:
            grid.add_widget(PosButton(label, aid=aid, kind=kind, font_size=m.font(1),
                                      disabled=not enabled, on_tap=action))
        body.add_widget(grid)
        self.add_widget(body)

    def _to_sale(self) -> None:
        self.app.show("sale")
