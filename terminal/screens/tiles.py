"""The staff tiles on the login screen of a PIN-only store, and the role names they show."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.scrollview import ScrollView

from terminal.screens.base import PosScreen
from terminal.screens.i18n import N_
from terminal.screens.port import LoginTile
from terminal.screens.presenters import item_name
from terminal.screens.widgets import MUTED, WHITE, TapPanel, Text

TILE_BG = (1, 1, 1, 1)
TILE_PICKED = (0.85, 0.92, 1.0, 1)


class StaffLogin:
    """The staff tiles on the login screen of a PIN-only store: tapping one names the clerk the
    PIN is for (a PIN then only has to be right for that person)."""

    def __init__(self, screen: PosScreen) -> None:
        self.screen = screen
        self.app = screen.app
        self.tiles: list[LoginTile] | None = None
        self.staff_id: str | None = None

    def _(self, message: str) -> str:
        return self.app.tr.gettext(message)

    def name(self, person: LoginTile) -> str:
        return item_name(person, self.app.tr.language)

    def render(self, box: BoxLayout, *, hidden: bool = False) -> None:
        """Fill ``box`` with the tiles (``hidden`` while a card greeting shows instead)."""
        m = self.app.metrics
        box.clear_widgets()
        box.orientation = "vertical"
        if hidden:
            return
        # Asked again at each showing: a manager may have added or suspended someone since.
        self.app.call(self.app.terminal.tiles, on_done=self._got_tiles)
        if not self.tiles:
            return
        grid = GridLayout(cols=2, spacing=m.pad, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        tile_h = m.row(0.95 if m.portrait else 1.15)
        for person in self.tiles:
            sid = person.staff_id
            tile = TapPanel(orientation="horizontal", aid=f"login.tile.{sid}",
                            bg=TILE_PICKED if sid == self.staff_id else TILE_BG,
                            size_hint_y=None, height=tile_h, padding=m.pad // 2,
                            spacing=m.pad, on_tap=partial(self.pick, sid))
            if person.photo:
                tile.add_widget(Image(source=person.photo, size_hint_x=None,
                                      width=tile_h - m.pad, fit_mode="contain"))
            else:
                tile.add_widget(Text(self.name(person)[:1], font_size=m.font(2), bold=True,
                                     color=WHITE, halign="center", size_hint_x=None,
                                     width=tile_h - m.pad, bg=(0.15, 0.40, 0.75, 1)))
            names = BoxLayout(orientation="vertical")
            names.add_widget(Text(self.name(person), font_size=m.font(0), bold=True,
                                  shorten=True, shorten_from="right"))
            names.add_widget(Text(self._(ROLE_LABELS.get(person.role, person.role)),
                                  font_size=m.font(-1), color=MUTED))
            tile.add_widget(names)
            grid.add_widget(tile)
        # A store with many clerks scrolls its tiles rather than pushing the keypad away.
        scroll = ScrollView(do_scroll_x=False, bar_width=m.pad)
        scroll.add_widget(grid)
        box.add_widget(scroll)

    def _got_tiles(self, tiles: list[LoginTile]) -> None:
        if tiles == self.tiles:
            return
        self.tiles = tiles
        if self.screen.manager is not None:
            self.screen.rerender()

    def pick(self, staff_id: str) -> None:
        self.staff_id = None if staff_id == self.staff_id else staff_id
        self.app.clear_error()
        self.screen.rerender()

    def automation_state(self) -> dict[str, Any]:
        return {"tiles": [t.staff_id for t in self.tiles or ()], "picked": self.staff_id}


ROLE_LABELS: dict[str, str] = {
    "cashier": N_("Cashier"),
    "senior_cashier": N_("Senior cashier"),
    "supervisor": N_("Supervisor"),
    "manager": N_("Manager"),
    "owner": N_("Owner"),
}
