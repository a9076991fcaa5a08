"""After payment: the change to hand back, big, and the receipt number."""

from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout

from terminal.screens.base import PosScreen
from terminal.screens.presenters import money
from terminal.screens.widgets import MUTED, Panel, PosButton, Text


class DoneScreen(PosScreen):
    title = "done"

    def render(self) -> None:
        _ = self._
        m = self.m
        cur = self.app.terminal.currency
        result = self.app.last_result or {}
        body = BoxLayout(orientation="vertical", padding=m.pad * 3, spacing=m.pad * 2)
        # Change on one side, the sale's facts on the other (stacked in portrait), so the
        # amount to hand back stays big however many lines follow it.
        card = Panel(orientation="vertical" if m.portrait else "horizontal", bg=(1, 1, 1, 1),
                     padding=m.pad * 3, spacing=m.pad * 2)
        change = int(result.get("change", 0))
        due = BoxLayout(orientation="vertical")
        due.add_widget(Text(_("Change due") if change else _("No change due"),
                            font_size=m.font(1), color=MUTED, halign="center",
                            size_hint_y=0.4))
        due.add_widget(Text(money(change, cur), aid="done.change", font_size=m.font(3) * 1.5,
                            bold=True, halign="center", color=(0.11, 0.55, 0.32, 1)))
        card.add_widget(due)
        info = [
            _("Total {amount}").format(amount=money(int(result.get("total", 0)), cur)),
            _("Receipt No. {number}").format(number=result.get("receipt_no", "—")),
        ]
        if any(t["kind"] == "cash" for t in result.get("tenders", ())) and not result.get(
            "training"
        ):
            info.append(_("Drawer open: close it after giving change."))
        if result.get("notice"):
            info.append(str(result["notice"]))
        card.add_widget(Text("\n".join(info), aid="done.info", font_size=m.font(1),
                             halign="center"))
        body.add_widget(card)
        if result.get("sale_id"):
            from terminal.screens.figures import rating_row

            body.add_widget(rating_row(self.app, result))
        buttons = BoxLayout(orientation="horizontal", spacing=m.pad * 2, size_hint_y=None,
                            height=m.row(1.4))
        buttons.add_widget(PosButton(_("Reprint"), aid="done.reprint", kind="muted",
                                     font_size=m.font(1), size_hint_x=0.4,
                                     on_tap=self.reprint))
        buttons.add_widget(PosButton(_("New sale"), aid="done.new", kind="primary",
                                     font_size=m.font(2), on_tap=self.new_sale))
        body.add_widget(buttons)
        self.add_widget(body)

    def reprint(self) -> None:
        self.app.call(self.app.terminal.reprint_last)

    def new_sale(self) -> None:
        # Straight to the empty sale screen; the core clears the finished sale behind it, so a
        # quick second tap (Menu, Log out) is not undone when that answer arrives.
        self.app.last_result = None
        self.app.sale = None
        self.app.show("sale")
        self.app.call(self.app.terminal.new_sale, on_done=self.app.set_sale)

    def on_scan(self, code: str) -> bool:
        # Scanning the next customer's first item starts the next sale straight away.
        self.app.last_result = None
        self.app.show("sale")
        return self.app.screen.on_scan(code)

    def on_key(self, key: str) -> bool:
        if key == "enter":
            self.new_sale()
            return True
        return False

    def automation_state(self) -> dict[str, Any]:
        return {"result": self.app.last_result}
