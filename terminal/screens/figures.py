"""Clerk figures: a clerk's own (sales, speed, voids, refunds, discounts, no-sales, price
overrides as counts and ratios, cash accuracy, clean sales, customer satisfaction) over today,
this week, the last 30 days or a typed period; a viewer with whole-store scope sees everyone.
Exported as CSV into the data directory, whose path is shown."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView

from terminal.screens.base import PosScreen
from terminal.screens.i18n import N_
from terminal.screens.port import FiguresView
from terminal.screens.presenters import apply_key, money
from terminal.screens.widgets import INK, MUTED, WHITE, Keypad, PosButton, Text

STRIPES = (WHITE, (0.96, 0.97, 0.98, 1))
HEAD_BG = (0.12, 0.17, 0.24, 1)

# (field, label, how to show it)
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("sales_count", N_("Sales"), "int"),
    ("sales_amount", N_("Sales amount"), "money"),
    ("items", N_("Items sold"), "int"),
    ("items_per_minute", N_("Items per minute"), "rate"),
    ("avg_sale_seconds", N_("Average sale time"), "seconds"),
    ("line_voids", N_("Line voids"), "int"),
    ("sale_voids", N_("Sale voids"), "int"),
    ("void_ratio", N_("Voids per sale"), "ratio"),
    ("refunds", N_("Refunds"), "int"),
    ("refunds_amount", N_("Refunded amount"), "money"),
    ("refund_ratio", N_("Refunds per sale"), "ratio"),
    ("discounts", N_("Discounted sales"), "int"),
    ("discount_ratio", N_("Discounts per sale"), "ratio"),
    ("no_sales", N_("No-sale drawer opens"), "int"),
    ("no_sale_ratio", N_("No-sales per sale"), "ratio"),
    ("price_overrides", N_("Price overrides"), "int"),
    ("price_override_ratio", N_("Price overrides per sale"), "ratio"),
    ("cash_accuracy", N_("Cash counts within tolerance"), "ratio"),
    ("clean_sales_ratio", N_("Sales without corrections"), "ratio"),
    ("rating_average", N_("Customer rating (1-5)"), "rating"),
    ("ratings_count", N_("Ratings"), "int"),
)

PERIODS = (("today", N_("Today")), ("week", N_("This week")), ("month", N_("Last 30 days")),
           ("custom", N_("Period…")))


def figure_text(value: Any, kind: str, currency: str, _: Any = str) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return money(int(value), currency)
    if kind == "ratio":
        return f"{value * 100:.1f} %"
    if kind == "rate":
        return f"{value:.1f}"
    if kind == "seconds":
        return _("{n} s").format(n=f"{value:.0f}")
    if kind == "rating":
        return f"{value:.2f}"
    return str(value)


class FiguresScreen(PosScreen):
    title = "figures"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.period = "today"
        self.everyone = False
        self.typed = ""
        self.data: FiguresView | None = None
        self.export_path = ""

    def on_enter_screen(self, **params: Any) -> None:
        self.period = params.get("period", "today")
        self.everyone = bool(params.get("everyone", False))
        self.export_path = ""
        self.load()

    def load(self) -> None:
        if self.period == "custom" and len(self.typed) != 16:
            self.data = None
            self.rerender()
            return
        start, end = self.typed[:8], self.typed[8:]
        self.app.call(self.app.terminal.figures, self.period, start, end, self.everyone,
                      on_done=self._got)

    def _got(self, data: FiguresView) -> None:
        self.data = data
        self.app.clear_error()
        if self.manager is not None:
            self.rerender()

    # --- layout ---------------------------------------------------------------------------

    def render(self) -> None:
        _ = self._
        m = self.m
        body = BoxLayout(orientation="vertical", padding=m.pad, spacing=m.pad)
        tabs = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                         height=m.row(0.9))
        for key, label in PERIODS:
            tabs.add_widget(PosButton(_(label), aid=f"figures.period.{key}",
                                      kind="accent" if key == self.period else "muted",
                                      font_size=m.font(-1),
                                      on_tap=partial(self.set_period, key)))
        scope = bool((self.data and self.data.store_scope) or
                     (self.app.clerk and self.app.clerk.store_scope))
        if scope:
            tabs.add_widget(PosButton(_("Everyone") if not self.everyone else _("Only me"),
                                      aid="figures.everyone", kind="key", font_size=m.font(-1),
                                      on_tap=self.toggle_everyone))
        body.add_widget(tabs)
        if self.period == "custom":
            body.add_widget(self._custom_entry())
        if self.data is not None:
            d = self.data
            body.add_widget(Text(_("From {start} to {end}").format(start=d.first, end=d.last),
                                 aid="figures.range", font_size=m.font(-1), color=MUTED,
                                 size_hint_y=None, height=m.row(0.5)))
            body.add_widget(self._table(d))
        elif self.period != "custom":
            body.add_widget(Text(_("Loading…"), color=MUTED, font_size=m.font(0)))
        foot = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                         height=m.row(0.9))
        foot.add_widget(Text(_("Saved: {path}").format(path=self.export_path)
                             if self.export_path else "", aid="figures.export_path",
                             font_size=m.font(-1), color=MUTED, shorten=True,
                             shorten_from="left"))
        foot.add_widget(PosButton(_("Export CSV"), aid="figures.export", kind="accent",
                                  font_size=m.font(0), size_hint_x=None, width=m.row(3),
                                  disabled=self.data is None, on_tap=self.export))
        foot.add_widget(PosButton(_("Back"), aid="figures.back", kind="muted",
                                  font_size=m.font(0), size_hint_x=None, width=m.row(2),
                                  on_tap=lambda: self.app.show("menu")))
        body.add_widget(foot)
        self.add_widget(body)

    def _custom_entry(self) -> BoxLayout:
        _ = self._
        m = self.m
        box = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                        height=m.row(3.2))
        shown = _("From {start} to {end}").format(
            start=self._date_mask(self.typed[:8]), end=self._date_mask(self.typed[8:]))
        box.add_widget(Text(shown + "\n" + _("Type two dates: year, month, day."),
                            aid="figures.custom", font_size=m.font(0),
                            color=INK if self.typed else MUTED, bg=WHITE))
        box.add_widget(Keypad(m, self.key, labels={"clear": _("Clear"), "back": _("Del")},
                              prefix="keypad", size_hint_x=0.7))
        return box

    @staticmethod
    def _date_mask(digits: str) -> str:
        mask = list("YYYY-MM-DD")
        pos = [0, 1, 2, 3, 5, 6, 8, 9]
        for i, ch in enumerate(digits[:8]):
            mask[pos[i]] = ch
        return "".join(mask)

    def _table(self, data: FiguresView) -> ScrollView:
        _ = self._
        m = self.m
        cur = self.app.terminal.currency
        lang = self.app.tr.language
        rows = data.rows
        # Figure names take two fifths of the width, clerks share the rest (scrolling sideways
        # when a store has more clerks than fit).
        avail = m.width - 2 * m.pad - m.pad * 2
        label_w = max(m.row(4.2), avail * 0.4)
        col_w = max(m.row(2.2), (avail - label_w) / max(1, len(rows)) - 1)
        grid = GridLayout(cols=1 + len(rows), size_hint=(None, None), spacing=1)
        grid.bind(minimum_height=grid.setter("height"), minimum_width=grid.setter("width"))
        h = m.row(0.62)
        grid.add_widget(Text(_("Figure"), bg=HEAD_BG, color=WHITE, font_size=m.font(-1),
                             bold=True, size_hint=(None, None), width=label_w, height=h,
                             text_size=(label_w - 16, None), padding=(8, 0)))
        for r in rows:
            grid.add_widget(Text(data.name(r, lang), aid=f"figures.clerk.{r.staff_id}",
                                 bg=HEAD_BG, color=WHITE, font_size=m.font(-1), bold=True,
                                 halign="right", size_hint=(None, None), width=col_w, height=h,
                                 text_size=(col_w - 16, None), shorten=True,
                                 shorten_from="right"))
        for i, (key, label, kind) in enumerate(FIGURES):
            bg = STRIPES[i % 2]
            grid.add_widget(Text(_(label), bg=bg, font_size=m.font(-1), size_hint=(None, None),
                                 width=label_w, height=h, text_size=(label_w - 16, None)))
            for r in rows:
                grid.add_widget(Text(figure_text(getattr(r, key), kind, cur, _),
                                     aid=f"figures.{r.staff_id}.{key}", bg=bg,
                                     font_size=m.font(-1), halign="right",
                                     size_hint=(None, None), width=col_w, height=h,
                                     text_size=(col_w - 16, None)))
        scroll = ScrollView(bar_width=m.pad * 1.5)
        scroll.add_widget(grid)
        return scroll

    # --- input ----------------------------------------------------------------------------

    def set_period(self, period: str) -> None:
        self.period = period
        self.export_path = ""
        if period == "custom":
            self.data = None
        self.load()

    def toggle_everyone(self) -> None:
        self.everyone = not self.everyone
        self.export_path = ""
        self.load()

    def key(self, key: str) -> None:
        if key == "enter":
            self.load()
            return
        self.typed = apply_key(self.typed, key, max_len=16, decimals=0)
        if len(self.typed) == 16:
            self.load()
        else:
            self.rerender()

    def on_key(self, key: str) -> bool:
        if self.period != "custom":
            return False
        if key == "backspace":
            self.key("back")
        elif key.isdigit() or key == "enter":
            self.key(key)
        else:
            return False
        return True

    def export(self) -> None:
        start, end = self.typed[:8], self.typed[8:]
        self.app.call(self.app.terminal.export_figures, self.period, start, end,
                      self.everyone, on_done=self._exported)

    def _exported(self, path: str) -> None:
        self.export_path = path
        self.rerender()

    def automation_state(self) -> dict[str, Any]:
        return {"figures": self.data.to_dict() if self.data else None, "period": self.period,
                "everyone": self.everyone, "export_path": self.export_path, "typed": self.typed}


RATING_BG = (1.0, 0.96, 0.86, 1)


def rating_row(app: Any, result: dict[str, Any]) -> BoxLayout:
    """The customer's optional one-tap 1-5 rating of the sale just paid (credited to its clerk
    in the figures); after a tap it thanks them instead."""
    _ = app.tr.gettext
    m = app.metrics
    row = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                    height=m.row(1.0))
    rated = result.get("rated")
    if rated:
        row.add_widget(Text(_("Thank you for rating us {n} of 5.").format(n=rated),
                            aid="done.rated", font_size=m.font(0), halign="center",
                            color=MUTED))
        return row
    row.add_widget(Text(_("Customer: how was it?"), font_size=m.font(0), halign="right",
                        color=MUTED))

    def rate(n: int) -> None:
        def done(_r: Any) -> None:
            result["rated"] = n
            if app.screen.name == "done":
                app.screen.rerender()

        app.call(app.terminal.rate_sale, str(result.get("sale_id", "")),
                 str(result.get("clerk_id", "")), n, bool(result.get("training")),
                 on_done=done)

    for n in range(1, 6):
        row.add_widget(PosButton("★" * n if m.width >= 1000 else str(n), aid=f"done.rate.{n}",
                                 kind="quick", font_size=m.font(0), size_hint_x=0.45,
                                 on_tap=partial(rate, n)))
    return row
