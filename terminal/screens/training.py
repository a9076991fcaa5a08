"""Training mode on the terminal: a supervisor's card and PIN switch a clerk in and back out,
with the practice checklist of what the trainee has done so far."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from terminal.screens.approval import SupervisorDialog
from terminal.screens.base import PosScreen
from terminal.screens.i18n import N_
from terminal.screens.port import ChecklistView, ClerkView, SaleSnapshot
from terminal.screens.widgets import INK, MUTED, WHITE, Panel, PosButton, Text

TRAINING_BG = (0.45, 0.25, 0.65, 1)
DONE_INK = (0.11, 0.55, 0.32, 1)

TASK_LABELS: dict[str, str] = {
    "sale": N_("Complete a sale"),
    "split_tender": N_("Take a split payment"),
    "refund": N_("Refund an item"),
    "void": N_("Void a line or a sale"),
    "approval": N_("Get a supervisor's approval"),
    "shift_close": N_("Close a shift with a cash count"),
}


class TrainingScreen(PosScreen):
    title = "training"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.checklist: ChecklistView | None = None

    def on_enter_screen(self, **params: Any) -> None:
        self.app.call(self.app.terminal.checklist, on_done=self._got)

    def _got(self, checklist: ChecklistView) -> None:
        self.checklist = checklist
        clerk = self.app.clerk
        if clerk is not None and clerk.training:
            # The banner shows the same progress.
            self.app.clerk = replace(clerk, checklist=checklist)
            self.app.render_chrome()
        if self.manager is not None:
            self.rerender()

    def render(self) -> None:
        _ = self._
        m = self.m
        clerk = self.app.clerk
        training = bool(clerk and clerk.training)
        body = BoxLayout(orientation="vertical" if m.portrait else "horizontal",
                         padding=m.pad * 2, spacing=m.pad * 3)
        left = BoxLayout(orientation="vertical", spacing=m.pad)
        left.add_widget(Text(_("Training mode"), font_size=m.font(2), bold=True,
                             size_hint_y=None, height=m.row(0.9)))
        if training:
            state = _("{name} is selling in training mode: nothing counts in the totals, "
                      "receipts say TRAINING and the drawer stays shut.")
        else:
            state = _("{name} is selling for real. A supervisor can switch you into training "
                      "to practise.")
        name = clerk.display_name(self.app.tr.language) if clerk else ""
        left.add_widget(Text(state.format(name=name), aid="training.state",
                             font_size=m.font(0), color=MUTED, size_hint_y=None,
                             height=m.row(1.4)))
        trainee = bool(clerk and clerk.trainee)
        if training and trainee:
            left.add_widget(Text(_("Trainees stay in training until a supervisor signs off "
                                   "the checklist."), font_size=m.font(-1), color=MUTED,
                                 size_hint_y=None, height=m.row(0.8)))
        left.add_widget(BoxLayout())
        row = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                        height=m.row(1.1))
        row.add_widget(PosButton(_("Back to sale"), aid="training.back", kind="muted",
                                 font_size=m.font(0), on_tap=lambda: self.app.show("sale")))
        if training:
            row.add_widget(PosButton(_("Leave training"), aid="training.leave", kind="accent",
                                     font_size=m.font(0), disabled=trainee,
                                     on_tap=self.leave))
        else:
            row.add_widget(PosButton(_("Start training"), aid="training.start",
                                     kind="primary", font_size=m.font(0), on_tap=self.start))
        left.add_widget(row)
        body.add_widget(left)

        panel = Panel(orientation="vertical", bg=WHITE, padding=m.pad * 2, spacing=m.pad)
        c = self.checklist
        head = _("Practice checklist")
        if c is not None:
            head += f"  {c.done}/{c.total}"
        panel.add_widget(Text(head, aid="training.progress", font_size=m.font(1), bold=True,
                              size_hint_y=None, height=m.row(0.8)))
        grid = GridLayout(cols=2, spacing=m.pad, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for task, label in TASK_LABELS.items():
            count = c.counts.get(task, 0) if c else 0
            grid.add_widget(Text(("✓ " if count else "○ ") + _(label),
                                 aid=f"training.task.{task}", font_size=m.font(0),
                                 color=DONE_INK if count else INK, size_hint_y=None,
                                 height=m.row(0.75)))
            grid.add_widget(Text(f"× {count}", font_size=m.font(0), halign="right",
                                 color=MUTED, size_hint_y=None, height=m.row(0.75),
                                 size_hint_x=0.3))
        panel.add_widget(grid)
        panel.add_widget(BoxLayout())
        body.add_widget(panel)
        self.add_widget(body)

    def start(self) -> None:
        SupervisorDialog.open(self.app, mode="training", on_granted=self._switched)

    def leave(self) -> None:
        self.app.call(self.app.terminal.leave_training, on_done=self._switched)

    def _switched(self, clerk: ClerkView) -> None:
        self.app.clerk = clerk
        self.app.clear_error()
        self.app.render_chrome()
        self.app.call(self.app.terminal.sale_snapshot, on_done=self._fresh_sale)
        self.on_enter_screen()

    def _fresh_sale(self, snapshot: SaleSnapshot | None) -> None:
        self.app.sale = snapshot
        self.rerender()

    def automation_state(self) -> dict[str, Any]:
        return {"checklist": self.checklist.to_dict() if self.checklist else None}
