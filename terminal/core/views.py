"""Frozen views of a sale for the screens and the automation channel: lines, the error shown,
parked sales, and the whole ``SaleSnapshot`` built from a ``Sale`` at one moment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from terminal.core.cart import CartLine
from terminal.core.errors import PosError
from terminal.core.money import cash_round
from terminal.core.records import SaleLine, TenderRecord
from terminal.core.rights import ApprovalRequired, PermissionDenied
from terminal.core.sale import Sale, SaleState
from terminal.core.scan import ClassifiedRead
from terminal.core.settings import StoreSettings
from terminal.core.tenders import quick_cash


@dataclass(frozen=True, slots=True)
class LineView:
    line_no: int
    sku: str
    name: str
    name_zh: str
    display_name: str
    qty_milli: int
    unit: str
    unit_price: int
    gross: int
    discount: int
    net: int
    tax: int
    price_source: str
    barcode: str
    voided: bool
    approver_id: str | None = None


@dataclass(frozen=True, slots=True)
class ErrorView:
    code: str
    message: str
    right: str | None = None
    needs_approval: bool = False
    limit: int | None = None

    @classmethod
    def of(cls, exc: Exception) -> ErrorView:
        if isinstance(exc, ApprovalRequired):
            d = exc.decision
            return cls("approval.required", str(exc), d.right.value, True, d.limit)
        if isinstance(exc, PermissionDenied):
            d = exc.decision
            return cls("permission.denied", str(exc), d.right.value, False, d.limit)
        if isinstance(exc, PosError):
            return cls(exc.code, exc.message)
        return cls("error", str(exc))


@dataclass(frozen=True, slots=True)
class SuspendedView:
    sale_id: str
    started_at: str
    lines: int
    total: int
    status: str = "held"
    """"held" (Hold), "parked" (its clerk logged out) or "open" (interrupted by a restart)."""
    clerk_id: str | None = None
    paid: int = 0
    """Payments already taken (an interrupted sale)."""


@dataclass(frozen=True, slots=True)
class SaleSnapshot:
    """Everything the sale screen shows, frozen at one moment."""

    state: str
    sale_id: str | None
    terminal_id: str
    clerk_id: str
    clerk_name: str
    training: bool
    currency: str
    lines: tuple[LineView, ...] = ()
    item_count_milli: int = 0
    subtotal: int = 0
    discount_total: int = 0
    tax_total: int = 0
    total: int = 0
    rounding: int = 0
    paid: int = 0
    balance_due: int = 0
    cash_due: int = 0
    change: int = 0
    tenders: tuple[TenderRecord, ...] = ()
    quick_cash: tuple[int, ...] = ()
    sale_discount_bp: int | None = None
    sale_discount_amount: int | None = None
    receipt_no: int | None = None
    last_error: ErrorView | None = None
    notice: str = ""
    """A problem after the sale was safely stored (printer, drawer): shown, not blocking."""
    suspended: tuple[SuspendedView, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, for the automation channel."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ChecklistView:
    """A trainee's practice checklist: each task and how often it was practised."""

    counts: dict[str, int]
    missing: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.counts)

    @property
    def done(self) -> int:
        return self.total - len(self.missing)

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "missing": list(self.missing), "done": self.done,
                "total": self.total, "complete": self.complete}


@dataclass(frozen=True, slots=True)
class ClerkView:
    """The clerk at the till, as the header, the banners and the screens show them."""

    staff_id: str
    name: str
    role: str
    training: bool = False
    name_zh: str = ""
    trainee: bool = False
    store_scope: bool = False
    """May see the whole store's figures, not only their own."""
    checklist: ChecklistView | None = None
    """Training progress while in training."""

    def display_name(self, language: str) -> str:
        if language.startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["checklist"] = self.checklist.to_dict() if self.checklist else None
        return d


@dataclass(frozen=True, slots=True)
class ShiftView:
    """The open shift, as the header and the menu show it."""

    shift_id: str
    staff_id: str
    opened_at: str
    opening_float: int
    cash_in: int = 0
    cash_out: int = 0

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ShiftView:
        """From the ledger's open-shift row (``Ledger.current_shift``)."""
        return cls(shift_id=str(row["shift_id"]), staff_id=str(row["staff_id"] or ""),
                   opened_at=str(row["opened_at"]), opening_float=int(row["opening_float"]),
                   cash_in=int(row["cash_in"] or 0), cash_out=int(row["cash_out"] or 0))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ReadOutcome:
    """What ``handle_read`` did with a scan. For staff cards, receipt QRs and member cards the
    caller acts (login, refund, member lookup); ``action`` is then "none"."""

    read: ClassifiedRead
    action: str
    """"added", "paid", or "none"."""


