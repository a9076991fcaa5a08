"""The open sale set aside or abandoned: hold it (suspend) to serve the next customer, recall a
held sale, or void the open one. Voiding takes a second tap, because it cannot be undone."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView

from terminal.screens.base import PosScreen
from terminal.screens.i18n import N_
from terminal.screens.port import OPEN_STATES, SaleSnapshot
from terminal.screens.presenters import money
from terminal.screens.widgets import (
    DESTRUCTIVE_DEBOUNCE_S,
    MUTED,
    WHITE,
    Panel,
    PosButton,
    TapPanel,
    Text,
)

CONFIRM_SECONDS = 4
HELD_STATUS = {"held": N_("on hold"), "parked": N_("parked at logout"),
               "open": N_("interrupted, payment taken")}
"""How a set-aside sale came to be there (``SuspendedView.status``)."""


class RecallScreen(PosScreen):
    title = "recall"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.confirm_void = False
        self._confirm_ev: Any = None

    def on_enter_screen(self, **params: Any) -> None:
        self.confirm_void = False
        # The snapshot may be older than the last sale's end: read it fresh.
        self.app.call(self.app.terminal.sale_snapshot, on_done=self._fresh)

    def _fresh(self, snapshot: SaleSnapshot | None) -> None:
        self.app.sale = snapshot
        if self.manager is not None:
            self.rerender()

    def render(self) -> None:
        _ = self._
        m = self.m
        cur = self.app.terminal.currency
        sale = self.app.sale
        open_sale = sale is not None and sale.state in OPEN_STATES
        lines = [ln for ln in sale.lines if not ln.voided] if sale is not None else []
        body = BoxLayout(orientation="vertical", padding=m.pad * 2, spacing=m.pad * 2)
        body.add_widget(Text(_("Held sales"), font_size=m.font(2), bold=True,
                             size_hint_y=None, height=m.row()))
        current = Panel(orientation="horizontal", bg=WHITE, size_hint_y=None,
                        height=m.row(1.3), padding=(m.pad * 2, m.pad), spacing=m.pad * 2)
        if open_sale and sale is not None:
            current.add_widget(Text(
                _("Open sale: {n} lines, {total}").format(n=len(lines),
                                                          total=money(sale.total, cur)),
                aid="recall.current", font_size=m.font(0)))
            current.add_widget(PosButton(_("Hold"), aid="recall.suspend", kind="accent",
                                         font_size=m.font(0), size_hint_x=0.35,
                                         disabled=bool(sale.tenders),
                                         on_tap=self.suspend))
            current.add_widget(PosButton(
                _("Tap again to void") if self.confirm_void else _("Void sale"),
                aid="recall.void", kind="danger", font_size=m.font(0), size_hint_x=0.35,
                on_tap=self.void, debounce=DESTRUCTIVE_DEBOUNCE_S))
        else:
            current.add_widget(Text(_("No sale is open."), aid="recall.current",
                                    font_size=m.font(0), color=MUTED))
        body.add_widget(current)
        held = list(sale.suspended) if sale is not None else []
        box = GridLayout(cols=1, spacing=1, size_hint_y=None)
        box.bind(minimum_height=box.setter("height"))
        if not held:
            box.add_widget(Text(_("No held sales."), color=MUTED, font_size=m.font(0),
                                halign="center", size_hint_y=None, height=m.row(1.2)))
        for i, h in enumerate(held):
            row = TapPanel(orientation="horizontal", bg=WHITE, size_hint_y=None,
                           height=m.row(1.0), padding=(m.pad * 2, 0), aid=f"recall.held.{i}",
                           on_tap=partial(self.recall, h.sale_id))
            row.add_widget(Text(self._held_time(h.started_at), font_size=m.font(0)))
            row.add_widget(Text(_(HELD_STATUS.get(h.status, h.status)), font_size=m.font(0),
                                aid=f"recall.held.{i}.status"))
            row.add_widget(Text(_("{n} lines").format(n=h.lines), font_size=m.font(0)))
            if h.paid:
                row.add_widget(Text(_("{paid} paid").format(paid=money(h.paid, cur)),
                                    font_size=m.font(0)))
            row.add_widget(Text(money(h.total, cur), font_size=m.font(1), bold=True,
                                halign="right"))
            box.add_widget(row)
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(box)
        body.add_widget(scroll)
        body.add_widget(PosButton(_("Back to sale"), aid="recall.back", kind="primary",
                                  font_size=m.font(1), size_hint_y=None, height=m.row(1.1),
                                  on_tap=lambda: self.app.show("sale")))
        self.add_widget(body)

    def _held_time(self, iso: str) -> str:
        from datetime import datetime

        try:
            when = self.app.terminal.settings.local(datetime.fromisoformat(iso))
        except (ValueError, TypeError):
            return iso
        return when.strftime("%H:%M")

    def suspend(self) -> None:
        self.app.call(self.app.terminal.suspend, on_done=self._to_sale)

    def void(self) -> None:
        if not self.confirm_void:
            self.confirm_void = True
            self._confirm_ev = Clock.schedule_once(lambda _dt: self._unconfirm(),
                                                   CONFIRM_SECONDS)
            self.rerender()
            return
        if self._confirm_ev is not None:
            self._confirm_ev.cancel()
        self.confirm_void = False
        self.app.call(self.app.terminal.void_sale, "voided from Held sales",
                      on_done=self._to_sale)

    def _unconfirm(self) -> None:
        if self.confirm_void:
            self.confirm_void = False
            if self.manager is not None:
                self.rerender()

    def recall(self, sale_id: str) -> None:
        self.app.call(self.app.terminal.recall, sale_id, on_done=self._to_sale)

    def _to_sale(self, snapshot: SaleSnapshot) -> None:
        self.app.sale = snapshot
        self.app.clear_error()
        self.app.show("sale")

    def automation_state(self) -> dict[str, Any]:
        sale = self.app.sale
        held = list(sale.suspended) if sale is not None else []
        return {"held": [h.sale_id for h in held],
                "held_status": [h.status for h in held],
                "held_clerk": [h.clerk_id for h in held],
                "confirm_void": self.confirm_void}
