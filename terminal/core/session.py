"""What every part of a clerk's checkout session shares: the collaborators, the open, last and
suspended sales under one lock, journaling through the rights guard, and the snapshot.

``sale_action`` marks the public steps: they run one at a time and leave their error in the
snapshot. The steps themselves live in ``cart_editing``, ``tendering`` and ``checkout``.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from terminal.core.errors import IllegalStep, PosError
from terminal.core.guard import ClerkActions
from terminal.core.ports import (
    CardTerminal,
    CashDrawer,
    Catalog,
    Clock,
    Ledger,
    PaymentProvider,
    ReceiptPrinter,
)
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
            self._last_error = None
            try:
                return fn(*args, **kwargs)
            except (PosError, PermissionDenied, ApprovalRequired) as e:
                self._last_error = ErrorView.of(e)
                raise

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
        return sale

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
                suspended=suspended_views(self._suspended.values()),
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
