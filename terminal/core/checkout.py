"""The checkout service the UI and the automation channel call: one clerk's sales on one
terminal, from the first scan to the receipt.

Every action that moves money asks the ``rights.Gate`` first and journals any decision that was
denied or needed a supervisor. A sale is only "done" once the ledger has committed it; when the
ledger refuses (disk full), the sale stays as it was, in memory, with the error shown, and
``complete()`` tries again. Printing and the drawer come after the commit and never block it.

Methods are meant to run on the app's single worker thread; ``snapshot()`` may be called from
any thread.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ParamSpec, TypeVar

from terminal.core import receipt as receipts
from terminal.core.cart import CartLine, Discount
from terminal.core.catalog import resolve_scan
from terminal.core.errors import (
    IllegalStep,
    InvalidInput,
    JournalError,
    NotFound,
    PaymentFailed,
    PosError,
)
from terminal.core.money import cash_round, mul_qty
from terminal.core.ports import (
    CardTerminal,
    CashDrawer,
    Catalog,
    Clock,
    Ledger,
    LedgerError,
    PaymentOutcome,
    PaymentProvider,
    PaymentResult,
    ReceiptPrinter,
)
from terminal.core.records import QTY_ONE, Item, JournalEntry, SaleRecord, TenderRecord
from terminal.core.rights import (
    Approval,
    ApprovalRequired,
    Decision,
    Gate,
    PermissionDenied,
    Right,
    Verdict,
)
from terminal.core.sale import Sale, SaleState
from terminal.core.scan import ClassifiedRead, ReadKind, classify
from terminal.core.settings import StoreSettings
from terminal.core.tenders import CARD, CASH, QR, check_electronic_amount, quick_cash

TENDER_RIGHTS = {CASH: Right.TENDER_CASH, CARD: Right.TENDER_CARD, QR: Right.TENDER_QR}


def post_or_fail(
    ledger: Ledger,
    kind: str,
    payload: Mapping[str, Any],
    *,
    staff_id: str | None,
    training: bool,
    series: str | None = None,
    what: str = "",
) -> JournalEntry:
    """``ledger.post`` with a ledger failure turned into a clerk-readable ``JournalError``."""
    try:
        return ledger.post(kind, payload, staff_id=staff_id, series=series, training=training)
    except LedgerError as e:
        raise JournalError(
            f"could not save {what or kind}: {e}. Nothing was lost; fix the problem and try again"
        ) from e


class RightsGuard:
    """Asks the gate for one clerk and journals every decision that was denied or approved.

    An approval is honoured only when the approver is someone other than the clerk and the gate
    allows the approver the same right for the same amount outright.
    """

    def __init__(self, gate: Gate, ledger: Ledger, *, staff_id: str, training: bool) -> None:
        self.gate = gate
        self.ledger = ledger
        self.staff_id = staff_id
        self.training = training

    def require(
        self,
        right: Right,
        *,
        amount: int | None = None,
        approval: Approval | None = None,
        subject: Mapping[str, Any] | None = None,
    ) -> str | None:
        """Returns the approver's id when an approval was needed and valid, None when the clerk
        may act alone; raises ``PermissionDenied`` or ``ApprovalRequired`` otherwise."""
        decision = self.gate.check(self.staff_id, right, amount=amount, training=self.training)
        if decision.verdict is Verdict.ALLOW:
            return None
        if decision.verdict is Verdict.DENY:
            self.post_decision("permission.denied", right, amount, None, decision.reason, subject)
            raise PermissionDenied(decision)
        if approval is None:
            raise ApprovalRequired(decision)
        approver = approval.approver_id.strip() if approval.approver_id else ""
        if not approver or approver == self.staff_id:
            denied = Decision(
                Verdict.DENY, right, "the approver must be someone other than the clerk"
            )
            self.post_decision(
                "permission.denied", right, amount, approver or None, denied.reason, subject
            )
            raise PermissionDenied(denied)
        # The approver acts as themselves, never in training: a trainee cannot approve.
        theirs = self.gate.check(approver, right, amount=amount, training=False)
        if theirs.verdict is not Verdict.ALLOW:
            reason = theirs.reason or f"{approver} may not approve {right.value}"
            denied = Decision(Verdict.DENY, right, f"approval refused: {reason}", theirs.limit)
            self.post_decision("permission.denied", right, amount, approver, denied.reason, subject)
            raise PermissionDenied(denied)
        self.post_decision("approval.granted", right, amount, approver, approval.reason, subject)
        return approver

    def post_decision(
        self,
        kind: str,
        right: Right,
        amount: int | None,
        approver: str | None,
        reason: str,
        subject: Mapping[str, Any] | None,
    ) -> None:
        payload = {
            "actor": self.staff_id,
            "approver": approver,
            "right": right.value,
            "reason": reason,
            "amount": amount,
            **(subject or {}),
        }
        post_or_fail(
            self.ledger,
            kind,
            payload,
            staff_id=self.staff_id,
            training=self.training,
            what="the permission decision",
        )


# --- snapshot ------------------------------------------------------------------------------


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
class ReadOutcome:
    """What ``handle_read`` did with a scan. For staff cards, receipt QRs and member cards the
    caller acts (login, refund, member lookup); ``action`` is then "none"."""

    read: ClassifiedRead
    action: str
    """"added", "paid", or "none"."""


# --- the service ---------------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")


def _action(fn: Callable[P, R]) -> Callable[P, R]:
    """Serialise the call and record its error for the snapshot."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        self = args[0]
        assert isinstance(self, SaleSession)
        with self._lock:
            self._last_error = None
            try:
                return fn(*args, **kwargs)
            except (PosError, PermissionDenied, ApprovalRequired) as e:
                self._last_error = ErrorView.of(e)
                raise

    return wrapper


