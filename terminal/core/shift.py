"""Shifts and the cash drawer outside sales: open with a float, cash in and out, no-sale opens,
close with a blind count, and the X (mid-shift) and Z (end of day, numbered) reports."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from terminal.core import receipt as receipts
from terminal.core.errors import IllegalStep, InvalidInput, NotFound, ShiftError
from terminal.core.guard import ClerkActions
from terminal.core.pending import UnfinishedSales
from terminal.core.ports import CashDrawer, Clock, Ledger, ReceiptPrinter
from terminal.core.records import PrintDoc, ReportTotals
from terminal.core.rights import Approval, Gate, Right
from terminal.core.settings import StoreSettings


@dataclass(frozen=True, slots=True)
class ShiftClose:
    shift_id: str
    counted: int
    expected: int
    over_short: int
    """counted - expected: positive is over, negative is short."""
    totals: ReportTotals

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["totals"] = self.totals.to_payload()
        return d


@dataclass(frozen=True, slots=True)
class Report:
    report: str
    """"x" or "z"."""
    number: int | None
    totals: ReportTotals
    doc: PrintDoc
    duplicate: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "report": self.report,
            "number": self.number,
            "duplicate": self.duplicate,
            "totals": self.totals.to_payload(),
        }


class ShiftService(ClerkActions):
    def __init__(
        self,
        *,
        ledger: Ledger,
        printer: ReceiptPrinter,
        drawer: CashDrawer,
        clock: Clock,
        gate: Gate,
        settings: StoreSettings,
        clerk_id: str,
        training: bool = False,
        clerk_name: str = "",
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self.ledger = ledger
        self.printer = printer
        self.drawer = drawer
        self.clock = clock
        self.gate = gate
        self.settings = settings
        self.clerk_id = clerk_id
        self.training = training
        self.clerk_name = clerk_name
        self._new_id = new_id or (lambda: uuid.uuid4().hex)
        self.notice = ""

    def current(self) -> Mapping[str, Any] | None:
        return self.ledger.current_shift()

    def _open_shift_id(self) -> str:
        shift = self.ledger.current_shift()
        if shift is None:
            raise ShiftError("no shift is open", code="shift.not_open")
        return str(shift["shift_id"])

    def _kick(self, reason: str, **extra: Any) -> None:
        """Journal the opening, then open: a drawer that opened is never missing from the
        journal. A failed kick is reported, the entry stays (the clerk may open it by key)."""
        self._post("drawer.opened", {"reason": reason, **extra}, what="the drawer opening")
        if self.training:
            return
        try:
            self.drawer.open()
        except OSError as e:
            self.notice = f"drawer did not open: {e}"

    @staticmethod
    def _amount(amount: int, what: str, *, allow_zero: bool = False) -> None:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise InvalidInput(f"{what} must be a whole number of minor units", code="amount")
        if amount < 0 or (amount == 0 and not allow_zero):
            raise InvalidInput(f"{what} must be more than zero", code="amount")

    # -- shift -----------------------------------------------------------------------------

    def open_shift(self, opening_float: int, *, approval: Approval | None = None) -> str:
        self._amount(opening_float, "the opening float", allow_zero=True)
        if self.ledger.current_shift() is not None:
            raise IllegalStep("a shift is already open", code="shift.open")
        self.guard.require(Right.SHIFT_OPEN, amount=opening_float, approval=approval)
        shift_id = self._new_id()
        self._post(
            "shift.opened",
            {"shift_id": shift_id, "opening_float": opening_float},
            what="the shift opening",
        )
        return shift_id

    def cash_in(self, amount: int, reason: str, *, approval: Approval | None = None) -> None:
        self._move("shift.cash_in", amount, reason, approval)

    def cash_out(self, amount: int, reason: str, *, approval: Approval | None = None) -> None:
        self._move("shift.cash_out", amount, reason, approval)

    def _move(self, kind: str, amount: int, reason: str, approval: Approval | None) -> None:
        self._amount(amount, "the amount")
        if not reason.strip():
            raise InvalidInput("give a reason for the cash movement", code="cash_move.reason")
        shift_id = self._open_shift_id()
        approver = self.guard.require(
            Right.CASH_MOVE,
            amount=amount,
            approval=approval,
            subject={"shift_id": shift_id, "kind": kind},
        )
        self._post(
            kind,
            {
                "shift_id": shift_id,
                "amount": amount,
                "reason": reason.strip(),
                "approver_id": approver,
            },
            what="the cash movement",
        )
        self._kick("cash_move", shift_id=shift_id, approver_id=approver)

    def no_sale(self, reason: str, *, approval: Approval | None = None) -> None:
        """Open the drawer without a sale (change for a note, ...): always journaled with who
        opened it, why and who approved it."""
        if not reason.strip():
            raise InvalidInput("give a reason for opening the drawer", code="no_sale.reason")
        shift = self.ledger.current_shift()
        shift_id = str(shift["shift_id"]) if shift else None
        approver = self.guard.require(
            Right.NO_SALE, approval=approval, subject={"shift_id": shift_id}
        )
        self._kick("no_sale", shift_id=shift_id, approver_id=approver, note=reason.strip())

    def _refuse_unfinished(self, action: str) -> None:
        """Sales still open, parked or held (this terminal's, from the journal) must be
        recalled and finished or voided before the cash is counted: a close never leaves one
        outstanding without the closing clerk deciding."""
        pending = self.ledger.pending_sales(training=self.training)
        if pending:
            raise UnfinishedSales(action, pending)

    def close_shift(self, counted: int, *, approval: Approval | None = None) -> ShiftClose:
        """Blind count: the clerk enters the cash counted before seeing what was expected."""
        self._amount(counted, "the counted cash", allow_zero=True)
        shift_id = self._open_shift_id()
        self._refuse_unfinished("close the shift")
        self.guard.require(
            Right.SHIFT_CLOSE, amount=counted, approval=approval, subject={"shift_id": shift_id}
        )
        totals = self.ledger.totals(shift_id=shift_id)
        expected = totals.expected_cash
        result = ShiftClose(shift_id, counted, expected, counted - expected, totals)
        self._post(
            "shift.closed",
            {
                "shift_id": shift_id,
                "counted": counted,
                "expected": expected,
                "over_short": counted - expected,
                "totals": totals.to_payload(),
            },
            what="the shift close",
        )
        try:
            self.printer.submit(
                receipts.shift_close_doc(
                    result.to_dict(),
                    self.settings,
                    printed_at=self.clock.now(),
                    clerk_name=self.clerk_name,
                )
            )
        except Exception as e:  # the close is stored; a printing problem is reported
            self.notice = f"shift slip not printed: {e}"
        return result

    # -- reports ---------------------------------------------------------------------------

    def _print(self, doc: PrintDoc, report: str, number: int | None, duplicate: bool) -> None:
        try:
            self.printer.submit(doc)
        except Exception as e:  # the report is computed (and a Z stored); printing is retried
            self.notice = f"report not printed: {e}"
            return
        self._post(
            "report.printed",
            {"report": report, "number": number, "duplicate": duplicate},
            what="the report print",
        )

    def x_report(self, *, approval: Approval | None = None, print_it: bool = True) -> Report:
        """Figures for the open shift so far; changes nothing."""
        shift_id = self._open_shift_id()
        self.guard.require(Right.REPORT_X, approval=approval, subject={"shift_id": shift_id})
        totals = self.ledger.totals(shift_id=shift_id)
        doc = receipts.report_doc(
            "x",
            totals,
            self.settings,
            printed_at=self.clock.now(),
            clerk_name=self.clerk_name,
            shift_id=shift_id,
            training=self.training,
        )
        if print_it:
            self._print(doc, "x", None, False)
        return Report("x", None, totals, doc)

    def z_report(self, *, approval: Approval | None = None, print_it: bool = True) -> Report:
        """Close the business day: everything since the last Z, numbered from the "z" series.
        Shifts must be closed first so the day's cash is counted."""
        # Unfinished sales first: the clerk sees everything still outstanding before the count.
        self._refuse_unfinished("close the day")
        if self.ledger.current_shift() is not None:
            raise IllegalStep("close the shift before the Z report", code="shift.open")
        self.guard.require(Right.REPORT_Z, approval=approval)
        totals = self.ledger.totals(since_last_z=True)
        last_z = self.ledger.last_z()
        last = self.ledger.last_entry()
        from_seq = int(last_z["to_seq"]) + 1 if last_z else 1
        to_seq = last.seq if last else 0
        entry = self._post(
            "report.z",
            {"from_seq": from_seq, "to_seq": to_seq, "totals": totals.to_payload()},
            series="z",
            what="the Z report",
        )
        doc = receipts.report_doc(
            "z",
            totals,
            self.settings,
            printed_at=self.clock.now(),
            number=entry.number,
            clerk_name=self.clerk_name,
            training=self.training,
        )
        if print_it:
            self._print(doc, "z", entry.number, False)
        return Report("z", entry.number, totals, doc)

    def reprint_z(self, number: int, *, approval: Approval | None = None) -> Report:
        self.guard.require(Right.REPORT_Z, approval=approval)
        z = self.ledger.z_report(number)
        if z is None:
            raise NotFound(f"there is no Z report {number}", code="report.not_found")
        totals = ReportTotals.from_payload(dict(z["totals"]))
        ts = z.get("ts")
        printed = datetime.fromisoformat(str(ts)) if ts else self.clock.now()
        doc = receipts.report_doc(
            "z",
            totals,
            self.settings,
            printed_at=printed,
            number=number,
            duplicate=True,
            copy_no=self.clock.now().strftime("%Y%m%d%H%M%S%f"),
            clerk_name=self.clerk_name,
            training=self.training,
        )
        self._print(doc, "z", number, True)
        return Report("z", number, totals, doc, duplicate=True)
