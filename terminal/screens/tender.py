"""Taking payment: cash with change and quick-cash amounts, bank card through the external card
terminal, and mobile QR where the customer's payment code is scanned. Any amount below the
balance is a partial tender, so split payments are just several tenders in a row."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from terminal.core.money import parse_money
from terminal.screens.base import PosScreen
from terminal.screens.port import SaleSnapshot, SaleState
from terminal.screens.presenters import apply_key, money
from terminal.screens.widgets import INK, MUTED, WHITE, Keypad, Panel, PosButton, Text

QR_WAITING, QR_CHARGING, QR_APPROVED, QR_DECLINED, QR_TIMEOUT = (
    "waiting", "charging", "approved", "declined", "timeout")


class TenderScreen(PosScreen):
    title = "tender"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.method = "cash"
        self.entry = ""
        self.qr_status = ""
        self.card_status = ""

    def on_enter_screen(self, **params: Any) -> None:
        self.method = "cash"
        self.entry = ""
        self.qr_status = ""
        self.card_status = ""
        self.rerender()

    # --- layout ---------------------------------------------------------------------------

    def render(self) -> None:
        _ = self._
        m = self.m
        cur = self.app.terminal.currency
        sale = self.app.sale
        tenders = sale.tenders if sale is not None else ()
        body = BoxLayout(orientation="vertical" if m.portrait else "horizontal",
                         padding=m.pad, spacing=m.pad * 2)
        left = Panel(orientation="vertical", bg=WHITE, padding=m.pad * 2, spacing=m.pad)
        left.add_widget(Text(_("Amount due"), font_size=m.font(0), color=MUTED,
                             size_hint_y=None, height=m.row(0.6)))
        left.add_widget(Text(money(self._balance(), cur), aid="tender.balance",
                             font_size=m.font(3), bold=True, size_hint_y=None,
                             height=m.row(1.1)))
        rows: list[tuple[str, str, int | None]] = [
            (_("Total"), money(sale.total if sale is not None else 0, cur), None)]
        for i, t in enumerate(tenders):
            rows.append((self._kind_name(t.kind), money(t.amount, cur), i))
        for label, value, index in rows:
            r = BoxLayout(orientation="horizontal", size_hint_y=None, height=m.row(0.6))
            r.add_widget(Text(label, font_size=m.font(0)))
            r.add_widget(Text(value, font_size=m.font(0), halign="right"))
            if index is not None:
                # A payment taken by mistake comes off again, reversed with its provider.
                r.add_widget(PosButton(_("Remove"), aid=f"tender.remove.{index}", kind="muted",
                                       font_size=m.font(-1), size_hint_x=0.5,
                                       on_tap=partial(self.remove_tender, index)))
            left.add_widget(r)
        left.add_widget(BoxLayout())
        if self._awaiting_commit():
            # Paid, but the save failed (disk full or read-only): Finish saves it again.
            left.add_widget(PosButton(_("Finish"), aid="tender.finish", kind="primary",
                                      font_size=m.font(1), size_hint_y=None, height=m.row(1.2),
                                      on_tap=self.finish))
        if not tenders:
            left.add_widget(PosButton(_("Back to sale"), aid="tender.back", kind="muted",
                                      font_size=m.font(0), size_hint_y=None, height=m.row(),
                                      on_tap=self.back))

        right = BoxLayout(orientation="vertical", spacing=m.pad)
        if m.portrait:
            left.size_hint_y = 0.4
        else:
            left.size_hint_x = 0.75
        methods = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                            height=m.row(1.0))
        for method in ("cash", "card", "qr"):
            methods.add_widget(PosButton(self._kind_name(method), aid=f"tender.method.{method}",
                                         kind="accent" if method == self.method else "muted",
                                         font_size=m.font(1),
                                         on_tap=partial(self.set_method, method)))
        right.add_widget(methods)
        self.entry_label = Text("", aid="tender.entry", font_size=m.font(2), halign="right",
                                bg=WHITE, size_hint_y=None, height=m.row(1.0))
        self._show_entry()
        right.add_widget(self.entry_label)
        if self.method == "cash":
            self._render_cash(right)
        elif self.method == "card":
            self._render_card(right)
        else:
            self._render_qr(right)
        body.add_widget(left)
        body.add_widget(right)
        self.add_widget(body)

    def _awaiting_commit(self) -> bool:
        sale = self.app.sale
        # Tendering with nothing left to pay only happens when the commit failed (a sale
        # discounted to zero included: it has no tender at all).
        return sale is not None and sale.state == SaleState.TENDERING and sale.balance_due == 0

    def finish(self) -> None:
        self.app.call(self.app.terminal.finish_sale, on_done=self._paid,
                      on_error=self._payment_failed)

    def _payment_failed(self, exc: BaseException) -> bool:
        """Show the error, and the sale as it now is: a commit that failed leaves it paid,
        and the screen must offer Finish rather than more tenders."""
        self.card_status = ""
        self.app.call(self.app.terminal.sale_snapshot, on_done=self._refreshed)
        return False

    def _refreshed(self, snapshot: SaleSnapshot | None) -> None:
        if snapshot is not None and snapshot.state == SaleState.TENDERING:
            self.app.sale = snapshot
            self.rerender()

    def _kind_name(self, kind: str) -> str:
        _ = self._
        return {"cash": _("Cash"), "card": _("Card"), "qr": _("Mobile QR")}.get(kind, kind)

    def _amount_pad(self, right: BoxLayout, label: str, aid: str, on_tap: Callable[[], None],
                    *, disabled: bool = False) -> None:
        """The amount keypad every tender shares, with that tender's action button beside it."""
        _ = self._
        m = self.m
        row = BoxLayout(orientation="horizontal", spacing=m.pad)
        row.add_widget(Keypad(m, self.key, labels={"clear": _("Clear"), "back": _("Del")}))
        side = BoxLayout(orientation="vertical", spacing=m.pad, size_hint_x=0.45)
        side.add_widget(PosButton(".", aid="keypad.dot", font_size=m.font(1),
                                  on_tap=lambda: self.key(".")))
        side.add_widget(PosButton(label, aid=aid, kind="primary", font_size=m.font(0),
                                  size_hint_y=3, disabled=disabled, on_tap=on_tap))
        row.add_widget(side)
        right.add_widget(row)

    def _render_cash(self, right: BoxLayout) -> None:
        _ = self._
        m = self.m
        cur = self.app.terminal.currency
        quick = GridLayout(cols=4, spacing=m.pad, size_hint_y=None, height=m.row(1.0))
        for i, amount in enumerate(self._quick_cash()):
            quick.add_widget(PosButton(money(amount, cur), aid=f"tender.quick.{i}", kind="quick",
                                       font_size=m.font(0),
                                       on_tap=partial(self.pay_cash, amount)))
        right.add_widget(quick)
        self._amount_pad(right, _("Cash received"), "tender.cash", self.pay_cash_entry)

    def _render_card(self, right: BoxLayout) -> None:
        _ = self._
        m = self.m
        # A declined or unanswered card shows in the error banner; the status says what to do.
        status = {
            "": _("Type an amount for a part payment, or charge the whole balance."),
            "charging": _("Follow the card terminal…"),
        }.get(self.card_status, "")
        right.add_widget(Text(status, aid="tender.card.status", font_size=m.font(0),
                              size_hint_y=None, height=m.row(1.0)))
        self._amount_pad(right, _("Charge card"), "tender.card", self.pay_card,
                         disabled=self.card_status == "charging")

    def _render_qr(self, right: BoxLayout) -> None:
        _ = self._
        m = self.m
        texts = {
            "": _("Scan the customer's payment code. For a part payment, type the amount "
                  "first."),
            QR_WAITING: _("Scan the customer's payment code now."),
            QR_CHARGING: _("Charging… waiting for the payment provider."),
            QR_APPROVED: _("Approved."),
            # What to do next is in the error banner above; the status says what happened.
            QR_DECLINED: _("Declined."),
            QR_TIMEOUT: _("No answer."),
        }
        color = {QR_DECLINED: (0.78, 0.2, 0.2, 1), QR_TIMEOUT: (0.78, 0.2, 0.2, 1),
                 QR_APPROVED: (0.11, 0.55, 0.32, 1)}.get(self.qr_status, INK)
        right.add_widget(Text(texts.get(self.qr_status, ""), aid="tender.qr.status",
                              font_size=m.font(1), color=color, bold=True,
                              size_hint_y=None, height=m.row(1.2)))
        self._amount_pad(right, _("Ready to scan"), "tender.qr", self.qr_ready,
                         disabled=self.qr_status == QR_CHARGING)

    # --- entry ----------------------------------------------------------------------------

    def _quick_cash(self) -> tuple[int, ...]:
        return self.app.sale.quick_cash if self.app.sale is not None else ()

    def _balance(self) -> int:
        return self.app.sale.balance_due if self.app.sale is not None else 0

    def _show_entry(self) -> None:
        cur = self.app.terminal.currency
        if self.entry:
            self.entry_label.text = self.entry
            self.entry_label.color = INK
        else:
            self.entry_label.text = money(self._balance(), cur)
            self.entry_label.color = MUTED

    def key(self, key: str) -> None:
        self.entry = apply_key(self.entry, key, max_len=10, decimals=2)
        self._show_entry()

    def _amount(self) -> int | None:
        """The typed amount, or the balance when nothing was typed."""
        if not self.entry:
            return self._balance()
        try:
            return parse_money(self.entry, self.app.terminal.currency)
        except ValueError as e:
            self.app.show_error(e)
            return None
        finally:
            self.entry = ""
            self._show_entry()

    def set_method(self, method: str) -> None:
        self.method = method
        self.qr_status = "" if method == "qr" else self.qr_status
        self.rerender()

    def back(self) -> None:
        self.app.call(self.app.terminal.back_to_cart, on_done=self._back_done)

    def _back_done(self, snapshot: SaleSnapshot) -> None:
        self.app.sale = snapshot
        self.app.show("sale")

    # --- payments -------------------------------------------------------------------------

    def remove_tender(self, index: int) -> None:
        self.app.call(self.app.terminal.remove_tender, index, on_done=self._paid)

    def pay_cash_entry(self) -> None:
        amount = self._amount()
        if amount is not None:
            self.pay_cash(amount)

    def pay_cash(self, tendered: int) -> None:
        self.app.call(self.app.terminal.pay_cash, tendered, on_done=self._paid,
                      on_error=self._payment_failed)

    def pay_card(self) -> None:
        amount = self._amount()
        if amount is None:
            return
        self.card_status = "charging"
        self.rerender()
        self.app.call(self.app.terminal.pay_card, amount, on_done=self._paid,
                     on_error=self._card_failed)

    def _card_failed(self, exc: BaseException) -> bool:
        self.card_status = ""
        self.rerender()
        return self._payment_failed(exc)  # still show the error banner

    def qr_ready(self) -> None:
        amount = self._amount()
        if amount is None:
            return
        self.qr_amount = amount
        self.qr_status = QR_WAITING
        self.rerender()

    def on_scan(self, code: str) -> bool:
        if self.method != "qr":
            self.app.show_error(self._("To take a mobile payment, choose Mobile QR first."),
                                code="tender.qr_not_selected")
            return True
        if self.entry:
            amount = self._amount()
            if amount is None:
                return True
            self.qr_amount = amount
        elif self.qr_status not in (QR_WAITING, QR_DECLINED, QR_TIMEOUT):
            self.qr_amount = self._balance()
        self.qr_status = QR_CHARGING
        self.rerender()
        self.app.call(self.app.terminal.pay_qr, code, self.qr_amount, on_done=self._qr_done,
                     on_error=self._qr_failed)
        return True

    def _qr_done(self, snapshot: SaleSnapshot) -> None:
        self.qr_status = QR_APPROVED
        self._paid(snapshot)

    def _qr_failed(self, exc: BaseException) -> bool:
        code = getattr(exc, "code", "")
        self.qr_status = QR_TIMEOUT if "timeout" in code else QR_DECLINED
        self.rerender()
        return self._payment_failed(exc)

    def _paid(self, snapshot: SaleSnapshot) -> None:
        self.app.clear_error()
        self.card_status = ""
        if snapshot.state == SaleState.COMPLETED:
            self.app.sale = None
            self.app.last_result = snapshot.to_dict()
            self.app.show("done")
            return
        self.app.sale = snapshot
        self.entry = ""
        if self.method == "qr":
            self.qr_status = ""
        self.rerender()

    def on_key(self, key: str) -> bool:
        if key == "backspace":
            self.key("back")
        elif key == "escape":
            self.key("clear")
        elif key == "enter":
            {"cash": self.pay_cash_entry, "card": self.pay_card, "qr": self.qr_ready}[
                self.method]()
        elif len(key) == 1 and (key.isdigit() or key == "."):
            self.key(key)
        else:
            return False
        return True

    def automation_state(self) -> dict[str, Any]:
        return {"method": self.method, "entry": self.entry, "qr_status": self.qr_status,
                "card_status": self.card_status,
                "quick_cash": list(self._quick_cash())}
