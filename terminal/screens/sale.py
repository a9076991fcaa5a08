"""The sale screen: the cart and running total on one side; quick keys, a keypad for quantity,
price and typed codes, and item search on the other."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from terminal.core.money import parse_money
from terminal.core.records import QTY_ONE, Item
from terminal.core.scan import shown
from terminal.screens.base import PosScreen
from terminal.screens.cart_view import CartView
from terminal.screens.port import LineView, SaleSnapshot, SaleState
from terminal.screens.presenters import (
    active_line,
    apply_key,
    cart_rows,
    item_name,
    money,
    result_rows,
)
from terminal.screens.widgets import (
    DESTRUCTIVE_DEBOUNCE_S,
    INK,
    MUTED,
    WHITE,
    Keypad,
    Panel,
    PosButton,
    TapPanel,
    Text,
)

KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
QUICK_BG = (1.0, 0.96, 0.86, 1)


class SaleScreen(PosScreen):
    title = "sale"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.mode = "keys"
        self.entry = ""
        self.query = ""
        self.results: list[Item] = []
        self.quick: list[Item] | None = None
        self.selected: int | None = None
        self.pending: Item | None = None
        """An item picked from a quick key or the search that needs a weight or a price."""
        self._mode_before = "keys"
        self._search_ev: Any = None

    # --- layout ---------------------------------------------------------------------------

    def render(self) -> None:
        _ = self._
        m = self.m
        body = BoxLayout(orientation="vertical" if m.portrait else "horizontal",
                         padding=m.pad, spacing=m.pad)
        left = BoxLayout(orientation="vertical", spacing=m.pad)
        self.cart = CartView(m, on_line=self.select, on_result=self.add_sku)
        cart_panel = Panel(orientation="vertical", bg=WHITE)
        cart_panel.add_widget(self.cart)
        left.add_widget(cart_panel)
        self.totals = Panel(orientation="horizontal", bg=(0.12, 0.17, 0.24, 1),
                            size_hint_y=None, height=m.row(1.2), padding=(m.pad * 2, 0))
        left.add_widget(self.totals)

        right = BoxLayout(orientation="vertical", spacing=m.pad)
        if m.portrait:
            left.size_hint_y, right.size_hint_y = 0.47, 0.53
        else:
            right.size_hint_x = 0.82
        tabs = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                         height=m.row(0.9))
        for mode, label in (("keys", _("Quick keys")), ("keypad", _("Keypad")),
                            ("search", _("Search"))):
            tabs.add_widget(PosButton(label, aid=f"sale.mode.{mode}",
                                      kind="accent" if mode == self.mode else "muted",
                                      font_size=m.font(0),
                                      on_tap=partial(self.set_mode, mode)))
        right.add_widget(tabs)
        self.panel = BoxLayout(orientation="vertical", spacing=m.pad)
        right.add_widget(self.panel)
        actions = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                            height=m.row(1.15))
        actions.add_widget(PosButton(_("Void line"), aid="sale.void_line", kind="danger",
                                     font_size=m.font(0), on_tap=self.void_line,
                                     debounce=DESTRUCTIVE_DEBOUNCE_S))
        actions.add_widget(PosButton(_("Pay"), aid="sale.pay", kind="primary",
                                     font_size=m.font(2), bold=True, size_hint_x=1.8,
                                     on_tap=self.pay))
        right.add_widget(actions)
        body.add_widget(left)
        body.add_widget(right)
        self.add_widget(body)
        self.render_cart()
        self.render_panel()

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.pending = None
            self.mode = mode
            self.rerender()

    def render_panel(self) -> None:
        self.panel.clear_widgets()
        if self.mode == "keys":
            self._render_quick_keys()
        elif self.mode == "keypad":
            self._render_keypad()
        else:
            self._render_search()

    def _render_quick_keys(self) -> None:
        m = self.m
        if self.quick is None:
            self.panel.add_widget(Text(self._("Loading…"), color=MUTED, font_size=m.font(0)))
            self.app.call(self.app.terminal.quick_keys, on_done=self._got_quick_keys)
            return
        cols = 3 if m.portrait or m.width < 1000 else 4
        grid = GridLayout(cols=cols, spacing=m.pad)
        lang = self.app.tr.language
        cur = self.app.terminal.currency
        for i, item in enumerate(self.quick[: cols * 4]):
            tile = TapPanel(orientation="vertical", bg=QUICK_BG, padding=(m.pad, m.pad // 2),
                            aid=f"quick.{i}", on_tap=partial(self.add_sku, item.sku))
            # Two lines of name at most, then the price, which must always show.
            tile.add_widget(Text(item_name(item, lang), font_size=m.font(-1), halign="center",
                                 max_lines=2))
            tile.add_widget(Text(money(item.price, cur), font_size=m.font(-1), bold=True,
                                 halign="center", size_hint_y=0.5))
            grid.add_widget(tile)
        self.panel.add_widget(grid)

    def _got_quick_keys(self, items: list[Item]) -> None:
        changed = items != self.quick
        self.quick = items
        if changed and self.mode == "keys" and self.manager is not None:
            self.render_panel()

    def on_enter_screen(self, **params: Any) -> None:
        if self.quick is not None:
            # The owner may have changed the quick keys (catalog update) since they were read.
            self.app.call(self.app.terminal.quick_keys, on_done=self._got_quick_keys)

    def _entry_hint(self) -> str:
        _ = self._
        if self.pending is not None:
            name = item_name(self.pending, self.app.tr.language)
            if self.pending.open_price:
                return _("{name}: type the price").format(name=name)
            return _("{name}: type the weight in kg").format(name=name)
        return _("Type a quantity, price or code")

    def _entry_font(self) -> float:
        # A pending item's question is what the clerk must read next: not in small print.
        return self.m.font(1 if self.entry else 0 if self.pending is not None else -1)

    def _render_keypad(self) -> None:
        _ = self._
        m = self.m
        self.entry_label = Text(self.entry or self._entry_hint(),
                                aid="sale.entry", font_size=self._entry_font(),
                                halign="right", color=INK if self.entry else MUTED,
                                bg=WHITE, size_hint_y=None, height=m.row(0.9))
        self.panel.add_widget(self.entry_label)
        row = BoxLayout(orientation="horizontal", spacing=m.pad)
        row.add_widget(Keypad(m, self.key, labels={"clear": _("Clear"), "back": _("Del"),
                                                   ".": "."},
                              extra=()))
        ops = BoxLayout(orientation="vertical", spacing=m.pad, size_hint_x=0.5)
        ops.add_widget(PosButton(".", aid="keypad.dot", font_size=m.font(1),
                                 on_tap=lambda: self.key(".")))
        if self.pending is not None:
            ops.add_widget(PosButton(_("Cancel"), aid="sale.cancel_item", kind="muted",
                                     font_size=m.font(0), on_tap=self.cancel_pending))
            ops.add_widget(PosButton(_("Add"), aid="sale.add", kind="primary",
                                     font_size=m.font(1), size_hint_y=2,
                                     on_tap=self.add_pending))
        else:
            ops.add_widget(PosButton(_("Qty ×"), aid="sale.qty", kind="accent",
                                     font_size=m.font(0), on_tap=self.set_qty))
            ops.add_widget(PosButton(_("Price"), aid="sale.price", kind="accent",
                                     font_size=m.font(0), on_tap=self.set_price))
            ops.add_widget(PosButton(_("Disc. %"), aid="sale.discount", kind="accent",
                                     font_size=m.font(0), on_tap=self.discount))
            ops.add_widget(PosButton(_("Code"), aid="sale.code", kind="accent",
                                     font_size=m.font(0), on_tap=self.enter_code))
        row.add_widget(ops)
        self.panel.add_widget(row)

    def _render_search(self) -> None:
        _ = self._
        m = self.m
        self.query_label = Text(self.query or _("Type a name, SKU or barcode"), aid="search.query",
                                font_size=m.font(0), color=INK if self.query else MUTED,
                                bg=WHITE, size_hint_y=None, height=m.row(0.8))
        self.panel.add_widget(self.query_label)
        kb = BoxLayout(orientation="vertical", spacing=m.pad // 2)
        for row in KEYBOARD_ROWS:
            line = BoxLayout(orientation="horizontal", spacing=2)
            for ch in row:
                line.add_widget(PosButton(ch.upper(), aid=f"kb.{ch}", font_size=m.font(0),
                                          on_tap=partial(self.search_key, ch)))
            kb.add_widget(line)
        last = BoxLayout(orientation="horizontal", spacing=2)
        last.add_widget(PosButton(_("Space"), aid="kb.space", font_size=m.font(0),
                                  size_hint_x=3, on_tap=lambda: self.search_key(" ")))
        last.add_widget(PosButton(_("Del"), aid="kb.back", kind="muted", font_size=m.font(0),
                                  on_tap=lambda: self.search_key("back")))
        last.add_widget(PosButton(_("Clear"), aid="kb.clear", kind="muted",
                                  font_size=m.font(0), on_tap=lambda: self.search_key("clear")))
        kb.add_widget(last)
        self.panel.add_widget(kb)

    def _showing_results(self) -> bool:
        return self.mode == "search" and bool(self.query.strip())

    def _fill_results(self) -> None:
        """Search results take the cart's place while a query is typed: the widest list on
        the screen, so names are readable and rows are big enough to tap."""
        rows = result_rows(self.results, language=self.app.tr.language,
                           currency=self.app.terminal.currency)
        self.cart.show_results(rows, self._("No items found"))

    # --- cart -----------------------------------------------------------------------------

    def render_cart(self) -> None:
        if self._showing_results():
            self._fill_results()
            self._render_totals()
            return
        lines = self.app.sale.lines if self.app.sale is not None else ()
        self.selected = active_line(lines, self.selected)
        rows = cart_rows(lines, selected=self.selected, language=self.app.tr.language,
                         currency=self.app.terminal.currency, _=self._)
        self.cart.show_cart(rows, self._("Scan an item or pick a quick key to start a sale."))
        self._render_totals()

    def _render_totals(self) -> None:
        _ = self._
        m = self.m
        cur = self.app.terminal.currency
        sale = self.app.sale
        lines = [ln for ln in sale.lines if not ln.voided] if sale is not None else []
        t = self.totals
        t.clear_widgets()
        count = sum(ln.qty_milli for ln in lines if ln.unit != "kg") // QTY_ONE + sum(
            1 for ln in lines if ln.unit == "kg")
        t.add_widget(Text(_("{n} items").format(n=count), aid="sale.count", color=WHITE,
                          font_size=m.font(0)))
        t.add_widget(Text(money(sale.total if sale else 0, cur), aid="sale.total", color=WHITE,
                          font_size=m.font(3), bold=True, halign="right"))

    def select(self, line_no: int) -> None:
        self.selected = line_no
        self.render_cart()

    def refresh(self) -> None:
        self.render_cart()

    # --- actions --------------------------------------------------------------------------

    def _apply(self, snapshot: SaleSnapshot) -> None:
        self.app.clear_error()
        self.app.set_sale(snapshot)

    def on_scan(self, code: str) -> bool:
        self.app.call(self.app.terminal.scan, code, on_done=self._added,
                      on_error=partial(self._scan_failed, code))
        return True

    def _scan_failed(self, code: str, exc: BaseException) -> bool:
        if getattr(exc, "code", "") in ("scan.unknown", "catalog.not_found"):
            self.app.show_error(self._("Unknown barcode: {detail}").format(detail=shown(code)),
                                code="scan.unknown")
            return True
        return False

    def _added(self, snapshot: SaleSnapshot) -> None:
        # A customer's payment code scanned at the cart pays the balance straight away.
        if snapshot.state == SaleState.COMPLETED:
            self.app.sale = None
            self.app.last_result = snapshot.to_dict()
            self.app.clear_error()
            self.app.show("done")
            return
        if snapshot.state == SaleState.TENDERING:
            self.app.sale = snapshot
            self.app.show("tender")
            return
        self.selected = None  # the new last line
        if self._showing_results():
            # Picked from the results: back to the cart so the clerk sees the line arrive.
            self.query = ""
            self.results = []
            self.query_label.text = self._("Type a name, SKU or barcode")
            self.query_label.color = MUTED
        self._apply(snapshot)

    def _known_item(self, sku: str) -> Item | None:
        for item in [*(self.quick or ()), *self.results]:
            if item.sku == sku:
                return item
        return None

    def add_sku(self, sku: str) -> None:
        item = self._known_item(sku)
        if item is not None and (item.unit == "kg" or item.open_price):
            # Sold by weight or at a price the clerk types: ask on the keypad first.
            self.pending = item
            self.entry = ""
            if self.mode != "keypad":
                self._mode_before = self.mode
            self.mode = "keypad"
            self.rerender()
            return
        self.app.call(self.app.terminal.add_sku, sku, on_done=self._added)

    def cancel_pending(self) -> None:
        self.pending = None
        self.entry = ""
        self.mode = self._mode_before
        self.rerender()

    def add_pending(self) -> None:
        item, text = self.pending, self.entry
        if item is None:
            return
        if not text:
            self.app.show_error(self._entry_hint(), code="input.missing")
            return
        kw: dict[str, Any] = {}
        if item.open_price:
            try:
                kw["price"] = parse_money(text, self.app.terminal.currency)
            except ValueError as e:
                self.app.show_error(e)
                return
        else:
            whole, _dot, frac = text.partition(".")
            if len(frac) > 3:
                self.app.show_error(self._("Quantity not valid: {text}").format(text=text),
                                    code="input.invalid")
                return
            kw["qty_milli"] = int(whole or 0) * QTY_ONE + int((frac + "000")[:3])
        self.app.call(self.app.terminal.add_sku, item.sku, on_done=self._added_pending,
                      **kw)

    def _added_pending(self, snapshot: SaleSnapshot) -> None:
        self.pending = None
        self.entry = ""
        self.mode = self._mode_before
        self._added(snapshot)
        self.rerender()

    def key(self, key: str) -> None:
        self.entry = apply_key(self.entry, key, max_len=14)
        self.entry_label.text = self.entry or self._entry_hint()
        self.entry_label.color = INK if self.entry else MUTED
        self.entry_label.font_size = self._entry_font()

    def _take_entry(self) -> str:
        text, self.entry = self.entry, ""
        self.key("")
        return text

    def _selected_line(self) -> LineView | None:
        for ln in self.app.sale.lines if self.app.sale is not None else ():
            if ln.line_no == self.selected and not ln.voided:
                return ln
        return None

    def set_qty(self) -> None:
        line = self._selected_line()
        text = self._take_entry()
        if line is None or not text:
            self.app.show_error(self._("Pick a line and type the quantity first."),
                                code="input.missing")
            return
        whole, _dot, frac = text.partition(".")
        if len(frac) > 3 or (line.unit != "kg" and frac.strip("0")):
            self.app.show_error(self._("Quantity not valid: {text}").format(text=text),
                                code="input.invalid")
            return
        qty = int(whole or 0) * QTY_ONE + int((frac + "000")[:3])
        self.app.call(self.app.terminal.set_qty, line.line_no, qty, on_done=self._apply)

    def set_price(self) -> None:
        line = self._selected_line()
        text = self._take_entry()
        if line is None or not text:
            self.app.show_error(self._("Pick a line and type the price first."),
                                code="input.missing")
            return
        try:
            price = parse_money(text, self.app.terminal.currency)
        except ValueError as e:
            self.app.show_error(e)
            return
        self.app.call(self.app.terminal.set_price, line.line_no, price, on_done=self._apply)

    def discount(self) -> None:
        """The typed number is a percentage off the selected line: 10 or 12.5."""
        line = self._selected_line()
        text = self._take_entry()
        if line is None or not text:
            self.app.show_error(self._("Pick a line and type the discount in percent first."),
                                code="input.missing")
            return
        whole, _dot, frac = text.partition(".")
        bp = int(whole or 0) * 100 + int((frac + "00")[:2])
        if len(frac) > 2 or not 0 < bp <= 10_000:
            self.app.show_error(self._("Discount not valid: {text}").format(text=text),
                                code="input.invalid")
            return
        self.app.call(self.app.terminal.discount_line, line.line_no, bp, on_done=self._apply)

    def enter_code(self) -> None:
        text = self._take_entry()
        if not text:
            self.app.show_error(self._("Type a barcode or item code first."), code="input.missing")
            return
        self.on_scan(text)

    def void_line(self) -> None:
        line = self._selected_line()
        if line is None:
            self.app.show_error(self._("Nothing to void."), code="input.missing")
            return
        self.app.call(self.app.terminal.void_line, line.line_no, on_done=self._apply)

    def pay(self) -> None:
        if self.app.sale is None or not self.app.sale.lines:
            self.app.show_error(self._("The cart is empty."), code="sale.empty")
            return
        self.app.call(self.app.terminal.start_payment, on_done=self._to_tender)

    def _to_tender(self, snapshot: SaleSnapshot) -> None:
        self.app.sale = snapshot
        self.app.clear_error()
        self.app.show("tender")

    # --- search ---------------------------------------------------------------------------

    def search_key(self, ch: str) -> None:
        if ch == "back":
            self.query = self.query[:-1]
        elif ch == "clear":
            self.query = ""
        else:
            self.query = (self.query + ch)[:40]
        self.query_label.text = self.query or self._("Type a name, SKU or barcode")
        self.query_label.color = INK if self.query else MUTED
        if self._search_ev is not None:
            self._search_ev.cancel()
        else:
            self.app.busy += 1  # a search is due: not idle yet
        # Wait for a pause in typing before asking the catalog, so each key stays instant.
        self._search_ev = Clock.schedule_once(lambda _dt: self._search_due(), 0.2)

    def _search_due(self) -> None:
        self._search_ev = None
        self.app.busy -= 1
        self._search()

    def _search(self) -> None:
        query = self.query.strip()
        if not query:
            self.results = []
            self.render_cart()
            return
        self.app.call(self.app.terminal.search, query,
                     on_done=partial(self._got_results, query))

    def _got_results(self, query: str, items: list[Item]) -> None:
        if query != self.query.strip():
            return  # typing moved on; a newer search is coming
        self.results = items
        if self.manager is not None:
            self.render_cart()

    def on_key(self, key: str) -> bool:
        if self.mode == "search":
            if key == "backspace":
                self.search_key("back")
            elif len(key) == 1:
                self.search_key(key.lower())
            else:
                return False
            return True
        if self.mode == "keypad":
            if key == "backspace":
                self.key("back")
            elif key == "enter":
                self.add_pending() if self.pending is not None else self.enter_code()
            elif len(key) == 1 and (key.isdigit() or key == "."):
                self.key(key)
            else:
                return False
            return True
        if key == "enter":
            self.pay()
            return True
        return False

    def on_type(self, text: str) -> None:
        if self.mode == "search":
            for ch in text:
                self.search_key(ch.lower())
        else:
            super().on_type(text)

    def automation_state(self) -> dict[str, Any]:
        return {"mode": self.mode, "entry": self.entry, "query": self.query,
                "pending_item": self.pending.sku if self.pending else None,
                "results": [r.sku for r in self.results], "selected_line": self.selected}
