"""The list on the sale screen: the cart's lines, or the search results while a query is typed.

A RecycleView, so a scan changes the data of a few rows instead of building the whole list
again; only the rows in view exist as widgets, and they carry the automation ids
(``cart.line.<line no>``, ``search.result.<n>``) the control channel taps by.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview import RecycleView
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.utils import escape_markup

from terminal.screens.presenters import CartRow, ResultRow
from terminal.screens.widgets import WHITE, Metrics, Text

SELECTED_BG = (0.85, 0.92, 1.0, 1)
STRIPES = (WHITE, (0.96, 0.97, 0.98, 1))
SPACING = 1

Builder.load_string("""
#:import MUTED terminal.screens.widgets.MUTED
#:import INK terminal.screens.widgets.INK

<ListRow>:
    orientation: "horizontal"
    padding: root.pad, 0
    canvas.before:
        Color:
            rgba: root.bg
        Rectangle:
            pos: self.pos
            size: self.size

<CartLineRow>:
    BoxLayout:
        orientation: "vertical"
        Text:
            text: root.name
            markup: True
            font_size: root.font_body
            color: MUTED if root.voided else INK
            shorten: True
            shorten_from: "right"
        Text:
            text: root.detail
            markup: True
            font_size: root.font_small
            color: MUTED
    Text:
        text: root.total
        markup: True
        font_size: root.font_total
        color: MUTED if root.voided else INK
        bold: not root.voided
        halign: "right"
        size_hint_x: 0.45

<ResultLineRow>:
    Text:
        text: root.name
        font_size: root.font_body
        shorten: True
        shorten_from: "right"
    Text:
        text: root.price
        font_size: root.font_body
        halign: "right"
        size_hint_x: 0.4

<ListMessage>:
    color: MUTED
    halign: "center"

<CartView>:
    do_scroll_x: False
    viewclass: "CartLineRow"
    key_viewclass: "viewclass"
    RecycleBoxLayout:
        orientation: "vertical"
        spacing: root.spacing
        default_size_hint: 1, None
        size_hint_y: None
        height: self.minimum_height
""")


def _struck(text: str, voided: bool) -> str:
    # Markup is on for the cart's texts, so an item name is escaped to show as it is spelt.
    shown = escape_markup(text)
    return f"[s]{shown}[/s]" if voided else shown


class ListRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """A row tapped as a whole; it tells the list which row it is showing."""

    aid = StringProperty("")
    bg = ListProperty(list(WHITE))
    pad = NumericProperty(0)
    font_body = NumericProperty(15)

    def refresh_view_attrs(self, rv: Any, index: int, data: dict[str, Any]) -> None:
        self.list_view = rv
        super().refresh_view_attrs(rv, index, data)

    def on_release(self) -> None:
        self.list_view.picked(self)


class CartLineRow(ListRow):
    line_no = NumericProperty(0)
    name = StringProperty("")
    detail = StringProperty("")
    total = StringProperty("")
    voided = BooleanProperty(False)
    font_small = NumericProperty(15)
    font_total = NumericProperty(15)


class ResultLineRow(ListRow):
    sku = StringProperty("")
    name = StringProperty("")
    price = StringProperty("")


class ListMessage(Text):
    """The one line shown when there is nothing to list."""


class CartView(RecycleView):
    """``on_line(line_no)`` when a cart line is tapped, ``on_result(sku)`` for a search result."""

    spacing = NumericProperty(SPACING)

    def __init__(self, m: Metrics, *, on_line: Callable[[int], None],
                 on_result: Callable[[str], None], **kw: Any) -> None:
        super().__init__(bar_width=m.pad * 1.5, **kw)
        self.m = m
        self._on_line = on_line
        self._on_result = on_result

    def picked(self, row: ListRow) -> None:
        if isinstance(row, CartLineRow):
            self._on_line(int(row.line_no))
        elif isinstance(row, ResultLineRow):
            self._on_result(row.sku)

    def _message(self, text: str, rows: float) -> dict[str, Any]:
        return {"viewclass": "ListMessage", "text": text, "font_size": self.m.font(0),
                "height": self.m.row(rows)}

    def show_cart(self, rows: Sequence[CartRow], empty: str) -> None:
        """Every line, a voided one struck through (the clerk sees what was taken off), the
        selected one highlighted; ``empty`` when there are none. Keeps the newest line in view
        once the cart is longer than the list."""
        m = self.m
        data = [
            {"viewclass": "CartLineRow", "aid": f"cart.line.{r.line_no}", "line_no": r.line_no,
             "name": _struck(r.name, r.voided), "detail": _struck(r.detail, r.voided),
             "total": _struck(r.total, r.voided), "voided": r.voided,
             "bg": SELECTED_BG if r.selected else STRIPES[i % 2], "height": m.row(1.05),
             "pad": m.pad, "font_body": m.font(0), "font_small": m.font(-1),
             "font_total": m.font(1)}
            for i, r in enumerate(rows)
        ]
        self.data = data or [self._message(empty, 2)]
        Clock.schedule_once(lambda _dt: self._scroll_to_end(), 0)

    def show_results(self, rows: Sequence[ResultRow], empty: str) -> None:
        m = self.m
        data = [
            {"viewclass": "ResultLineRow", "aid": f"search.result.{i}", "sku": r.sku,
             "name": r.name, "price": r.price, "bg": STRIPES[i % 2], "height": m.row(0.95),
             "pad": m.pad, "font_body": m.font(0)}
            for i, r in enumerate(rows)
        ]
        self.data = data or [self._message(empty, 1.5)]
        self.scroll_y = 1

    def _scroll_to_end(self) -> None:
        # Measured from the data: the layout may not have caught up with it yet.
        rows: list[dict[str, Any]] = self.data
        content = sum(d["height"] for d in rows) + self.spacing * (len(rows) - 1)
        self.scroll_y = 0 if content > self.height else 1
