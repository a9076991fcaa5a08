"""What the screens need of the terminal: the facade's interface and the snapshot types that
cross to the screens.

The app package implements ``TerminalPort`` (``terminal/app/facade.py``) and starts the screens
with it; the screens import this module, never ``terminal.app``, so the dependency runs one way.
Methods marked cheap are safe on the UI thread; every other one is run on the worker through
``PosApp.call``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from terminal.core.auth import LoginTile
from terminal.core.device_state import (
    DrawerDone,
    DrawerView,
    PaymentModes,
    PrinterView,
    ScannerView,
)
from terminal.core.errors import PosError
from terminal.core.records import Item
from terminal.core.refund_views import ReceiptView, RefundDone, RefundLineView
from terminal.core.rights import Approval
from terminal.core.sale import SaleState
from terminal.core.settings import StoreSettings
from terminal.core.shift import Report, ShiftClose
from terminal.core.staff_views import FiguresView, StaffNotice, StaffRow
from terminal.core.views import ChecklistView, ClerkView, LineView, SaleSnapshot, ShiftView

__all__ = [
    "Approval",
    "ChecklistView",
    "ClerkView",
    "DrawerDone",
    "DrawerView",
    "ErrorHandler",
    "FiguresView",
    "Item",
    "LineView",
    "LoginTile",
    "PaymentModes",
    "PrinterView",
    "ReceiptView",
    "RefundDone",
    "RefundLineView",
    "Report",
    "SaleSnapshot",
    "SaleState",
    "ScannerView",
    "ShiftClose",
    "ShiftView",
    "StaffNotice",
    "StaffRow",
    "TerminalPort",
    "WorkerPort",
]

ErrorHandler = Callable[[BaseException], bool | None]
"""A screen's error callback: returning False hands the error on to the error banner."""

OPEN_STATES = (SaleState.OPEN, SaleState.TENDERING)
"""A sale in one of these states still has a cart the clerk works on."""


class WorkerPort(Protocol):
    """The one background thread core work runs on."""

    def submit(self, fn: Callable[..., Any], *args: Any,
               on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], object] | None = None,
               **kwargs: Any) -> None: ...

    @property
    def busy(self) -> bool: ...

    def wait_idle(self, timeout: float | None = None) -> bool: ...


