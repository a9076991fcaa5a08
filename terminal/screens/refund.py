"""Refunds: the sale is found by scanning the receipt's QR code or typing its number; the clerk
picks quantities line by line (never more than is left to refund) and a reason; the money goes
back the way the customer paid and the refund receipt prints. A refund above the clerk's cap
asks for a supervisor through the approval dialog."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView

from terminal.core.records import QTY_ONE
from terminal.screens.approval import REASON_LABELS
from terminal.screens.base import PosScreen
from terminal.screens.port import ReceiptView, RefundDone, RefundLineView
from terminal.screens.presenters import apply_key, item_name, money, qty_text
from terminal.screens.widgets import INK, MUTED, WHITE, Keypad, Panel, PosButton, Text

STRIPES = (WHITE, (0.96, 0.97, 0.98, 1))
TENDER_NAMES = {"cash": "Cash", "card": "Card", "qr": "Mobile QR"}


class RefundScreen(PosScreen):
    title = "refund"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.number = ""
        self.found: ReceiptView | None = None
        self.qty: dict[int, int] = {}
        self.reasons: list[str] | None = None
        self.reason: str | None = None
        self.amount = 0
        self.result: RefundDone | None = None

    def on_enter_screen(self, **params: Any) -> None:
        self.reset()

    def reset(self) -> None:
        self.number = ""
        self.found = None
        self.qty = {}
        self.reason = None
        self.amount = 0
        self.result = None
        self.rerender()

    # --- layout ---------------------------------------------------------------------------

    def render(self) -> None:
        _ = self._
        m = self.m
        body = BoxLayout(orientation="vertical" if m.portrait else "horizontal",
                         padding=m.pad, spacing=m.pad)
        left = Panel(orientation="vertical", bg=WHITE, padding=m.pad, spacing=m.pad)
        right = BoxLayout(orientation="vertical", spacing=m.pad)
        if m.portrait:
            left.size_hint_y = 0.55
        else:
            right.size_hint_x = 0.75
        if self.result is not None:
            self._render_result(left)
        elif self.found is None:
            left.add_widget(Text(_("Refund"), font_size=m.font(2), bold=True,
                                 size_hint_y=None, height=m.row(0.9)))
            left.add_widget(Text(_("Scan the QR code on the customer's receipt, or type the "
                                   "receipt number and tap Find."), aid="refund.prompt",
                                 font_size=m.font(1), color=MUTED, valign="top"))
        else:
            self._render_lines(left)
        body.add_widget(left)
        if self.found is None or self.result is not None:
            self._render_search(right)
        else:
            self._render_choice(right)
        body.add_widget(right)
        self.add_widget(body)

    def _render_search(self, box: BoxLayout) -> None:
        _ = self._
        m = self.m
        self.number_label = Text(self.number or _("Receipt number"), aid="refund.number",
                                 font_size=m.font(1), halign="center", bg=WHITE,
                                 color=INK if self.number else MUTED, size_hint_y=None,
                                 height=m.row(1.0))
        box.add_widget(self.number_label)
        box.add_widget(Keypad(m, self.key, labels={"clear": _("Clear"), "back": _("Del")},
                              prefix="keypad"))
        row = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                        height=m.row(1.05))
        row.add_widget(PosButton(_("Back"), aid="refund.back", kind="muted",
                                 font_size=m.font(0), on_tap=self.back))
        row.add_widget(PosButton(_("Find"), aid="refund.find", kind="primary",
                                 font_size=m.font(1), on_tap=self.find_number))
        box.add_widget(row)

    def _render_lines(self, box: BoxLayout) -> None:
        _ = self._
        m = self.m
        f = self.found
        if f is None:
            return
        cur = self.app.terminal.currency
        head = _("Receipt No. {number}").format(number=f.receipt_no)
        head += "  ·  " + money(f.total, cur)
        head += "  ·  " + f.completed_local[:16].replace("T", " ")
        box.add_widget(Text(head, aid="refund.receipt", font_size=m.font(0), bold=True,
                            size_hint_y=None, height=m.row(0.7)))
        grid = GridLayout(cols=1, size_hint_y=None, spacing=1)
        grid.bind(minimum_height=grid.setter("height"))
        lang = self.app.tr.language
        for i, ln in enumerate(f.lines):
            n = ln.line_no
            left = ln.remaining_milli
            chosen = self.qty.get(n, 0)
            row = Panel(orientation="horizontal", bg=STRIPES[i % 2], size_hint_y=None,
                        height=m.row(1.1), padding=(m.pad, 2), spacing=m.pad // 2)
            names = BoxLayout(orientation="vertical")
            names.add_widget(Text(item_name(ln, lang), font_size=m.font(0), shorten=True,
                                  shorten_from="right"))
            detail = _("sold {sold} · refunded {done} · left {left}").format(
                sold=qty_text(ln.qty_milli, ln.unit),
                done=qty_text(ln.refunded_milli, ln.unit),
                left=qty_text(left, ln.unit))
            names.add_widget(Text(detail, font_size=m.font(-1), color=MUTED))
            row.add_widget(names)
            small = {"size_hint_x": None, "width": m.row(0.95), "font_size": m.font(1)}
            row.add_widget(PosButton("−", aid=f"refund.line.{n}.minus", kind="muted",
                                     disabled=chosen <= 0,
                                     on_tap=partial(self.step, n, -1), **small))
            row.add_widget(Text(qty_text(chosen, ln.unit) if chosen else "0",
                                aid=f"refund.line.{n}.qty", font_size=m.font(1), bold=True,
                                halign="center", size_hint_x=None, width=m.row(1.3)))
            row.add_widget(PosButton("+", aid=f"refund.line.{n}.plus", kind="muted",
                                     disabled=chosen >= left,
                                     on_tap=partial(self.step, n, 1), **small))
            row.add_widget(PosButton(_("All"), aid=f"refund.line.{n}.all", kind="accent",
                                     disabled=chosen >= left or left <= 0,
                                     size_hint_x=None, width=m.row(1.1), font_size=m.font(0),
                                     on_tap=partial(self.take_all, n)))
            grid.add_widget(row)
        scroll = ScrollView(do_scroll_x=False, bar_width=m.pad * 1.5)
        scroll.add_widget(grid)
        box.add_widget(scroll)
        tenders = ", ".join(
            f"{_(TENDER_NAMES.get(t.kind, t.kind))} {money(t.amount, cur)}"
            for t in f.tenders)
        box.add_widget(Text(_("Paid by {tenders}; the refund goes back the same way.").format(
            tenders=tenders), font_size=m.font(-1), color=MUTED, size_hint_y=None,
            height=m.row(0.6)))

    def _render_choice(self, box: BoxLayout) -> None:
        _ = self._
        m = self.m
        cur = self.app.terminal.currency
        box.add_widget(Text(_("Reason"), font_size=m.font(0), bold=True, size_hint_y=None,
                            height=m.row(0.55)))
        grid = GridLayout(cols=2, spacing=m.pad // 2)
        if self.reasons is None:
            self.app.call(self.app.terminal.reasons, on_done=self._got_reasons)
        for i, reason in enumerate(self.reasons or ()):
            grid.add_widget(PosButton(_(REASON_LABELS.get(reason, reason)),
                                      aid=f"refund.reason.{i}",
                                      kind="accent" if reason == self.reason else "muted",
                                      font_size=m.font(-1),
                                      on_tap=partial(self.pick_reason, reason)))
        box.add_widget(grid)
        box.add_widget(Text(_("To refund: {amount}").format(amount=money(self.amount, cur)),
                            aid="refund.amount", font_size=m.font(2), bold=True,
                            halign="center", size_hint_y=None, height=m.row(1.0)))
        row = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                        height=m.row(1.1))
        row.add_widget(PosButton(_("Cancel"), aid="refund.cancel", kind="muted",
                                 font_size=m.font(0), on_tap=self.reset))
        row.add_widget(PosButton(_("Refund"), aid="refund.ok", kind="danger",
                                 font_size=m.font(1), bold=True,
                                 disabled=not (self.amount and self.reason),
                                 on_tap=self.submit))
        box.add_widget(row)

    def _render_result(self, box: BoxLayout) -> None:
        _ = self._
        m = self.m
        r = self.result
        if r is None:
            return
        cur = self.app.terminal.currency
        box.add_widget(Text(_("Refund done"), font_size=m.font(2), bold=True,
                            color=(0.11, 0.55, 0.32, 1), size_hint_y=None, height=m.row()))
        lines = [_("Refunded {amount}").format(amount=money(r.total, cur)),
                 _("Receipt No. {number}").format(number=r.receipt_no)]
        for t in r.tenders:
            lines.append(f"{_(TENDER_NAMES.get(t.kind, t.kind))}: {money(t.amount, cur)}")
        if any(t.kind == "cash" for t in r.tenders):
            lines.append(_("Hand the cash back, then close the drawer."))
        if r.notice:
            lines.append(r.notice)
        box.add_widget(Text("\n".join(lines), aid="refund.result", font_size=m.font(1),
                            valign="top"))

    # --- input ----------------------------------------------------------------------------

    def key(self, key: str) -> None:
        if key == "enter":
            self.find_number()
            return
        self.number = apply_key(self.number, key, max_len=10, decimals=0)
        self.number_label.text = self.number or self._("Receipt number")
        self.number_label.color = INK if self.number else MUTED

    def on_key(self, key: str) -> bool:
        if self.found is not None:
            return False
        if key == "enter":
            self.find_number()
        elif key == "backspace":
            self.key("back")
        elif key.isdigit():
            self.key(key)
        else:
            return False
        return True

    def on_scan(self, code: str) -> bool:
        self.app.call(self.app.terminal.find_receipt, qr=code, on_done=self._found)
        return True

    def find_number(self) -> None:
        if not self.number:
            self.app.show_error(self._("Type the receipt number first."), code="input.missing")
            return
        number, self.number = int(self.number), ""
        self.app.call(self.app.terminal.find_receipt, number=number, on_done=self._found)

    def _found(self, found: ReceiptView) -> None:
        self.app.clear_error()
        self.found = found
        self.result = None
        self.qty = {}
        self.amount = 0
        if found.fully_refunded:
            self.app.show_error(self._("Everything on this receipt was already refunded."),
                                code="refund.nothing_left")
        self.rerender()

    def _got_reasons(self, reasons: list[str]) -> None:
        self.reasons = reasons
        if self.manager is not None:
            self.rerender()

    def _line(self, n: int) -> RefundLineView:
        assert self.found is not None, "lines are only shown for a receipt found"
        return self.found.line(n)

    def step(self, n: int, direction: int) -> None:
        ln = self._line(n)
        left = ln.remaining_milli
        now = self.qty.get(n, 0)
        if ln.unit == "kg":
            # Weighed lines go back whole or not at all: the scale label priced the weight.
            new = left if direction > 0 else 0
        else:
            new = max(0, min(left, now + direction * QTY_ONE))
        self._set(n, new)

    def take_all(self, n: int) -> None:
        self._set(n, self._line(n).remaining_milli)

    def _set(self, n: int, qty: int) -> None:
        if qty:
            self.qty[n] = qty
        else:
            self.qty.pop(n, None)
        self.app.call(self.app.terminal.refund_amount, dict(self.qty), on_done=self._priced)

    def _priced(self, amount: int) -> None:
        self.amount = amount
        self.rerender()

    def pick_reason(self, reason: str) -> None:
        self.reason = reason
        self.rerender()

    def submit(self) -> None:
        if not self.qty:
            self.app.show_error(self._("Choose what to refund first."), code="refund.nothing")
            return
        if not self.reason:
            self.app.show_error(self._("Pick a reason first."), code="refund.reason")
            return
        self.app.call(self.app.terminal.refund, dict(self.qty), self.reason,
                      on_done=self._refunded)

    def _refunded(self, result: RefundDone) -> None:
        self.app.clear_error()
        self.result = result
        self.found = None
        self.qty = {}
        self.amount = 0
        self.rerender()

    def back(self) -> None:
        self.app.show("sale")

    def automation_state(self) -> dict[str, Any]:
        return {"refund": {"number": self.number,
                           "found": self.found.to_dict() if self.found else None,
                           "qty": {str(k): v for k, v in self.qty.items()},
                           "reason": self.reason, "amount": self.amount,
                           "result": self.result.to_dict() if self.result else None}}
