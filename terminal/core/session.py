"""What every part of a clerk's checkout session shares: the collaborators, the open, last and
suspended sales under one lock, journaling through the rights guard, and the snapshot.

``sale_action`` marks the public steps: they run one at a time and leave their error in the
snapshot. The steps themselves live in ``cart_editing``, ``tendering``, ``holding`` and
``checkout``. After a step that changed the open sale's lines or discounts, the wrapper journals
the sale as it now is (``sale.progress``) before the snapshot goes back, so a crash or a power
cut never loses a basket: one durable commit per action, and none when nothing changed.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from terminal.core.canonical import canonical
from terminal.core.errors import IllegalStep, JournalError, PosError
from terminal.core.guard import ClerkActions
from terminal.core.pending import HELD
from terminal.core.ports import (
    CardTerminal,
    CashDrawer,
    Catalog,
    Clock,
    Ledger,
    PaymentProvider,
    ReceiptPrinter,
)
from terminal.core.records import TenderRecord
from terminal.core.rights import ApprovalRequired, Gate, PermissionDenied
from terminal.core.sale import Sale, SaleState
from terminal.core.settings import StoreSettings
from terminal.core.views import (
    ErrorView,
    LineViewCache,
    SaleSnapshot,
    sale_snapshot,
    suspended_views,
)

P = ParamSpec("P")
R = TypeVar("R")


def sale_action(fn: Callable[P, R]) -> Callable[P, R]:
    """Serialise the call and record its error for the snapshot."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        self = args[0]
        assert isinstance(self, SessionCore)
        with self._lock:
            outermost = self._depth == 0
            self._depth += 1
            self._last_error = None
            try:
                if outermost:
                    self._journal_unrecorded()
                result = fn(*args, **kwargs)
                if outermost and self.defer is not None:
                    self.defer(self.save_progress)
                elif outermost and self.save_progress() and isinstance(result, SaleSnapshot):
                    # The snapshot the step built predates the save's error.
                    return cast(R, self.snapshot())
                return result
            except (PosError, PermissionDenied, ApprovalRequired) as e:
                self._last_error = ErrorView.of(e)
                raise
            finally:
                self._depth -= 1

    return wrapper


