"""X report (figures so far, changes nothing) and Z report (closes the business day, numbered).
The Z runs only after the clerk confirms, because it cannot be undone."""

from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView

from terminal.screens.base import PosScreen
from terminal.screens.port import Report
from terminal.screens.presenters import money, report_rows
from terminal.screens.widgets import MUTED, WHITE, Panel, PosButton, Text


class ReportScreen(PosScreen):
    title = "report"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.kind = "x"
        self.report: Report | None = None
        self.loading = False
        self.unfinished = False

    def on_enter_screen(self, **params: Any) -> None:
        self.kind = params.get("kind", "x")
        self.report = None
        self.unfinished = False
        if self.kind == "x":
            self._run()
        self.rerender()

    def _run(self) -> None:
        self.loading = True
        self.app.call(self.app.terminal.report, self.kind, on_done=self._got,
                     on_error=self._failed)

    def _got(self, report: Report) -> None:
        self.loading = False
        self.report = report
        self.app.clear_error()
        self.rerender()

    def _failed(self, exc: BaseException) -> bool:
        self.loading = False
        # Refused over sales still open or held: offer the way to them.
        self.unfinished = getattr(exc, "code", "") == "sale.unfinished"
        self.rerender()
        return False

    def render(self) -> None:
        _ = self._
        m = self.m
        cur = self.app.terminal.currency
        body = BoxLayout(orientation="vertical", padding=m.pad * 2, spacing=m.pad)
        if self.kind == "x":
            title = _("X report")
        elif self.report:
            title = _("Z report No. {number}").format(number=self.report.number)
        else:
            title = _("Z report")
        body.add_widget(Text(title, aid="report.title", font_size=m.font(2), bold=True,
                             size_hint_y=None, height=m.row(1.0)))
        sheet = Panel(orientation="vertical", bg=WHITE, padding=m.pad * 2)
        if self.report is not None:
            # Two figure columns side by side in landscape, so a whole report fits without
            # scrolling on a 7-inch screen.
            grid = GridLayout(cols=2 if m.portrait else 4, size_hint_y=None,
                              row_default_height=m.row(0.62), row_force_default=True,
                              spacing=(m.pad * 4, 0))
            grid.bind(minimum_height=grid.setter("height"))
            for key, label, value, is_money in report_rows(self.report.totals, _):
                grid.add_widget(Text(label, font_size=m.font(0)))
                grid.add_widget(Text(money(value, cur) if is_money else str(value),
                                     aid=f"report.{key}", font_size=m.font(0), halign="right"))
            scroll = ScrollView(do_scroll_x=False)
            scroll.add_widget(grid)
            sheet.add_widget(scroll)
        elif self.loading:
            sheet.add_widget(Text(_("Working…"), color=MUTED, font_size=m.font(1),
                                  halign="center"))
        else:
            sheet.add_widget(Text(
                _("The Z report closes the business day and cannot be undone. "
                  "Print it at the end of the day."),
                font_size=m.font(1), halign="center"))
        body.add_widget(sheet)
        buttons = BoxLayout(orientation="horizontal", spacing=m.pad * 2, size_hint_y=None,
                            height=m.row(1.15))
        buttons.add_widget(PosButton(_("Back"), aid="report.back", kind="muted",
                                     font_size=m.font(1), on_tap=self._back))
        if self.kind == "x" and self.report is not None:
            buttons.add_widget(PosButton(_("Print"), aid="report.print", kind="accent",
                                         font_size=m.font(1), on_tap=self._print))
        if self.unfinished:
            buttons.add_widget(PosButton(_("Held sales"), aid="report.held", kind="accent",
                                         font_size=m.font(1),
                                         on_tap=lambda: self.app.show("recall")))
        if self.kind == "z" and self.report is None:
            buttons.add_widget(PosButton(_("Run Z report"), aid="report.confirm",
                                         kind="danger", font_size=m.font(1),
                                         disabled=self.loading, on_tap=self._run))
        body.add_widget(buttons)
        self.add_widget(body)

    def _print(self) -> None:
        self.app.call(self.app.terminal.report, "x", True, on_done=self._got)

    def _back(self) -> None:
        self.app.show("menu" if self.app.clerk else "login")

    def automation_state(self) -> dict[str, Any]:
        return {"report_kind": self.kind,
                "report": self.report.to_dict() if self.report else None,
                "unfinished": self.unfinished}