class TerminalPort(Protocol):
    """The terminal facade, as the screens call it."""

    settings: StoreSettings

    # --- cheap: configuration and cached device state ----------------------------------------

    @property
    def language(self) -> str: ...

    @property
    def font(self) -> str: ...

    @property
    def currency(self) -> str: ...

    @property
    def data_dir(self) -> str: ...

    @property
    def start_problem(self) -> PosError | None:
        """Why the terminal could not open its data directory at start; None when it did."""

    def store_name(self, language: str) -> str: ...

    def payment_modes(self) -> PaymentModes:
        """Cheap: what takes the money."""

    def shift_state(self) -> ShiftView | None: ...

    def printer_status(self) -> PrinterView: ...

    def scanner_state(self) -> ScannerView: ...

    def drawer_state(self) -> DrawerView: ...

    # --- simulator controls ----------------------------------------------------------------

    def printer_fault(self, action: str) -> None: ...

    def scanner_fault(self, action: str) -> None: ...

    @property
    def simulated(self) -> bool:
        """Devices are simulated (the demo): there is no drawer a hand could push shut."""

    def push_drawer_shut(self) -> None: ...

    def inject_scan(self, code: str) -> None: ...

    def wait_printed(self, timeout: float) -> bool: ...

    # --- selling ---------------------------------------------------------------------------

    def sale_snapshot(self) -> SaleSnapshot | None: ...

    def scan(self, code: str) -> SaleSnapshot: ...

    def add_sku(self, sku: str, qty_milli: int | None = None, price: int | None = None,
                approval: Approval | None = None) -> SaleSnapshot: ...

    def set_qty(self, line_no: int, qty_milli: int, approval: Approval | None = None
                ) -> SaleSnapshot: ...

    def set_price(self, line_no: int, price: int, approval: Approval | None = None
                  ) -> SaleSnapshot: ...

    def discount_line(self, line_no: int, percent_bp: int, approval: Approval | None = None
                      ) -> SaleSnapshot: ...

    def void_line(self, line_no: int, approval: Approval | None = None) -> SaleSnapshot: ...

    def start_payment(self, approval: Approval | None = None) -> SaleSnapshot: ...

    def back_to_cart(self) -> SaleSnapshot: ...

    def pay_cash(self, tendered: int, approval: Approval | None = None) -> SaleSnapshot: ...

    def pay_card(self, amount: int, approval: Approval | None = None) -> SaleSnapshot: ...

    def finish_sale(self) -> SaleSnapshot: ...

    def pay_qr(self, code: str, amount: int, approval: Approval | None = None
               ) -> SaleSnapshot: ...

    def new_sale(self) -> SaleSnapshot: ...

    def reprint_last(self) -> SaleSnapshot: ...

    def void_sale(self, reason: str = "", approval: Approval | None = None
                  ) -> SaleSnapshot: ...

    def suspend(self, approval: Approval | None = None) -> SaleSnapshot: ...

    def remove_tender(self, index: int, approval: Approval | None = None) -> SaleSnapshot: ...

    def recall(self, sale_id: str) -> SaleSnapshot: ...

    def search(self, text: str) -> list[Item]: ...

    def quick_keys(self) -> list[Item]: ...

    # --- shifts and reports ----------------------------------------------------------------

    def open_shift(self, opening_float: int, approval: Approval | None = None
                   ) -> ShiftView | None: ...

    def close_shift(self, counted: int, approval: Approval | None = None
                    ) -> ShiftClose: ...

    def report(self, kind: str, print_it: bool = False) -> Report: ...

    # --- staff -----------------------------------------------------------------------------

    def tiles(self) -> list[LoginTile]: ...

    def card_holder(self, code: str) -> LoginTile: ...

    def identify(self, code: str) -> LoginTile: ...

    def reasons(self) -> list[str]: ...

    def login(self, pin: str, *, card: str | None = None,
              staff_id: str | None = None) -> ClerkView: ...

    def change_pin(self, current: str, new: str, *, card: str | None = None,
                   staff_id: str | None = None) -> ClerkView: ...

    def logout(self, reason: str = "manual") -> None: ...

    def idle_logout(self, idle_seconds: float) -> bool: ...

    def idle_limit(self) -> int: ...

    def approve(self, right: str, card: str | None, pin: str, reason: str,
                staff_id: str | None = None) -> Approval:
        """By card, or by the approver's tile (``staff_id``) in a PIN-only store."""

    def checklist(self, staff_id: str | None = None) -> ChecklistView: ...

    def enter_training(self, card: str | None, pin: str,
                       staff_id: str | None = None) -> ClerkView: ...

    def leave_training(self) -> ClerkView: ...

    def find_receipt(self, *, number: int | None = None, qr: str | None = None
                     ) -> ReceiptView: ...

    def refund_amount(self, qty_by_line: Mapping[int, int]) -> int: ...

    def refund(self, qty_by_line: Mapping[int, int], reason: str,
               approval: Approval | None = None) -> RefundDone: ...

    def figures(self, period: str, start: str = "", end: str = "",
                everyone: bool = False) -> FiguresView: ...

    def export_figures(self, period: str, start: str = "", end: str = "",
                       everyone: bool = False) -> str: ...

    def rate_sale(self, sale_id: str, clerk_id: str, rating: int, training: bool) -> None: ...

    def no_sale(self, reason: str, approval: Approval | None = None) -> DrawerDone: ...

    def cash_move(self, direction: str, amount: int, reason: str,
                  approval: Approval | None = None) -> DrawerDone: ...

    def staff_list(self) -> list[StaffRow]: ...

    def staff_add(self, name: str, staff_id: str, role: str) -> StaffNotice: ...

    def staff_reset_pin(self, staff_id: str) -> StaffNotice: ...

    def staff_status(self, staff_id: str, status: str) -> StaffNotice: ...

    def staff_assign_card(self, staff_id: str, code: str) -> StaffNotice: ...

    def staff_record_training(self, staff_id: str, content: str, result: str
                              ) -> StaffNotice: ...

    def staff_graduate(self, staff_id: str) -> StaffNotice: ...