def suspended_views(
    sales: Iterable[tuple[Sale, str, str | None]],
) -> tuple[SuspendedView, ...]:
    """Views of set-aside sales, each given with its status and clerk."""
    return tuple(
        SuspendedView(s.sale_id, s.started_at, len(s.cart.active), s.total, status, clerk, s.paid)
        for s, status, clerk in sales
    )


def display_name(settings: StoreSettings, name: str, name_zh: str) -> str:
    """The item name in the store's language, falling back to the default name."""
    return name_zh if settings.language.startswith("zh") and name_zh else name


class LineViewCache:
    """The screen asks for a snapshot after every scan; a long basket's unchanged lines reuse
    their views instead of being rebuilt each time."""

    def __init__(self) -> None:
        self._views: dict[tuple[Any, ...], LineView] = {}

    def views(
        self, sale: Sale, priced: Iterable[SaleLine], settings: StoreSettings
    ) -> tuple[LineView, ...]:
        """Views of every cart line, voided ones included; ``priced`` are the sale's totals
        lines."""
        by_no = {x.line_no: x for x in priced}
        views = []
        cache = self._views
        for ln in sale.cart.lines:
            sl = by_no.get(ln.line_no)
            key = (
                sale.sale_id,
                ln.line_no,
                ln.item,
                ln.qty_milli,
                ln.unit_price,
                ln.price_source,
                ln.barcode,
                ln.voided,
                ln.void_approver_id,
                sl,
            )
            hit = cache.get(key)
            if hit is None:
                hit = line_view(ln, sl, settings)
                cache[key] = hit
            views.append(hit)
        if len(cache) > 4 * len(views) + 64:
            live = {(sale.sale_id, v.line_no) for v in views}
            for k in [k for k in cache if (k[0], k[1]) not in live]:
                del cache[k]
        return tuple(views)


def line_view(ln: CartLine, sl: SaleLine | None, settings: StoreSettings) -> LineView:
    """One cart line as shown; ``sl`` is its priced line, None when the line is voided."""
    return LineView(
        line_no=ln.line_no,
        sku=ln.item.sku,
        name=ln.item.name,
        name_zh=ln.item.name_zh,
        display_name=display_name(settings, ln.item.name, ln.item.name_zh),
        qty_milli=ln.qty_milli,
        unit=ln.item.unit,
        unit_price=ln.unit_price,
        gross=ln.gross,
        discount=sl.discount if sl else 0,
        net=sl.net if sl else 0,
        tax=sl.tax if sl else 0,
        price_source=ln.price_source,
        barcode=ln.barcode,
        voided=ln.voided,
        approver_id=sl.approver_id if sl else ln.void_approver_id,
    )


def sale_snapshot(
    idle: SaleSnapshot, sale: Sale, settings: StoreSettings, cache: LineViewCache
) -> SaleSnapshot:
    """``idle`` (the session's snapshot without a sale) with ``sale``'s lines and figures."""
    totals = sale.totals()
    total = totals.total + sale.rounding
    paid = sale.paid
    balance = max(total - paid, 0)
    cash_due = max(cash_round(total - paid, sale.cash_step, sale.cash_mode), 0)
    payable = sale.state in (SaleState.OPEN, SaleState.TENDERING)
    disc = sale.cart.sale_discount
    return SaleSnapshot(
        state=sale.state.value,
        sale_id=sale.sale_id,
        terminal_id=idle.terminal_id,
        clerk_id=idle.clerk_id,
        clerk_name=idle.clerk_name,
        training=idle.training,
        currency=idle.currency,
        last_error=idle.last_error,
        notice=idle.notice,
        suspended=idle.suspended,
        lines=cache.views(sale, totals.lines, settings),
        item_count_milli=totals.items_milli,
        subtotal=totals.subtotal,
        discount_total=totals.discount_total,
        tax_total=totals.tax_total,
        total=total,
        rounding=sale.rounding,
        paid=paid,
        balance_due=balance if payable else 0,
        cash_due=cash_due if payable else 0,
        change=sale.change,
        tenders=tuple(sale.tenders),
        quick_cash=tuple(quick_cash(cash_due, settings.quick_cash_denominations))
        if payable
        else (),
        sale_discount_bp=disc.percent_bp if disc else None,
        sale_discount_amount=disc.amount if disc else None,
        receipt_no=sale.record.receipt_no if sale.record else None,
    )