class SaleSession:
    def __init__(
        self,
        *,
        catalog: Catalog,
        ledger: Ledger,
        printer: ReceiptPrinter,
        drawer: CashDrawer,
        payments: PaymentProvider,
        card: CardTerminal,
        clock: Clock,
        gate: Gate,
        settings: StoreSettings,
        clerk_id: str,
        training: bool = False,
        clerk_name: str = "",
        staff_name: Callable[[str], str] | None = None,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self.catalog = catalog
        self.ledger = ledger
        self.printer = printer
        self.drawer = drawer
        self.payments = payments
        self.card = card
        self.clock = clock
        self.gate = gate
        self.settings = settings
        self.clerk_id = clerk_id
        self.clerk_name = clerk_name
        self.training = training
        self._staff_name = staff_name
        self._new_id = new_id or (lambda: uuid.uuid4().hex)
        self._lock = threading.RLock()
        self._sale: Sale | None = None
        self._done: Sale | None = None
        """The last completed sale, shown until the next one starts."""
        self._suspended: dict[str, Sale] = {}
        self._last_error: ErrorView | None = None
        self._notice = ""
        self._max_checked = 0
        self._line_views: dict[tuple[Any, ...], LineView] = {}

    # -- helpers ---------------------------------------------------------------------------

    @property
    def guard(self) -> RightsGuard:
        return RightsGuard(self.gate, self.ledger, staff_id=self.clerk_id, training=self.training)

    def _now_iso(self) -> str:
        return self.clock.now().isoformat()

    def _name(self, staff_id: str | None) -> str:
        if not staff_id:
            return ""
        if staff_id == self.clerk_id and self.clerk_name:
            return self.clerk_name
        return self._staff_name(staff_id) if self._staff_name else staff_id

    def _post(
        self, kind: str, payload: Mapping[str, Any], *, series: str | None = None, what: str = ""
    ) -> JournalEntry:
        return post_or_fail(
            self.ledger,
            kind,
            payload,
            staff_id=self.clerk_id,
            training=self.training,
            series=series,
            what=what,
        )

    def _subject(self, **extra: Any) -> dict[str, Any]:
        return {"sale_id": self._sale.sale_id if self._sale else None, **extra}

    def _current(self, action: str) -> Sale:
        if self._sale is None:
            raise IllegalStep(f"cannot {action}: no sale is open", code="sale.idle")
        return self._sale

    def _shift_id(self) -> str | None:
        shift = self.ledger.current_shift()
        return str(shift["shift_id"]) if shift else None

    def _ensure_sale(self) -> Sale:
        if self._sale is not None:
            return self._sale
        # Training sales belong to no shift: they must never touch a real cash count.
        shift_id = None if self.training else self._shift_id()
        if shift_id is None and self.settings.require_open_shift and not self.training:
            raise IllegalStep("open a shift before selling", code="shift.not_open")
        sale = Sale(
            self._new_id(),
            self._now_iso(),
            currency=self.settings.currency,
            merge_lines=self.settings.merge_lines,
            max_qty_milli=self.settings.max_line_qty_milli,
            cash_step=self.settings.cash_rounding_step,
            cash_mode=self.settings.cash_rounding_mode,
            shift_id=shift_id,
        )
        self._sale = sale
        self._done = None
        self._notice = ""
        self._max_checked = 0
        return sale

    def _display_name(self, name: str, name_zh: str) -> str:
        return name_zh if self.settings.language.startswith("zh") and name_zh else name

    # -- snapshot --------------------------------------------------------------------------

    def snapshot(self) -> SaleSnapshot:
        with self._lock:
            base = dict(
                terminal_id=self.settings.terminal_id,
                clerk_id=self.clerk_id,
                clerk_name=self.clerk_name,
                training=self.training,
                currency=self.settings.currency,
                last_error=self._last_error,
                notice=self._notice,
                suspended=tuple(
                    SuspendedView(s.sale_id, s.started_at, len(s.cart.active), s.total)
                    for s in self._suspended.values()
                ),
            )
            sale = self._sale or self._done
            if sale is None:
                return SaleSnapshot(state=SaleState.IDLE.value, sale_id=None, **base)
            totals = sale.totals()
            by_no = {x.line_no: x for x in totals.lines}
            views = []
            cache = self._line_views
            for ln in sale.cart.lines:
                sl = by_no.get(ln.line_no)
                # The screen asks for a snapshot after every scan; a long basket's unchanged
                # lines reuse their views instead of being rebuilt each time.
                key = (sale.sale_id, ln.line_no, ln.item, ln.qty_milli, ln.unit_price,
                       ln.price_source, ln.barcode, ln.voided, ln.void_approver_id, sl)
                hit = cache.get(key)
                if hit is None:
                    hit = self._line_view(ln, sl)
                    cache[key] = hit
                views.append(hit)
            if len(cache) > 4 * len(views) + 64:
                live = {(sale.sale_id, v.line_no) for v in views}
                for k in [k for k in cache if (k[0], k[1]) not in live]:
                    del cache[k]
            total = totals.total + sale.rounding
            paid = sale.paid
            balance = max(total - paid, 0)
            cash_due = max(
                cash_round(total - paid, sale.cash_step, sale.cash_mode),
                0,
            )
            payable = sale.state in (SaleState.OPEN, SaleState.TENDERING)
            disc = sale.cart.sale_discount
            return SaleSnapshot(
                state=sale.state.value,
                sale_id=sale.sale_id,
                lines=tuple(views),
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
                quick_cash=tuple(quick_cash(cash_due, self.settings.quick_cash_denominations))
                if payable
                else (),
                sale_discount_bp=disc.percent_bp if disc else None,
                sale_discount_amount=disc.amount if disc else None,
                receipt_no=sale.record.receipt_no if sale.record else None,
                **base,
            )

    def _line_view(self, ln: CartLine, sl: Any) -> LineView:
        return LineView(
            line_no=ln.line_no,
            sku=ln.item.sku,
            name=ln.item.name,
            name_zh=ln.item.name_zh,
            display_name=self._display_name(ln.item.name, ln.item.name_zh),
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

    @property
    def state(self) -> SaleState:
        with self._lock:
            if self._sale is not None:
                return self._sale.state
            if self._done is not None:
                return self._done.state
            return SaleState.IDLE

    # -- clerk -----------------------------------------------------------------------------

    @_action
    def switch_clerk(
        self, clerk_id: str, *, clerk_name: str = "", training: bool | None = None
    ) -> SaleSnapshot:
        """Quick clerk switch: an open sale stays open and is finished by the new clerk.
        Training mode only changes between sales, so no sale mixes real and training steps."""
        if training is not None and training != self.training:
            if self._sale is not None:
                raise IllegalStep(
                    "finish or suspend the sale before switching training mode", code="sale.open"
                )
            if self._suspended:
                raise IllegalStep(
                    "recall or void suspended sales before switching training mode",
                    code="sale.suspended",
                )
            self.training = training
        self.clerk_id = clerk_id
        self.clerk_name = clerk_name
        self._max_checked = 0
        return self.snapshot()

    # -- items -----------------------------------------------------------------------------

    @_action
    def handle_read(self, code: str) -> ReadOutcome:
        """Route a scanner read: products to the cart, payment codes to a QR payment of the
        balance (starting payment if the cart is open). Other kinds are returned for the
        caller (login, refund lookup, member lookup) without touching the sale."""
        read = classify(code, self.settings.scan_rules, self.settings.variable_measure)
        if read.kind in (ReadKind.PRODUCT, ReadKind.VARIABLE_MEASURE):
            self._add_scanned(read.code)
            return ReadOutcome(read, "added")
        if read.is_payment:
            sale = self._current("take a mobile payment")
            if sale.state is SaleState.OPEN:
                self._start_tender(None)
            if sale.state is not SaleState.COMPLETED:
                self._pay_qr(read.code, None, None)
            return ReadOutcome(read, "paid")
        if read.kind is ReadKind.UNKNOWN:
            # Stores label some goods with in-house codes; try them before giving up.
            item = self.catalog.by_barcode(read.code) if read.code else None
            if item is not None:
                self._add(item, barcode=read.code)
                return ReadOutcome(read, "added")
            raise InvalidInput(read.message, code=read.error_code or "scan.unknown")
        return ReadOutcome(read, "none")

    @_action
    def add_barcode(self, code: str, *, approval: Approval | None = None) -> SaleSnapshot:
        self._add_scanned(code, approval)
        return self.snapshot()

    def _add_scanned(self, code: str, approval: Approval | None = None) -> CartLine:
        if self._sale is not None:
            self._sale.require_can_add()
        found = resolve_scan(self.catalog, code, self.settings.variable_measure)
        if found.price is not None:
            return self._add(
                found.item,
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

    @_action
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

    @_action
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

    @_action
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

    @_action
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

    @_action
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

    @_action
    def clear_discounts(self) -> SaleSnapshot:
        """Remove every discount; taking a discount away needs no right."""
        sale = self._current("remove discounts")
        sale.require_can_edit("remove discounts")
        sale.cart.set_sale_discount(None)
        for ln in sale.cart.active:
            ln.discount = None
        return self.snapshot()

    @_action
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

    # -- tendering -------------------------------------------------------------------------

    @_action
    def start_tender(self, *, approval: Approval | None = None) -> SaleSnapshot:
        self._start_tender(approval)
        return self.snapshot()

    def _start_tender(self, approval: Approval | None) -> None:
        sale = self._current("take payment")
        sale.begin_tender()
        try:
            self._check_sale_max(sale, approval)
        except (PermissionDenied, ApprovalRequired, PosError):
            if not sale.tenders:
                sale.state = SaleState.OPEN
            raise
        if sale.total == 0:
            # Everything was discounted away: nothing to pay, but the sale (and its stock
            # movement and discounts) must still be on record.
            self._complete(sale)

    def _check_sale_max(self, sale: Sale, approval: Approval | None) -> None:
        total = sale.total
        if total <= self._max_checked:
            return
        self.guard.require(
            Right.SALE_MAX_AMOUNT, amount=total, approval=approval, subject=self._subject()
        )
        self._max_checked = total

    @_action
    def back_to_cart(self) -> SaleSnapshot:
        self._current("go back to the cart").back_to_cart()
        return self.snapshot()

    def quick_cash(self) -> list[int]:
        with self._lock:
            sale = self._sale
            if sale is None or sale.state is not SaleState.TENDERING:
                return []
            return quick_cash(sale.cash_due, self.settings.quick_cash_denominations)

    def _collected_today(self) -> int:
        since = self.settings.business_day_start(self.clock.now()).isoformat()
        totals = self.ledger.totals(staff_id=self.clerk_id, since=since)
        return sum(totals.by_tender.values())

    def _authorize_tender(
        self, sale: Sale, kind: str, amount: int, approval: Approval | None
    ) -> None:
        subject = self._subject(tender=kind)
        self.guard.require(TENDER_RIGHTS[kind], amount=amount, approval=approval, subject=subject)
        self._check_sale_max(sale, approval)
        if not self.training:
            collected = self._collected_today() + sale.paid + amount
            self.guard.require(
                Right.DAILY_COLLECTION, amount=collected, approval=approval, subject=subject
            )

    @_action
    def pay_cash(self, tendered: int, *, approval: Approval | None = None) -> SaleSnapshot:
        """Cash handed over. At or above the (cash-rounded) balance it settles the sale and
        the rest is change; below it, it pays part and another tender follows."""
        sale = self._current("take cash")
        if sale.state is SaleState.OPEN:
            self._start_tender(approval)
            if sale.state is SaleState.COMPLETED:
                return self.snapshot()
        sale.require_payable()
        if not isinstance(tendered, int) or tendered < 0:
            raise InvalidInput("enter the cash handed over", code="tender.amount")
        applied = min(tendered, sale.cash_due)
        if tendered == 0 and sale.cash_due > 0:
            raise InvalidInput("enter the cash handed over", code="tender.amount")
        self._authorize_tender(sale, CASH, applied, approval)
        sale.add_cash(tendered)
        if sale.fully_paid:
            self._complete(sale)
        return self.snapshot()

    @_action
    def pay_card(
        self, amount: int | None = None, *, approval: Approval | None = None
    ) -> SaleSnapshot:
        sale = self._current("take a card payment")
        if sale.state is SaleState.OPEN:
            self._start_tender(approval)
            if sale.state is SaleState.COMPLETED:
                return self.snapshot()
        sale.require_payable()
        amount = sale.balance if amount is None else amount
        check_electronic_amount(amount, sale.balance)
        self._authorize_tender(sale, CARD, amount, approval)
        result = self._charge(
            sale, CARD, amount, lambda: self.card.charge(amount, sale.currency, sale.sale_id)
        )
        sale.add_tender(
            TenderRecord(
                kind=CARD,
                amount=amount,
                tendered=amount,
                reference=result.reference,
                provider=result.provider,
            )
        )
        if sale.fully_paid:
            self._complete(sale)
        return self.snapshot()

    @_action
    def pay_qr(
        self, payment_code: str, amount: int | None = None, *, approval: Approval | None = None
    ) -> SaleSnapshot:
        """Charge the customer's scanned WeChat Pay / Alipay code."""
        sale = self._current("take a mobile payment")
        if sale.state is SaleState.OPEN:
            self._start_tender(approval)
            if sale.state is SaleState.COMPLETED:
                return self.snapshot()
        self._pay_qr(payment_code, amount, approval)
        return self.snapshot()

    def _pay_qr(self, payment_code: str, amount: int | None, approval: Approval | None) -> None:
        sale = self._current("take a mobile payment")
        sale.require_payable()
        code = payment_code.strip()
        read = classify(code, self.settings.scan_rules, self.settings.variable_measure)
        if not read.is_payment:
            raise InvalidInput(
                f"{code!r} is not a WeChat Pay or Alipay payment code",
                code="tender.not_payment_code",
            )
        amount = sale.balance if amount is None else amount
        check_electronic_amount(amount, sale.balance)
        self._authorize_tender(sale, QR, amount, approval)
        result = self._charge(
            sale,
            QR,
            amount,
            lambda: self.payments.charge(code, amount, sale.currency, sale.sale_id),
        )
        sale.add_tender(
            TenderRecord(
                kind=QR,
                amount=amount,
                tendered=amount,
                reference=result.reference,
                provider=result.provider or read.kind.value,
            )
        )
        if sale.fully_paid:
            self._complete(sale)

    def _charge(
        self, sale: Sale, kind: str, amount: int, call: Callable[[], PaymentResult]
    ) -> PaymentResult:
        try:
            result = call()
        except (TimeoutError, OSError) as e:
            result = PaymentResult(PaymentOutcome.TIMEOUT, message=str(e) or "no answer")
        if result.outcome is PaymentOutcome.APPROVED:
            return result
        if result.outcome is PaymentOutcome.TIMEOUT and kind == QR:
            # A charge that timed out may still go through later; cancel it (by sale id when
            # there is no reference yet) so a retry cannot charge the customer twice.
            try:
                self.payments.cancel(sale.sale_id, result.reference)
            except (TimeoutError, OSError) as e:
                result = PaymentResult(
                    result.outcome,
                    result.reference,
                    f"{result.message}; cancelling the attempt failed too ({e}): check the "
                    "customer's phone before charging again",
                    result.provider,
                )
        self._post(
            "payment.declined",
            {
                "sale_id": sale.sale_id,
                "kind": kind,
                "amount": amount,
                "reference": result.reference,
                "message": result.message,
                "outcome": result.outcome.value,
            },
            what="the declined payment",
        )
        if result.outcome is PaymentOutcome.TIMEOUT:
            raise PaymentFailed(
                f"no answer from the {'card terminal' if kind == CARD else 'payment provider'}"
                f"{': ' + result.message if result.message else ''}; retry or take another "
                "payment",
                code="payment.timeout",
            )
        raise PaymentFailed(
            f"payment declined{': ' + result.message if result.message else ''}; "
            "try again or take another payment",
            code="payment.declined",
        )

    @_action
    def complete(self) -> SaleSnapshot:
        """Commit a fully paid sale whose earlier commit failed (disk full, I/O error)."""
        sale = self._current("complete the sale")
        if not sale.fully_paid:
            raise IllegalStep("cannot complete: a balance is still due", code="sale.balance_due")
        self._complete(sale)
        return self.snapshot()

    def _complete(self, sale: Sale) -> SaleRecord:
        record = sale.build_record(
            terminal_id=self.settings.terminal_id,
            shift_id=sale.shift_id,
            staff_id=self.clerk_id,
            completed_at=self._now_iso(),
            training=self.training,
        )
        entry = self._post("sale.completed", record.to_payload(), series="receipt", what="the sale")
        final = sale.mark_completed(record, entry.number)
        self._sale = None
        self._done = sale
        problems = []
        try:
            self.printer.submit(
                receipts.sale_receipt(final, self.settings, clerk_name=self._name(self.clerk_id))
            )
        except Exception as e:  # the sale is stored; a printer problem is shown, not fatal
            problems.append(f"receipt not printed: {e}")
        if sale.has_cash() and not self.training:
            try:
                self.drawer.open()
            except Exception as e:  # same: reported on screen, the sale stands
                problems.append(f"drawer did not open: {e}")
            else:
                try:
                    self._post(
                        "drawer.opened",
                        {"reason": "sale", "sale_id": sale.sale_id},
                        what="the drawer opening",
                    )
                except JournalError as e:
                    problems.append(str(e))
        self._notice = "; ".join(problems)
        return final

    # -- leaving a sale --------------------------------------------------------------------

    @_action
    def void_sale(self, *, reason: str = "", approval: Approval | None = None) -> SaleSnapshot:
        """Abandon the open sale. Mobile payments already taken are cancelled with the provider
        and cash handed back; a card payment cannot be undone here (refund it instead)."""
        sale = self._current("void the sale")
        if sale.state not in (SaleState.OPEN, SaleState.TENDERING):
            raise IllegalStep(
                f"cannot void: the sale is {sale.state.value}", code=f"sale.{sale.state.value}"
            )
        if not sale.cart.lines and not sale.tenders:
            self._sale = None
            return self.snapshot()
        if any(t.kind == CARD for t in sale.tenders):
            raise IllegalStep(
                "a card payment was taken: finish the sale and refund it", code="sale.card_taken"
            )
        total = sale.total
        approver = self.guard.require(
            Right.VOID_SALE, amount=total, approval=approval, subject=self._subject(total=total)
        )
        for tender in list(sale.tenders):
            if tender.kind == QR:
                self.payments.cancel(sale.sale_id, tender.reference)
            self._post(
                "payment.reversed",
                {
                    "sale_id": sale.sale_id,
                    "kind": tender.kind,
                    "amount": tender.amount,
                    "reference": tender.reference,
                    "message": reason or "sale voided",
                },
                what="the payment reversal",
            )
            sale.tenders.remove(tender)
        self._post(
            "sale.voided",
            {
                "sale_id": sale.sale_id,
                "lines": [ln.spec() for ln in sale.cart.lines],
                "total": total,
                "reason": reason,
                "approver_id": approver,
            },
            what="the sale void",
        )
        sale.mark_voided()
        self._sale = None
        self._done = None
        return self.snapshot()

    @_action
    def new_sale(self) -> SaleSnapshot:
        """Clear the finished sale from the screen."""
        if self._sale is not None:
            raise IllegalStep("a sale is open: finish, suspend or void it", code="sale.open")
        self._done = None
        self._notice = ""
        return self.snapshot()

    @_action
    def suspend(self, *, approval: Approval | None = None) -> SaleSnapshot:
        sale = self._current("suspend the sale")
        if sale.tenders:
            raise IllegalStep("cannot suspend: payment has been taken", code="sale.payment_taken")
        if sale.cart.is_empty():
            raise IllegalStep("cannot suspend an empty sale", code="sale.empty")
        self.guard.require(
            Right.SUSPEND_SALE, amount=sale.total, approval=approval, subject=self._subject()
        )
        self._post(
            "sale.suspended",
            {
                "sale_id": sale.sale_id,
                "started_at": sale.started_at,
                "lines": [ln.spec() for ln in sale.cart.lines],
                "sale_discount": sale.cart.sale_discount_spec(),
            },
            what="the suspended sale",
        )
        sale.suspend()
        self._suspended[sale.sale_id] = sale
        self._sale = None
        return self.snapshot()

    @_action
    def recall(self, sale_id: str) -> SaleSnapshot:
        if self._sale is not None:
            raise IllegalStep("finish, suspend or void the open sale first", code="sale.open")
        sale = self._suspended.get(sale_id)
        if sale is None:
            raise NotFound(f"no suspended sale {sale_id}", code="sale.not_suspended")
        self._post(
            "sale.recalled",
            {
                "sale_id": sale.sale_id,
                "lines": [ln.spec() for ln in sale.cart.lines],
            },
            what="the recalled sale",
        )
        del self._suspended[sale_id]
        sale.recall()
        # The sale is paid into the drawer of the shift it is finished in.
        sale.shift_id = None if self.training else self._shift_id()
        self._sale = sale
        self._done = None
        self._max_checked = 0
        return self.snapshot()

    @_action
    def restore_suspended(self, entries: Iterable[JournalEntry]) -> SaleSnapshot:
        """Rebuild sales that were suspended and never recalled, voided or completed, from
        journal entries (the composition root passes the entries since the last Z report), so
        a restart loses no parked sale. Entries of the other mode (training or not) are skipped."""
        open_payloads: dict[str, Mapping[str, Any]] = {}
        for e in entries:
            if e.training != self.training:
                continue
            sale_id = e.payload.get("sale_id") if isinstance(e.payload, Mapping) else None
            if e.kind == "sale.suspended" and sale_id:
                open_payloads[sale_id] = e.payload
            elif e.kind in ("sale.recalled", "sale.voided", "sale.completed") and sale_id:
                open_payloads.pop(sale_id, None)
        for sale_id, payload in open_payloads.items():
            if sale_id in self._suspended or (self._sale and self._sale.sale_id == sale_id):
                continue
            self._suspended[sale_id] = self._rebuild(payload)
        return self.snapshot()

    def _rebuild(self, payload: Mapping[str, Any]) -> Sale:
        sale = Sale(
            str(payload["sale_id"]),
            str(payload.get("started_at") or self._now_iso()),
            currency=self.settings.currency,
            merge_lines=self.settings.merge_lines,
            max_qty_milli=self.settings.max_line_qty_milli,
            cash_step=self.settings.cash_rounding_step,
            cash_mode=self.settings.cash_rounding_mode,
        )
        for spec in payload.get("lines", ()):
            item = self.catalog.by_sku(str(spec["sku"])) or Item(
                sku=str(spec["sku"]),
                name=str(spec.get("name") or spec["sku"]),
                name_zh="",
                price=int(spec["unit_price"]),
                tax_class=str(spec.get("tax_class") or "standard"),
            )
            tax = self.catalog.tax_class(str(spec.get("tax_class") or item.tax_class))
            sale.cart.restore_line(CartLine.from_spec(dict(spec), item, tax))
        disc = payload.get("sale_discount")
        if disc:
            sale.cart.set_sale_discount(
                Discount(
                    percent_bp=disc.get("percent_bp"),
                    amount=disc.get("amount"),
                    approver_id=disc.get("approver_id"),
                    reason=disc.get("reason") or "",
                )
            )
        sale.state = SaleState.SUSPENDED
        return sale

    # -- receipts --------------------------------------------------------------------------

    @_action
    def reprint_last(self) -> SaleSnapshot:
        """Print the last completed sale again, marked DUPLICATE."""
        if self._done is None or self._done.record is None:
            raise IllegalStep("no completed sale to reprint", code="sale.none_completed")
        self.printer.submit(
            receipts.sale_receipt(
                self._done.record,
                self.settings,
                clerk_name=self._name(self._done.record.staff_id),
                duplicate=True,
                copy_no=self.clock.now().strftime("%Y%m%d%H%M%S%f"),
            )
        )
        return self.snapshot()

    @property
    def last_record(self) -> SaleRecord | None:
        with self._lock:
            return self._done.record if self._done else None
