"""The staff side of the terminal facade: login by tile, card and PIN, first-login PIN change,
quick clerk switch and idle logout with each clerk's sale parked, supervisor approvals, training
mode, refunds, clerk figures, the drawer outside a sale and staff management.

``Terminal`` (``app/facade.py``) inherits this, so the screens call one object. Every method
runs on the worker (it reads the ledger, hashes PINs, prints) and returns plain dicts; the core
services decide rights and journal. No Kivy here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terminal.core.auth import AuthService, LoginTile, Session
from terminal.core.device_state import DrawerDone
from terminal.core.errors import IllegalStep, InvalidInput
from terminal.core.refund_views import ReceiptView, RefundDone
from terminal.core.rights import Approval, PermissionDenied, Right, Verdict
from terminal.core.scan import ReadKind, classify
from terminal.core.staff_views import FiguresView, StaffNotice, StaffRow
from terminal.core.views import ChecklistView, ClerkView, ShiftView

if TYPE_CHECKING:
    from terminal.core.checkout import SaleSession
    from terminal.core.refund import RefundableSale
    from terminal.core.shift import ShiftService
    from terminal.core.staff_wiring import StaffServices


class StaffDesk:
    """The staff half of the facade; holds the refund in progress and the session of the mode
    not in use. The names below are the facade's, set when its services are attached."""

    config: Any
    settings: Any
    ledger: Any
    catalog: Any
    printer: Any
    payments: Any
    clock: Any
    gate: Any
    auth: AuthService
    staff: StaffServices
    session: SaleSession | None
    shifts: ShiftService | None

    def _serve(self, session: Session) -> None:
        raise NotImplementedError

    def _counted_drawer(self) -> Any:
        raise NotImplementedError

    def refresh_shift(self) -> ShiftView | None:
        raise NotImplementedError

    def __init__(self) -> None:
        self._refunds: Any = None
        self._refund_clerk: tuple[str, bool] | None = None
        self.found: RefundableSale | None = None
        """The ``RefundableSale`` the refund screen shows."""
        self._sessions: dict[bool, Any] = {}
        """The sale session of the mode not in use (training or real), kept for its sales."""

    # --- small reads ------------------------------------------------------------------------

    def pin_only(self) -> bool:
        return bool(self.auth.config.pin_only_login)

    def tiles(self) -> list[LoginTile]:
        """Login tiles for PIN-only stores (none where a card is required)."""
        if not self.pin_only():
            return []
        return self.auth.tiles()

    def read_kind(self, code: str) -> ReadKind:
        """What a scan is, by the store's scan rules; the one place the app classifies reads
        (the sale session classifies the reads it is handed)."""
        s = self.settings
        return classify(code, s.scan_rules, s.variable_measure).kind

    def _staff_card(self, code: str) -> str:
        kind = self.read_kind(code)
        if kind is not ReadKind.STAFF_CARD:
            raise InvalidInput(f"{kind.value} read: scan a staff card",
                               code="login.not_staff_card")
        return code

    def identify(self, code: str) -> LoginTile:
        """A scanned staff card: whose it is (the supervisor dialog greets them). Anything else
        that was scanned is refused with a message saying what it was."""
        return self.auth.identify_card(self._staff_card(code))

    def card_holder(self, code: str) -> LoginTile:
        """The login tile of a card scanned at the login screen; any code that is no known card
        is journaled as a failed login."""
        return self.auth.identify_card(code)

    def reasons(self) -> list[str]:
        return list(self.staff.approvals.reasons)

    # --- login, PIN change, switch, logout --------------------------------------------------

    def login(self, pin: str, *, card: str | None = None,
              staff_id: str | None = None) -> ClerkView:
        """Log in, or take over from the clerk at the till: the current clerk's open sale is
        parked (suspended, journaled) for them and the new clerk's own parked sale comes back."""
        if self.auth.current is None:
            session = self.auth.login(pin, card=card, staff_id=staff_id)
        else:
            # Authenticate before parking, so a wrong PIN leaves the sale where it was.
            member, cred = self.auth.verify(pin, card=card, staff_id=staff_id)
            if cred.must_change:
                from terminal.core.auth import PinChangeRequired

                raise PinChangeRequired(member.staff_id)
            parked = self._park() if member.staff_id != self.auth.current.staff_id else None
            session = self.auth.switch(pin, card=card, staff_id=staff_id, open_sale=parked)
        return self._opened(session)

    def change_pin(self, current: str, new: str, *, card: str | None = None,
                   staff_id: str | None = None) -> ClerkView:
        if self.auth.current is not None:
            self.logout("switch")
        return self._opened(self.auth.change_pin(current, new, card=card, staff_id=staff_id))

    def logout(self, reason: str = "manual") -> None:
        self.auth.logout(reason, open_sale=self._park())

    def idle_logout(self, idle_seconds: float) -> bool:
        """The UI saw no input for ``idle_seconds``: log out when that reaches the configured
        limit, parking the open sale. Returns True when it logged out."""
        limit = self.auth.config.idle_logout_seconds
        if self.auth.current is None or limit <= 0 or idle_seconds < limit:
            return False
        try:
            parked = self._park()
        except IllegalStep:
            return False  # part of the sale is paid: the clerk is still serving someone
        self.auth.logout("idle", open_sale=parked)
        return True

    def idle_limit(self) -> int:
        return int(self.auth.config.idle_logout_seconds)

    def _park(self) -> str | None:
        """Suspend the open sale (if it has lines and no payment) and return its id."""
        session = self.session
        if session is None:
            return None
        snap = session.snapshot()
        if snap.state not in ("open", "tendering") or not snap.lines:
            return None
        if snap.tenders:
            raise IllegalStep("finish the payment before another clerk takes over",
                              code="sale.payment_taken")
        if snap.state == "tendering":
            session.back_to_cart()
        session.suspend(parked=True)
        return str(snap.sale_id)

    def _mode_session(self, training: bool) -> None:
        """Real and training selling each keep their own sale session, so a sale (open or
        parked) of one mode never blocks a clerk of the other from logging in."""
        current = self.session
        if current is None or current.training == training:
            return
        self._sessions[current.training] = current
        self.session = self._sessions.pop(training, None)

    def _opened(self, session: Session) -> ClerkView:
        self._mode_session(session.training)
        self._serve(session)
        parked = session.parked_sale
        if parked and self.session is not None and self.session.state.value not in (
                "open", "tendering"):
            try:
                self.session.recall(str(parked))
            except Exception:
                # A parked sale recalled elsewhere (or voided) is simply gone; the clerk starts
                # a fresh one.
                pass
        if self.session is not None:
            if self.session.state.value in ("completed", "voided", "suspended"):
                # A sale finished before the log-in is the last customer's, paid or voided:
                # a clerk who logs in starts with an empty cart, never that sale as if open.
                self.session.new_sale()
            # After a restart: the sale the clerk was serving, or had parked, comes back.
            self.session.resume_own()
        return self._clerk_view(session)

    def _clerk_view(self, session: Session) -> ClerkView:
        member = self.staff.directory.member(session.staff_id)
        return ClerkView(
            staff_id=session.staff_id, name=session.name, role=session.role,
            training=session.training,
            name_zh=member.name_zh if member else "",
            trainee=bool(member.trainee) if member else False,
            store_scope=self.staff.evaluation.store_scope(session.staff_id),
            checklist=self.checklist(session.staff_id) if session.training else None,
        )

    def clerk(self) -> ClerkView | None:
        s = self.auth.current
        return None if s is None else self._clerk_view(s)

    # --- approvals and supervision ----------------------------------------------------------

    def approve(self, right: str, card: str | None, pin: str, reason: str,
                staff_id: str | None = None) -> Approval:
        """By the approver's card, or by their tile (``staff_id``) in a PIN-only store."""
        s = self.auth.current
        if s is None:
            raise IllegalStep("log in first", code="login.required")
        sale = self.session.snapshot().sale_id if self.session is not None else None
        return self.staff.approvals.approve(
            clerk_id=s.staff_id, right=Right(right), card=card, pin=pin, reason=reason,
            training=s.training, context=str(sale or ""), staff_id=staff_id,
        )

    def checklist(self, staff_id: str | None = None) -> ChecklistView:
        sid = staff_id or (self.auth.current.staff_id if self.auth.current else "")
        c = self.staff.training.checklist(sid)
        return ChecklistView(counts=dict(c.counts), missing=c.missing)

    def enter_training(self, card: str | None, pin: str,
                       staff_id: str | None = None) -> ClerkView:
        s = self.auth.current
        if s is None:
            raise IllegalStep("log in first", code="login.required")
        self.staff.training.enter(s, card=card, pin=pin, staff_id=staff_id)
        return self._reopened(s)

    def leave_training(self) -> ClerkView:
        s = self.auth.current
        if s is None:
            raise IllegalStep("log in first", code="login.required")
        self.staff.training.leave(s)
        return self._reopened(s)

    def _reopened(self, session: Session) -> ClerkView:
        # The sale and shift services follow the clerk's new mode; a sale open in the old mode
        # waits in that mode's session.
        self._mode_session(session.training)
        self._serve(session)
        return self._clerk_view(session)

    # --- refunds ----------------------------------------------------------------------------

    def _refund_service(self) -> Any:
        s = self.auth.current
        if s is None:
            raise IllegalStep("log in first", code="login.required")
        key = (s.staff_id, s.training)
        if self._refunds is None or self._refund_clerk != key:
            from terminal.core.refund import RefundService

            self._refunds = RefundService(
                ledger=self.ledger, printer=self.printer, drawer=self._counted_drawer(),
                payments=self.payments, clock=self.clock, gate=self.gate,
                settings=self.settings, clerk_id=s.staff_id, training=s.training,
                clerk_name=s.name, catalog=self.catalog, staff_name=self.staff.name_of,
            )
            self._refund_clerk = key
        return self._refunds

    def find_receipt(self, *, number: int | None = None, qr: str | None = None
                     ) -> ReceiptView:
        svc = self._refund_service()
        self.found = svc.find(receipt_no=number, qr=qr)
        return self._refundable_view(self.found)

    def _refundable_view(self, found: RefundableSale) -> ReceiptView:
        local = self.settings.local(datetime.fromisoformat(found.record.completed_at))
        return ReceiptView.of(found, local.isoformat())

    def refund_amount(self, qty_by_line: Mapping[int, int]) -> int:
        """What the chosen quantities refund, computed the way the refund will compute it."""
        from terminal.core.refund import refund_lines

        if self.found is None or not qty_by_line:
            return 0
        _lines, raw, before = refund_lines(self.found, dict(qty_by_line))
        paid = self.found.record.total
        return max(0, min(before + raw, paid) - min(before, paid))

    def refund(self, qty_by_line: Mapping[int, int], reason: str,
               approval: Approval | None = None) -> RefundDone:
        if self.found is None:
            raise InvalidInput("scan the receipt or type its number", code="refund.no_receipt")
        svc = self._refund_service()
        record = svc.refund(self.found, {int(k): int(v) for k, v in qty_by_line.items()},
                            reason=reason, approval=approval)
        self.found = None
        self.refresh_shift()
        return RefundDone.of(record, svc.notice)

    # --- figures ----------------------------------------------------------------------------

    def period(self, name: str, start: str = "", end: str = "") -> tuple[str, str, str, str]:
        """(since, until) as UTC ISO instants, and the local dates shown, for "today", "week"
        (Monday on), "month" (last 30 days) or "custom" (``start``/``end`` as YYYYMMDD,
        inclusive)."""
        tz = self.settings.tz()
        today = datetime.now(tz).date()
        if name == "today":
            first, last = today, today
        elif name == "week":
            first, last = today - timedelta(days=today.weekday()), today
        elif name == "month":
            first, last = today - timedelta(days=29), today
        elif name == "custom":
            try:
                first = date(int(start[:4]), int(start[4:6]), int(start[6:8]))
                last = date(int(end[:4]), int(end[4:6]), int(end[6:8]))
            except (ValueError, IndexError):
                raise InvalidInput("type the period as two dates, YYYYMMDD YYYYMMDD",
                                   code="figures.period") from None
            if last < first:
                raise InvalidInput("the period ends before it starts", code="figures.period")
        else:
            raise InvalidInput(f"unknown period {name!r}", code="figures.period")
        since = datetime.combine(first, datetime.min.time(), tz)
        until = datetime.combine(last + timedelta(days=1), datetime.min.time(), tz)
        return since.isoformat(), until.isoformat(), first.isoformat(), last.isoformat()

    def figures(self, period: str, start: str = "", end: str = "",
                everyone: bool = False) -> FiguresView:
        s = self.auth.current
        if s is None:
            raise IllegalStep("log in first", code="login.required")
        since, until, first, last = self.period(period, start, end)
        ev = self.staff.evaluation
        rows = ev.figures(s.staff_id, staff_id=None if everyone else s.staff_id,
                          since=since, until=until)
        return FiguresView(period=period, first=first, last=last, everyone=everyone,
                           store_scope=ev.store_scope(s.staff_id), rows=tuple(rows),
                           names_zh={r.staff_id: self._name_zh(r.staff_id) for r in rows})

    def _name_zh(self, staff_id: str) -> str:
        member = self.staff.directory.member(staff_id)
        return member.name_zh if member else ""

    def export_figures(self, period: str, start: str = "", end: str = "",
                       everyone: bool = False) -> str:
        """Write the figures as CSV into the data directory; returns the file's path."""
        s = self.auth.current
        if s is None:
            raise IllegalStep("log in first", code="login.required")
        since, until, first, last = self.period(period, start, end)
        text = self.staff.evaluation.export_csv(
            s.staff_id, staff_id=None if everyone else s.staff_id, since=since, until=until)
        folder = Path(self.config.data_dir) / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        who = "all" if everyone else s.staff_id
        path = folder / f"figures-{who}-{first}-{last}.csv"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        return str(path)

    def rate_sale(self, sale_id: str, clerk_id: str, rating: int, training: bool) -> None:
        self.staff.ratings.rate(sale_id, clerk_id, rating, training=training)

    # --- the drawer outside a sale --------------------------------------------------------

    def _shifts(self) -> Any:
        if self.auth.current is None or self.shifts is None:
            raise IllegalStep("log in first", code="login.required")
        return self.shifts

    def no_sale(self, reason: str, approval: Approval | None = None) -> DrawerDone:
        """Open the drawer without a sale (journaled with the reason and any approver)."""
        if not reason.strip():
            raise InvalidInput("choose a reason", code="drawer.reason")
        self._shifts().no_sale(reason, approval=approval)
        return DrawerDone("no_sale", reason)

    def cash_move(self, direction: str, amount: int, reason: str,
                  approval: Approval | None = None) -> DrawerDone:
        """Cash into (``in``) or out of (``out``) the drawer during the shift."""
        if not reason.strip():
            raise InvalidInput("choose a reason", code="drawer.reason")
        shifts = self._shifts()
        if direction == "in":
            shifts.cash_in(amount, reason, approval=approval)
        elif direction == "out":
            shifts.cash_out(amount, reason, approval=approval)
        else:
            raise InvalidInput("cash moves in or out", code="drawer.direction")
        self.refresh_shift()
        return DrawerDone(f"cash_{direction}", reason, amount)

    # --- staff management on the terminal (the staff service checks the manager's rights) ---

    def _by(self) -> str:
        if self.auth.current is None:
            raise IllegalStep("log in first", code="login.required")
        return str(self.auth.current.staff_id)

    def staff_list(self) -> list[StaffRow]:
        """Everyone's records, for those who manage staff or supervise training."""
        by = self._by()
        perm = self.staff.permissions
        decision = perm.check(by, Right.STAFF_MANAGE)
        if decision.verdict is not Verdict.ALLOW and perm.check(
                by, Right.TRAINING_SUPERVISE).verdict is not Verdict.ALLOW:
            raise PermissionDenied(decision)
        return [StaffRow(staff_id=m.staff_id, name=m.name, name_zh=m.name_zh, role=m.role,
                         status=m.status.value, trainee=m.trainee,
                         cards=len(self.staff.directory.cards_of(m.staff_id)),
                         training=tuple(r.to_payload() for r in m.training))
                for m in self.staff.directory.members()]

    def staff_add(self, name: str, staff_id: str, role: str) -> StaffNotice:
        """Add a clerk with a generated initial PIN, returned once to hand over."""
        by = self._by()
        self.staff.staff.add({"staff_id": staff_id, "name": name, "role": role}, by=by)
        pin = self.staff.staff.reset_pin(staff_id, by=by)
        return StaffNotice(staff_id, pin=pin)

    def staff_reset_pin(self, staff_id: str) -> StaffNotice:
        return StaffNotice(staff_id, pin=self.staff.staff.reset_pin(staff_id, by=self._by()))

    def staff_status(self, staff_id: str, status: str) -> StaffNotice:
        member = self.staff.staff.set_status(staff_id, status, by=self._by())
        return StaffNotice(staff_id, status=member.status.value)

    def staff_assign_card(self, staff_id: str, code: str) -> StaffNotice:
        self._staff_card(code)
        return StaffNotice(staff_id,
                           tag=self.staff.staff.assign_card(staff_id, code, by=self._by()))

    def staff_record_training(self, staff_id: str, content: str, result: str
                              ) -> StaffNotice:
        record = self.staff.staff.record_training(staff_id, content, result, by=self._by())
        return StaffNotice(staff_id, record=record.to_payload())

    def staff_graduate(self, staff_id: str) -> StaffNotice:
        member = self.staff.staff.graduate(staff_id, by=self._by())
        return StaffNotice(staff_id, signed_off=not member.trainee)
