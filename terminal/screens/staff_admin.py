"""Supervision on the terminal: switching a clerk into training (a supervisor's card and PIN)
and back, with the practice checklist; and the drawer outside a sale (no-sale open, cash in and
out), which ask for a supervisor when the clerk's role needs one."""

from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from terminal.core.errors import InvalidInput
from terminal.core.money import parse_money
from terminal.screens.approval import REASON_LABELS, SupervisorDialog, desk_of
from terminal.screens.base import PosScreen
from terminal.screens.i18n import N_
from terminal.screens.presenters import apply_key
from terminal.screens.widgets import INK, MUTED, WHITE, Keypad, Panel, PosButton, Text

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
        self.checklist: dict[str, Any] | None = None

    def on_enter_screen(self, **params: Any) -> None:
        self.app.call(desk_of(self.app).checklist, on_done=self._got)

    def _got(self, checklist: dict[str, Any]) -> None:
        self.checklist = checklist
        clerk = self.app.clerk
        if clerk is not None and clerk.get("training"):
            # The banner shows the same progress.
            clerk["checklist"] = checklist
            self.app.render_chrome()
        if self.manager is not None:
            self.rerender()

    def render(self) -> None:
        _ = self._
        m = self.m
        clerk = self.app.clerk or {}
        training = bool(clerk.get("training"))
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
        zh = self.app.tr.language.startswith("zh")
        name = (clerk.get("name_zh") if zh else "") or clerk.get("name", "")
        left.add_widget(Text(state.format(name=name), aid="training.state",
                             font_size=m.font(0), color=MUTED, size_hint_y=None,
                             height=m.row(1.4)))
        if training and clerk.get("trainee"):
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
                                     font_size=m.font(0), disabled=bool(clerk.get("trainee")),
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
            head += f"  {c['done']}/{c['total']}"
        panel.add_widget(Text(head, aid="training.progress", font_size=m.font(1), bold=True,
                              size_hint_y=None, height=m.row(0.8)))
        grid = GridLayout(cols=2, spacing=m.pad, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for task, label in TASK_LABELS.items():
            count = (c or {}).get("counts", {}).get(task, 0)
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
        self.app.call(desk_of(self.app).leave_training, on_done=self._switched)

    def _switched(self, clerk: dict[str, Any]) -> None:
        self.app.clerk = clerk
        self.app.clear_error()
        self.app.render_chrome()
        self.app.call(self.app.terminal.sale_snapshot, on_done=self._fresh_sale)
        self.on_enter_screen()

    def _fresh_sale(self, snapshot: dict[str, Any] | None) -> None:
        self.app.sale = snapshot
        self.rerender()

    def automation_state(self) -> dict[str, Any]:
        return {"checklist": self.checklist}


DRAWER_REASONS = (N_("change for a customer"), N_("float top-up"), N_("cash pick-up"),
                  N_("other"))


class DrawerScreen(PosScreen):
    """No-sale drawer open and cash in/out, each with a reason."""

    title = "drawer"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.entry = ""
        self.reason: str | None = None
        self.done: dict[str, Any] | None = None

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
                                      on_tap=lambda r=reason: self.pick(r)))
        left.add_widget(grid)
        note = ""
        if self.done is not None:
            d = self.done
            note = {"no_sale": _("Drawer opened."),
                    "cash_in": _("Cash in recorded."),
                    "cash_out": _("Cash out recorded.")}.get(d["done"], "")
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
        self.app.call(desk_of(self.app).no_sale, self.reason, on_done=self._done)

    def move(self, direction: str) -> None:
        if self._need_reason():
            return
        try:
            amount = parse_money(self.entry, self.app.terminal.currency)
        except (ValueError, InvalidInput):
            self.app.show_error(self._("Type the amount first."), code="input.missing")
            return
        self.app.call(desk_of(self.app).cash_move, direction, amount, self.reason,
                      on_done=self._done)

    def _done(self, result: dict[str, Any]) -> None:
        self.app.clear_error()
        self.done = result
        self.entry = ""
        self.rerender()
        self.app.render_status()

    def automation_state(self) -> dict[str, Any]:
        return {"drawer_action": self.done, "entry": self.entry, "reason": self.reason}