class SessionCore(ClerkActions):
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
        self._held_by: dict[str, tuple[str, str | None]] = {}
        """Status (held, parked, open: interrupted by a restart) and clerk of each set-aside
        sale."""
        self._depth = 0
        self._durable: tuple[str, str] | None = None
        """(sale id, canonical body) of the open sale as last journaled."""
        self.defer: Callable[[Callable[[], BaseException | None]], None] | None = None
        """Where the basket's journal write after a step goes: None writes it before the step
        returns; the app hands it to its worker, which runs it right after the step's snapshot
        is on its way to the screen and before the next step, so a scan shows at once."""
        self._unjournaled: list[TenderRecord] = []
        """Payments taken whose journal entry failed (disk full); retried at the next step."""
        self._reversals_due: list[dict[str, Any]] = []
        """``payment.reversed`` payloads of reversals the provider made and the journal could
        not take yet; retried at the next step."""
        self._last_error: ErrorView | None = None
        self._notice = ""
        self._max_checked = 0
        self._line_views = LineViewCache()

    # -- helpers ---------------------------------------------------------------------------

    def _now_iso(self) -> str:
        return self.clock.now().isoformat()

    def _name(self, staff_id: str | None) -> str:
        if not staff_id:
            return ""
        if staff_id == self.clerk_id and self.clerk_name:
            return self.clerk_name
        return self._staff_name(staff_id) if self._staff_name else staff_id

    def _subject(self, **extra: Any) -> dict[str, Any]:
        return {"sale_id": self._sale.sale_id if self._sale else None, **extra}

    def _current(self, action: str) -> Sale:
        if self._sale is None:
            raise IllegalStep(f"cannot {action}: no sale is open", code="sale.idle")
        return self._sale

    def _shift_id(self) -> str | None:
        shift = self.ledger.current_shift()
        return str(shift["shift_id"]) if shift else None

    def _new_sale(self, sale_id: str, started_at: str, shift_id: str | None = None) -> Sale:
        return Sale(
            sale_id,
            started_at,
            currency=self.settings.currency,
            merge_lines=self.settings.merge_lines,
            max_qty_milli=self.settings.max_line_qty_milli,
            cash_step=self.settings.cash_rounding_step,
            cash_mode=self.settings.cash_rounding_mode,
            shift_id=shift_id,
        )

    def _ensure_sale(self) -> Sale:
        if self._sale is not None:
            return self._sale
        # Training sales belong to no shift: they must never touch a real cash count.
        shift_id = None if self.training else self._shift_id()
        if shift_id is None and self.settings.require_open_shift and not self.training:
            raise IllegalStep("open a shift before selling", code="shift.not_open")
        sale = self._new_sale(self._new_id(), self._now_iso(), shift_id)
        self._sale = sale
        self._done = None
        self._notice = ""
        self._max_checked = 0
        self._durable = None
        self._unjournaled = []
        return sale

    # -- durability ------------------------------------------------------------------------

    @staticmethod
    def _body(sale: Sale) -> dict[str, Any]:
        return {
            "lines": [ln.spec() for ln in sale.cart.lines],
            "sale_discount": sale.cart.sale_discount_spec(),
            "shift_id": sale.shift_id,
        }

    def _mark_durable(self, sale: Sale) -> None:
        """The journal now holds ``sale`` as it is (suspended, recalled, restored)."""
        self._durable = (sale.sale_id, canonical(self._body(sale)))

    def _journal_unrecorded(self) -> None:
        """A payment taken, or reversed, whose entry failed goes on record before anything
        else happens."""
        while self._reversals_due:
            self._post("payment.reversed", self._reversals_due[0], what="the payment reversal")
            self._reversals_due.pop(0)
        sale = self._sale
        for rec in list(self._unjournaled):
            if sale is not None and rec in sale.tenders:
                self._post("payment.authorised", self._payment_payload(sale, rec),
                           what="the payment taken")
            self._unjournaled.remove(rec)

    def save_progress(self) -> JournalError | None:
        """Journal the open sale as it now is, if it changed; the error when that failed. The
        step itself succeeded and the sale is whole in memory: a basket that could not be saved
        (disk full) is saved at the next step, and the clerk is told why (the snapshot's error,
        or the error banner when the save ran after the snapshot)."""
        with self._lock:
            try:
                self._journal_progress()
            except JournalError as e:
                self._last_error = ErrorView.of(e)
                return e
            return None

    def _journal_progress(self) -> None:
        sale = self._sale
        if sale is None or sale.state not in (SaleState.OPEN, SaleState.TENDERING):
            return
        if not sale.cart.lines:
            return
        body = self._body(sale)
        key = (sale.sale_id, canonical(body))
        if key == self._durable:
            return
        self._post(
            "sale.progress",
            {"sale_id": sale.sale_id, "started_at": sale.started_at, **body},
            what="the sale so far",
        )
        self._durable = key

    @staticmethod
    def _payment_payload(sale: Sale, rec: TenderRecord) -> dict[str, Any]:
        return {
            "sale_id": sale.sale_id,
            "started_at": sale.started_at,
            "kind": rec.kind,
            "amount": rec.amount,
            "tendered": rec.tendered,
            "change": rec.change,
            "reference": rec.reference,
            "provider": rec.provider,
        }

    # -- snapshot --------------------------------------------------------------------------

    def snapshot(self) -> SaleSnapshot:
        with self._lock:
            idle = SaleSnapshot(
                state=SaleState.IDLE.value,
                sale_id=None,
                terminal_id=self.settings.terminal_id,
                clerk_id=self.clerk_id,
                clerk_name=self.clerk_name,
                training=self.training,
                currency=self.settings.currency,
                last_error=self._last_error,
                notice=self._notice,
                suspended=suspended_views(
                    (s, *self._held_by.get(s.sale_id, (HELD, None)))
                    for s in self._suspended.values()
                ),
            )
            sale = self._sale or self._done
            if sale is None:
                return idle
            return sale_snapshot(idle, sale, self.settings, self._line_views)

    @property
    def state(self) -> SaleState:
        with self._lock:
            if self._sale is not None:
                return self._sale.state
            if self._done is not None:
                return self._done.state
            return SaleState.IDLE
