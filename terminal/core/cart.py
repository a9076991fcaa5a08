"""The cart: lines, quantities, voids, discounts, price changes, and the exact totals that become
``SaleLine``/``SaleRecord`` fields.

Totals are recomputed from the lines every time (a cart has tens of lines, not thousands), so
there is no running figure that could drift from what the receipt shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from terminal.core.errors import IllegalStep, InvalidInput
from terminal.core.money import Rounding, allocate, div_round, mul_qty, percent_of
from terminal.core.records import QTY_ONE, Item, SaleLine, TaxClass

PRICE_SOURCES = ("catalog", "embedded", "override", "open")


@dataclass(frozen=True, slots=True)
class Discount:
    """A percent (basis points, 1000 = 10 %) or a fixed amount (minor units) off."""

    percent_bp: int | None = None
    amount: int | None = None
    approver_id: str | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if (self.percent_bp is None) == (self.amount is None):
            raise InvalidInput("a discount is either a percent or an amount", code="discount.kind")
        if self.percent_bp is not None and not 0 < self.percent_bp <= 10_000:
            raise InvalidInput(
                "a discount percent must be above 0 and at most 100 %", code="discount.range"
            )
        if self.amount is not None and self.amount <= 0:
            raise InvalidInput("a discount amount must be more than zero", code="discount.range")

    def on(self, base: int) -> int:
        """The discount this gives on ``base``, never more than ``base``."""
        if self.percent_bp is not None:
            return min(percent_of(base, self.percent_bp), base)
        assert self.amount is not None
        return min(self.amount, base)

    def effective_bp(self, base: int) -> int:
        """The discount as basis points of ``base``, rounded up so a limit check never lets a
        fixed amount slip just over a percent cap."""
        if self.percent_bp is not None:
            return self.percent_bp
        if base <= 0:
            return 10_000
        return div_round(min(self.on(base), base) * 10_000, base, Rounding.UP)


def tax_of(net: int, tax: TaxClass) -> int:
    """Tax contained in (inclusive) or added to (exclusive) ``net``, rounded half up."""
    if tax.rate_bp == 0:
        return 0
    if tax.inclusive:
        return div_round(net * tax.rate_bp, 10_000 + tax.rate_bp)
    return percent_of(net, tax.rate_bp)


@dataclass(slots=True)
class CartLine:
    line_no: int
    item: Item
    tax: TaxClass
    qty_milli: int
    unit_price: int
    barcode: str = ""
    price_source: str = "catalog"
    discount: Discount | None = None
    approver_id: str | None = None
    voided: bool = False
    void_reason: str = ""
    void_approver_id: str | None = None

    @property
    def gross(self) -> int:
        return mul_qty(self.unit_price, self.qty_milli)

    def spec(self) -> dict[str, object]:
        """Everything needed to rebuild the line (suspend/recall payloads)."""
        return {
            "line_no": self.line_no,
            "sku": self.item.sku,
            "name": self.item.name,
            "qty_milli": self.qty_milli,
            "unit_price": self.unit_price,
            "barcode": self.barcode,
            "price_source": self.price_source,
            "tax_class": self.tax.code,
            "approver_id": self.approver_id,
            "discount_bp": self.discount.percent_bp if self.discount else None,
            "discount_amount": self.discount.amount if self.discount else None,
            "discount_approver_id": self.discount.approver_id if self.discount else None,
            "discount_reason": self.discount.reason if self.discount else "",
            "voided": self.voided,
            "void_reason": self.void_reason,
            "void_approver_id": self.void_approver_id,
        }

    @classmethod
    def from_spec(cls, spec: dict[str, Any], item: Item, tax: TaxClass) -> CartLine:
        """Rebuild a line from ``spec()`` output (a suspended sale after a restart)."""
        discount = None
        if spec.get("discount_bp") is not None or spec.get("discount_amount") is not None:
            discount = Discount(
                percent_bp=spec.get("discount_bp"),
                amount=spec.get("discount_amount"),
                approver_id=spec.get("discount_approver_id"),
                reason=spec.get("discount_reason") or "",
            )
        return cls(
            line_no=int(spec["line_no"]),
            item=item,
            tax=tax,
            qty_milli=int(spec["qty_milli"]),
            unit_price=int(spec["unit_price"]),
            barcode=str(spec.get("barcode") or ""),
            price_source=str(spec.get("price_source") or "catalog"),
            discount=discount,
            approver_id=spec.get("approver_id"),
            voided=bool(spec.get("voided")),
            void_reason=str(spec.get("void_reason") or ""),
            void_approver_id=spec.get("void_approver_id"),
        )


@dataclass(frozen=True, slots=True)
class CartTotals:
    lines: tuple[SaleLine, ...]
    """Active lines only, as they go into the ``SaleRecord``."""
    subtotal: int
    discount_total: int
    tax_total: int
    total: int
    """What the customer owes before cash rounding: nets plus exclusive tax."""
    items_milli: int
    by_tax: tuple[tuple[str, int, bool, int, int], ...] = field(default=())
    """(tax class, rate bp, inclusive, taxable net, tax) per class, for the receipt summary."""


class Cart:
    def __init__(self, *, merge_lines: bool = True, max_qty_milli: int = 999_000) -> None:
        self.merge_lines = merge_lines
        self.max_qty_milli = max_qty_milli
        self.lines: list[CartLine] = []
        self.sale_discount: Discount | None = None
        self._next_no = 1
        self._memo: tuple[tuple[object, ...], CartTotals] | None = None

    # -- queries ---------------------------------------------------------------------------

    @property
    def active(self) -> list[CartLine]:
        return [ln for ln in self.lines if not ln.voided]

    def is_empty(self) -> bool:
        return not self.active

    def line(self, line_no: int) -> CartLine:
        for ln in self.lines:
            if ln.line_no == line_no:
                if ln.voided:
                    raise IllegalStep(f"line {line_no} is already void", code="line.voided")
                return ln
        raise InvalidInput(f"there is no line {line_no}", code="line.unknown")

    # -- changes ---------------------------------------------------------------------------

    def _check_qty(self, qty_milli: int, item: Item) -> None:
        if not isinstance(qty_milli, int) or isinstance(qty_milli, bool):
            raise InvalidInput("quantity must be a whole number of thousandths", code="qty.type")
        if qty_milli <= 0:
            raise InvalidInput(
                "quantity must be more than zero; void the line instead", code="qty.range"
            )
        if qty_milli > self.max_qty_milli:
            raise InvalidInput(f"quantity {qty_milli / QTY_ONE:g} is too large", code="qty.range")
        if item.unit != "kg" and qty_milli % QTY_ONE:
            raise InvalidInput(f"{item.name} is sold in whole pieces", code="qty.whole")

    def add(
        self,
        item: Item,
        tax: TaxClass,
        *,
        qty_milli: int = QTY_ONE,
        unit_price: int | None = None,
        barcode: str = "",
        price_source: str = "catalog",
        approver_id: str | None = None,
    ) -> CartLine:
        """Add an item, or add to the matching line when repeated scans merge."""
        if price_source not in PRICE_SOURCES:
            raise ValueError(f"unknown price source {price_source!r}")
        price = item.price if unit_price is None else unit_price
        if price < 0:
            raise InvalidInput("a price cannot be negative", code="price.range")
        self._check_qty(qty_milli, item)
        if self.merge_lines and item.unit != "kg" and price_source == "catalog":
            for ln in reversed(self.lines):
                if (
                    not ln.voided
                    and ln.item.sku == item.sku
                    and ln.price_source == "catalog"
                    and ln.unit_price == price
                    and ln.discount is None
                ):
                    self._check_qty(ln.qty_milli + qty_milli, item)
                    ln.qty_milli += qty_milli
                    return ln
        line = CartLine(
            line_no=self._next_no,
            item=item,
            tax=tax,
            qty_milli=qty_milli,
            unit_price=price,
            barcode=barcode,
            price_source=price_source,
            approver_id=approver_id,
        )
        self._next_no += 1
        self.lines.append(line)
        return line

    def set_qty(self, line_no: int, qty_milli: int) -> CartLine:
        ln = self.line(line_no)
        if ln.price_source == "embedded":
            raise IllegalStep(
                "the quantity of a scale label is fixed; void and rescan", code="line.embedded"
            )
        self._check_qty(qty_milli, ln.item)
        ln.qty_milli = qty_milli
        return ln

    def set_price(
        self, line_no: int, price: int, *, source: str, approver_id: str | None = None
    ) -> CartLine:
        if price < 0:
            raise InvalidInput("a price cannot be negative", code="price.range")
        ln = self.line(line_no)
        ln.unit_price = price
        ln.price_source = source
        ln.approver_id = approver_id or ln.approver_id
        return ln

    def set_line_discount(self, line_no: int, discount: Discount | None) -> CartLine:
        ln = self.line(line_no)
        ln.discount = discount
        if discount is not None and discount.approver_id:
            ln.approver_id = discount.approver_id
        return ln

    def set_sale_discount(self, discount: Discount | None) -> None:
        self.sale_discount = discount

    def restore_line(self, line: CartLine) -> None:
        self.lines.append(line)
        self._next_no = max(self._next_no, line.line_no + 1)

    def sale_discount_spec(self) -> dict[str, Any] | None:
        d = self.sale_discount
        if d is None:
            return None
        return {
            "percent_bp": d.percent_bp,
            "amount": d.amount,
            "approver_id": d.approver_id,
            "reason": d.reason,
        }

    def void(self, line_no: int, *, reason: str = "", approver_id: str | None = None) -> CartLine:
        ln = self.line(line_no)
        ln.voided = True
        ln.void_reason = reason
        ln.void_approver_id = approver_id
        return ln

    # -- totals ----------------------------------------------------------------------------

    def base_after_line_discounts(self) -> int:
        return sum(
            ln.gross - (ln.discount.on(ln.gross) if ln.discount else 0) for ln in self.active
        )

    def _fingerprint(self) -> tuple[object, ...]:
        """Everything totals depend on. Lines are mutated in place by several callers, so the
        memo is keyed on their values rather than invalidated by each setter."""
        return (
            self.sale_discount,
            *(
                (ln.line_no, ln.item, ln.qty_milli, ln.unit_price, ln.voided, ln.discount,
                 ln.approver_id, ln.price_source, ln.tax, ln.barcode)
                for ln in self.lines
            ),
        )

    def totals(self) -> CartTotals:
        # A scan asks for the totals several times (balance, total, snapshot); on a long
        # basket recomputing tax and allocation each time dominates the scan-to-cart path.
        key = self._fingerprint()
        if self._memo is not None and self._memo[0] == key:
            return self._memo[1]
        result = self._compute_totals()
        self._memo = (key, result)
        return result

    def _compute_totals(self) -> CartTotals:
        active = self.active
        gross = [ln.gross for ln in active]
        line_disc = [
            ln.discount.on(g) if ln.discount else 0 for ln, g in zip(active, gross, strict=True)
        ]
        base = [g - d for g, d in zip(gross, line_disc, strict=True)]
        sale_disc = self.sale_discount.on(sum(base)) if self.sale_discount and active else 0
        shares = allocate(sale_disc, base) if sale_disc else [0] * len(active)
        out: list[SaleLine] = []
        by_tax: dict[str, list[int]] = {}
        tax_meta: dict[str, TaxClass] = {}
        total = 0
        for ln, g, d, s in zip(active, gross, line_disc, shares, strict=True):
            discount = d + s
            net = g - discount
            tax = tax_of(net, ln.tax)
            total += net + (0 if ln.tax.inclusive else tax)
            approver = ln.approver_id
            if s and self.sale_discount and self.sale_discount.approver_id:
                approver = approver or self.sale_discount.approver_id
            out.append(
                SaleLine(
                    line_no=ln.line_no,
                    sku=ln.item.sku,
                    name=ln.item.name,
                    name_zh=ln.item.name_zh,
                    qty_milli=ln.qty_milli,
                    unit=ln.item.unit,
                    unit_price=ln.unit_price,
                    gross=g,
                    discount=discount,
                    net=net,
                    tax_class=ln.tax.code,
                    tax_rate_bp=ln.tax.rate_bp,
                    tax_inclusive=ln.tax.inclusive,
                    tax=tax,
                    barcode=ln.barcode,
                    price_source=ln.price_source,
                    approver_id=approver,
                )
            )
            acc = by_tax.setdefault(ln.tax.code, [0, 0])
            acc[0] += net
            acc[1] += tax
            tax_meta[ln.tax.code] = ln.tax
        return CartTotals(
            lines=tuple(out),
            subtotal=sum(gross),
            discount_total=sum(x.discount for x in out),
            tax_total=sum(x.tax for x in out),
            total=total,
            items_milli=sum(x.qty_milli for x in out),
            by_tax=tuple(
                (code, tax_meta[code].rate_bp, tax_meta[code].inclusive, v[0], v[1])
                for code, v in sorted(by_tax.items())
            ),
        )
