"""The shapes that cross layer boundaries: catalog items, completed sales, journal entries,
report totals and printable documents.

They are plain frozen dataclasses with integer money (minor units) and integer quantities
(thousandths of a unit, so 1.250 kg is 1250), so the ledger can store them, the link can send them
and the printer can render them without knowing any domain logic. Every record that goes into the
journal round-trips through ``to_payload``/``from_payload`` as JSON-safe dicts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

QTY_ONE = 1000
"""Quantities are integer thousandths: one piece is 1000, 250 g of a per-kg item is 250."""


@dataclass(frozen=True, slots=True)
class TaxClass:
    code: str
    rate_bp: int
    """Rate in basis points: 1300 is 13 %."""
    inclusive: bool = True
    """True when shelf prices already contain the tax (usual in China), False when tax is added."""
    name: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    sku: str
    name: str
    name_zh: str
    price: int
    """Minor units per unit: per piece, or per kg when ``unit`` is "kg"."""
    barcodes: tuple[str, ...] = ()
    tax_class: str = "standard"
    unit: str = "each"
    """"each" or "kg"."""
    open_price: bool = False
    """The clerk types the price at sale time (within the open-price right)."""
    stock_milli: int | None = None
    """Stock in thousandths of a unit; None when the item is not stock-tracked."""
    category: str = ""
    active: bool = True

    def to_payload(self) -> dict[str, Any]:
        d = asdict(self)
        d["barcodes"] = list(self.barcodes)
        return d

    @classmethod
    def from_payload(cls, d: dict[str, Any]) -> Item:
        return cls(**{**d, "barcodes": tuple(d.get("barcodes", ()))})


@dataclass(frozen=True, slots=True)
class SaleLine:
    line_no: int
    sku: str
    name: str
    name_zh: str
    qty_milli: int
    unit: str
    unit_price: int
    gross: int
    """qty x unit_price, rounded half up to the minor unit."""
    discount: int
    """Line discount plus this line's share of any sale discount (positive number)."""
    net: int
    """gross - discount: what the customer pays for this line."""
    tax_class: str
    tax_rate_bp: int
    tax_inclusive: bool
    tax: int
    """Tax contained in (inclusive) or added to (exclusive) ``net``."""
    barcode: str = ""
    price_source: str = "catalog"
    """"catalog", "embedded" (GS1 variable measure), "override" or "open"."""
    approver_id: str | None = None
    """Who approved a price override or discount on this line, if anyone had to."""


@dataclass(frozen=True, slots=True)
class TenderRecord:
    kind: str
    """"cash", "card" or "qr"."""
    amount: int
    """What this tender pays toward the sale (after change)."""
    tendered: int = 0
    """Cash handed over; equals amount for non-cash tenders."""
    change: int = 0
    reference: str = ""
    """Card approval code or payment-provider transaction id."""
    provider: str = ""


@dataclass(frozen=True, slots=True)
class SaleRecord:
    sale_id: str
    terminal_id: str
    shift_id: str | None
    staff_id: str
    currency: str
    started_at: str
    """ISO 8601 UTC."""
    completed_at: str
    lines: tuple[SaleLine, ...]
    tenders: tuple[TenderRecord, ...]
    subtotal: int
    """Sum of line gross amounts."""
    discount_total: int
    tax_total: int
    total: int
    """What the customer owes after discounts, exclusive tax and cash rounding."""
    rounding: int = 0
    """Cash-rounding adjustment included in total (may be negative)."""
    training: bool = False
    receipt_no: int | None = None
    """Assigned by the ledger from the gapless "receipt" series when the sale is committed."""
    kind: str = "sale"
    """"sale" or "refund"; a refund's lines and tenders carry positive amounts paid back."""
    original_sale_id: str | None = None
    approver_id: str | None = None
    reason: str = ""

    def to_payload(self) -> dict[str, Any]:
        d = asdict(self)
        d["lines"] = [asdict(x) for x in self.lines]
        d["tenders"] = [asdict(x) for x in self.tenders]
        return d

    @classmethod
    def from_payload(cls, d: dict[str, Any]) -> SaleRecord:
        return cls(
            **{
                **d,
                "lines": tuple(SaleLine(**x) for x in d["lines"]),
                "tenders": tuple(TenderRecord(**x) for x in d["tenders"]),
            }
        )

    @property
    def change(self) -> int:
        return sum(t.change for t in self.tenders)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    """Per-terminal sequence number: starts at 1, never repeats or skips."""
    uuid: str
    ts: str
    """ISO 8601 UTC with microseconds."""
    terminal_id: str
    kind: str
    staff_id: str | None
    payload: dict[str, Any]
    number: int | None
    """The number drawn from a gapless series for this entry (receipt no., Z no.), if any."""
    series: str | None
    training: bool
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ReportTotals:
    """Aggregates over a slice of the ledger (one shift, one day since the last Z, one clerk).

    Training entries never count.
    """

    sales_count: int = 0
    refunds_count: int = 0
    items_milli: int = 0
    gross: int = 0
    discounts: int = 0
    tax: int = 0
    net_sales: int = 0
    """Sum of completed sale totals."""
    refunds_total: int = 0
    rounding: int = 0
    by_tender: dict[str, int] = field(default_factory=dict)
    """Net collected per tender kind (sales minus refunds paid back by that kind)."""
    line_voids: int = 0
    sale_voids: int = 0
    no_sales: int = 0
    cash_in: int = 0
    cash_out: int = 0
    opening_float: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    first_receipt: int | None = None
    last_receipt: int | None = None

    @property
    def expected_cash(self) -> int:
        return self.opening_float + self.by_tender.get("cash", 0) + self.cash_in - self.cash_out

    def to_payload(self) -> dict[str, Any]:
        d = asdict(self)
        d["expected_cash"] = self.expected_cash
        return d

    @classmethod
    def from_payload(cls, d: dict[str, Any]) -> ReportTotals:
        d = dict(d)
        d.pop("expected_cash", None)
        return cls(**d)


# --- Printable documents -------------------------------------------------------------------
# Core lays out *what* a receipt or report says; the printer driver decides *how* (column width,
# code page or raster, cut). Blocks are deliberately few.


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    align: str = "left"
    """"left", "center" or "right"."""
    bold: bool = False
    size: int = 1
    """1 normal, 2 double width and height."""


@dataclass(frozen=True, slots=True)
class Row:
    """A label on the left and a value on the right, padded to the paper width."""

    left: str
    right: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    char: str = "-"


@dataclass(frozen=True, slots=True)
class QR:
    data: str
    size: int = 6


@dataclass(frozen=True, slots=True)
class Barcode:
    data: str
    kind: str = "CODE128"


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int = 1


Block = Text | Row | Rule | QR | Barcode | Feed


@dataclass(frozen=True, slots=True)
class PrintDoc:
    key: str
    """Idempotency key, e.g. "receipt:42" or "z:7:dup1": a job with a key already printed is not
    printed again unless it is submitted as a new key (a reprint)."""
    kind: str
    """"receipt", "report", "test", "badge"."""
    blocks: tuple[Block, ...]
    cut: bool = True
    reprint_title: str = "REPRINT"
    """The line, in the document's language, that the printer puts at the top when it prints
    this job again because an earlier attempt may have reached the paper (a crash or a fault
    in the middle of the job)."""
