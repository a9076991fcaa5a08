"""Building the cart of the open sale: adding by scan or SKU, quantities, voided lines,
discounts and price changes, each asking the rights guard first and journaling what takes
goods back."""

from __future__ import annotations

from terminal.core.cart import CartLine, Discount
from terminal.core.catalog import resolve_scan
from terminal.core.errors import IllegalStep, InvalidInput, JournalError, NotFound
from terminal.core.money import mul_qty
from terminal.core.records import QTY_ONE, Item
from terminal.core.rights import Approval, Right
from terminal.core.session import SessionCore, sale_action
from terminal.core.views import SaleSnapshot


class CartEditing(SessionCore):
    """The cart steps of ``SaleSession``."""

    @sale_action
    def add_barcode(self, code: str, *, approval: Approval | None = None) -> SaleSnapshot:
        self._add_scanned(code, approval)
        return self.snapshot()

    def _add_scanned(self, code: str, approval: Approval | None = None) -> CartLine:
        if self._sale is not None:
            self._sale.require_can_add()
        found = resolve_scan(self.catalog, code, self.settings.variable_measure)
        if found.price is not None:
            # A price label on goods sold by weight comes with the weight its price stands for.
            return self._add(
                found.item,
                qty_milli=found.qty_milli or QTY_ONE,
                price=found.price,
                price_source="embedded",
                barcode=code,
                approval=approval,
            )
        if found.item.open_price:
            raise IllegalStep(f"{found.item.name}: enter the price", code="item.open_price")
        if found.qty_milli is not None:
            return self._add(found.item, qty_milli=found.qty_milli, barcode=code)
        if found.item.unit == "kg":
            raise IllegalStep(
                f"{found.item.name} is sold by weight: enter the weight", code="item.needs_weight"
            )
        return self._add(found.item, barcode=code, approval=approval)

    @sale_action
    def add_sku(
        self,
        sku: str,
        *,
        qty_milli: int | None = None,
        price: int | None = None,
        approval: Approval | None = None,
    ) -> SaleSnapshot:
        """Add by SKU (quick keys, search results). ``price`` is required for open-price items;
        ``qty_milli`` for items sold by weight."""
        item = self.catalog.by_sku(sku)
        if item is None or not item.active:
            raise NotFound(f"no item with SKU {sku}", code="catalog.not_found")
        if item.open_price:
            if price is None:
                raise IllegalStep(f"{item.name}: enter the price", code="item.open_price")
            self._add(
                item,
                qty_milli=qty_milli or QTY_ONE,
                price=price,
                price_source="open",
                approval=approval,
            )
        else:
            if price is not None:
                raise IllegalStep(
                    f"{item.name} has a catalog price; use a price override",
                    code="item.not_open_price",
                )
            if item.unit == "kg" and qty_milli is None:
                raise IllegalStep(
                    f"{item.name} is sold by weight: enter the weight", code="item.needs_weight"
                )
            self._add(item, qty_milli=qty_milli or QTY_ONE)
        return self.snapshot()

    def _add(
        self,
        item: Item,
        *,
        qty_milli: int = QTY_ONE,
        price: int | None = None,
        price_source: str = "catalog",
        barcode: str = "",
        approval: Approval | None = None,
    ) -> CartLine:
        if not item.active:
            raise NotFound(f"{item.name} is no longer sold", code="catalog.inactive")
        if self._sale is not None:
            self._sale.require_can_add()
        tax = self.catalog.tax_class(item.tax_class)
        sale = self._ensure_sale()
        try:
            approver = None
            if price_source == "open":
                if price is None or price <= 0:
                    raise InvalidInput("enter a price above zero", code="price.range")
                approver = self.guard.require(
                    Right.OPEN_PRICE,
                    amount=mul_qty(price, qty_milli),
                    approval=approval,
                    subject=self._subject(sku=item.sku, price=price),
                )
            return sale.cart.add(
                item,
                tax,
                qty_milli=qty_milli,
                unit_price=price,
                barcode=barcode,
                price_source=price_source,
                approver_id=approver,
            )
        finally:
            # A sale that got no line at all was never really started.
            if not sale.cart.lines and self._sale is sale:
                self._sale = None

    @sale_action
    def set_quantity(
        self, line_no: int, qty_milli: int, *, reason: str = "", approval: Approval | None = None
    ) -> SaleSnapshot:
        """Change a line's quantity. Lowering it takes back goods already rung up, so it needs
        the void-line right and is journaled like a void of the difference."""
        sale = self._current("change a quantity")
        sale.require_can_edit("change a quantity")
        ln = sale.cart.line(line_no)
        if qty_milli < ln.qty_milli and qty_milli > 0:
            removed = ln.qty_milli - qty_milli
            amount = mul_qty(ln.unit_price, removed)
            approver = self.guard.require(
                Right.VOID_LINE,
                amount=amount,
                approval=approval,
                subject=self._subject(line_no=line_no),
            )
            sale.cart.set_qty(line_no, qty_milli)
            try:
                self._post(
                    "line.voided",
                    {
                        "sale_id": sale.sale_id,
                        "line_no": line_no,
                        "sku": ln.item.sku,
                        "qty_milli": removed,
                        "amount": amount,
                        "reason": reason or "quantity reduced",
                        "approver_id": approver,
                    },
                    what="the quantity change",
                )
            except JournalError:
                sale.cart.set_qty(line_no, qty_milli + removed)
                raise
        else:
            sale.cart.set_qty(line_no, qty_milli)
        return self.snapshot()

    @sale_action
    def void_line(
        self, line_no: int, *, reason: str = "", approval: Approval | None = None
    ) -> SaleSnapshot:
        sale = self._current("void a line")
        sale.require_can_edit("void a line")
        ln = sale.cart.line(line_no)
        amount = ln.gross
        approver = self.guard.require(
            Right.VOID_LINE,
            amount=amount,
            approval=approval,
            subject=self._subject(line_no=line_no),
        )
        self._post(
            "line.voided",
            {
                "sale_id": sale.sale_id,
                "line_no": line_no,
                "sku": ln.item.sku,
                "qty_milli": ln.qty_milli,
                "amount": amount,
                "reason": reason,
                "approver_id": approver,
            },
            what="the line void",
        )
        sale.cart.void(line_no, reason=reason, approver_id=approver)
        return self.snapshot()

    @sale_action
    def discount_line(
        self,
        line_no: int,
        *,
        percent_bp: int | None = None,
        amount: int | None = None,
        reason: str = "",
        approval: Approval | None = None,
    ) -> SaleSnapshot:
        sale = self._current("discount a line")
        sale.require_can_edit("discount a line")
        ln = sale.cart.line(line_no)
        disc = Discount(percent_bp=percent_bp, amount=amount, reason=reason)
        if amount is not None and amount > ln.gross:
            raise InvalidInput("a discount cannot be more than the line", code="discount.range")
        bp = disc.effective_bp(ln.gross)
        approver = self.guard.require(
            Right.DISCOUNT,
            amount=bp,
            approval=approval,
            subject=self._subject(line_no=line_no, discount=disc.on(ln.gross)),
        )
        sale.cart.set_line_discount(
            line_no,
            Discount(percent_bp=percent_bp, amount=amount, approver_id=approver, reason=reason),
        )
        return self.snapshot()

    @sale_action
    def discount_sale(
        self,
        *,
        percent_bp: int | None = None,
        amount: int | None = None,
        reason: str = "",
        approval: Approval | None = None,
    ) -> SaleSnapshot:
        sale = self._current("discount the sale")
        sale.require_can_edit("discount the sale")
        if sale.cart.is_empty():
            raise IllegalStep("cannot discount an empty sale", code="sale.empty")
        disc = Discount(percent_bp=percent_bp, amount=amount, reason=reason)
        base = sale.cart.base_after_line_discounts()
        if amount is not None and amount > base:
            raise InvalidInput("a discount cannot be more than the sale", code="discount.range")
        bp = disc.effective_bp(base)
        approver = self.guard.require(
            Right.DISCOUNT,
            amount=bp,
            approval=approval,
            subject=self._subject(discount=disc.on(base)),
        )
        sale.cart.set_sale_discount(
            Discount(percent_bp=percent_bp, amount=amount, approver_id=approver, reason=reason)
        )
        return self.snapshot()

    @sale_action
    def clear_discounts(self) -> SaleSnapshot:
        """Remove every discount; taking a discount away needs no right."""
        sale = self._current("remove discounts")
        sale.require_can_edit("remove discounts")
        sale.cart.set_sale_discount(None)
        for ln in sale.cart.active:
            ln.discount = None
        return self.snapshot()

    @sale_action
    def override_price(
        self, line_no: int, price: int, *, reason: str = "", approval: Approval | None = None
    ) -> SaleSnapshot:
        """Set a line's unit price (or retype an open price)."""
        sale = self._current("override a price")
        sale.require_can_edit("override a price")
        ln = sale.cart.line(line_no)
        if price < 0:
            raise InvalidInput("a price cannot be negative", code="price.range")
        if ln.price_source == "embedded":
            raise IllegalStep("a scale label's price cannot be overridden", code="line.embedded")
        right = Right.OPEN_PRICE if ln.price_source == "open" else Right.PRICE_OVERRIDE
        # An open price is limited by what is typed (like when it was first entered); an
        # override by how far it moves the line away from the catalog price.
        new_gross = mul_qty(price, ln.qty_milli)
        amount = new_gross if right is Right.OPEN_PRICE else abs(new_gross - ln.gross)
        approver = self.guard.require(
            right,
            amount=amount,
            approval=approval,
            subject=self._subject(line_no=line_no, price=price, old_price=ln.unit_price),
        )
        sale.cart.set_price(
            line_no,
            price,
            source="open" if right is Right.OPEN_PRICE else "override",
            approver_id=approver,
        )
        return self.snapshot()
