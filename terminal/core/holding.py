"""Leaving a sale and coming back to it: void, hold (suspend), park at logout, recall, and the
restart path that rebuilds every unfinished sale from the journal.

A held or parked sale is journaled (``sale.suspended``) with everything needed to rebuild it;
an open one is journaled as it changes (``sale.progress``, ``payment.authorised``). After a
restart ``restore_pending`` puts them all back: held and parked sales are listed for recall, and
an open sale interrupted by the restart comes back on screen for its clerk at their login, with
the payments already taken (or, where the store says so, with them reversed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from terminal.core.cart import CartLine, Discount
from terminal.core.errors import IllegalStep, NotFound, PosError
from terminal.core.pending import HELD, OPEN, PARKED, PendingSale, fold
from terminal.core.records import Item, JournalEntry
from terminal.core.rights import Approval, Right
from terminal.core.sale import Sale, SaleState
from terminal.core.session import sale_action
from terminal.core.tendering import Tendering
from terminal.core.tenders import CASH
from terminal.core.views import SaleSnapshot


class Holding(Tendering):
    """The void, hold and recall steps of ``SaleSession``."""

    @sale_action
    def void_sale(self, *, reason: str = "", approval: Approval | None = None) -> SaleSnapshot:
        """Abandon the open sale. Payments already taken are reversed with their provider
        (mobile and card) or handed back (cash), each journaled, before the void is."""
        sale = self._current("void the sale")
        if sale.state not in (SaleState.OPEN, SaleState.TENDERING):
            raise IllegalStep(
                f"cannot void: the sale is {sale.state.value}", code=f"sale.{sale.state.value}"
            )
        journaled = self._durable is not None and self._durable[0] == sale.sale_id
        if not sale.cart.lines and not sale.tenders and not journaled:
            self._sale = None
            return self.snapshot()
        total = sale.total
        approver = self.guard.require(
            Right.VOID_SALE, amount=total, approval=approval, subject=self._subject(total=total)
        )
        for tender in list(sale.tenders):
            self._reverse_and_journal(sale, tender, reason or "sale voided")
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
        self._durable = None
        return self.snapshot()

    @sale_action
    def suspend(self, *, approval: Approval | None = None, parked: bool = False) -> SaleSnapshot:
        """Hold the open sale (``parked``: its clerk is logging out and gets it back at their
        next login)."""
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
                "parked": parked,
                **self._body(sale),
            },
            what="the suspended sale",
        )
        sale.suspend()
        self._suspended[sale.sale_id] = sale
        self._held_by[sale.sale_id] = (PARKED if parked else HELD, self.clerk_id)
        self._sale = None
        self._durable = None
        return self.snapshot()

    @sale_action
    def recall(self, sale_id: str) -> SaleSnapshot:
        if self._sale is not None:
            raise IllegalStep("finish, suspend or void the open sale first", code="sale.open")
        if sale_id not in self._suspended:
            raise NotFound(f"no suspended sale {sale_id}", code="sale.not_suspended")
        self._recall(sale_id)
        return self.snapshot()

    def _recall(self, sale_id: str) -> None:
        sale = self._suspended[sale_id]
        self._post(
            "sale.recalled",
            {"sale_id": sale.sale_id, "lines": [ln.spec() for ln in sale.cart.lines]},
            what="the recalled sale",
        )
        del self._suspended[sale_id]
        self._held_by.pop(sale_id, None)
        sale.recall()
        if sale.tenders:
            sale.state = SaleState.TENDERING
        # The sale is paid into the drawer of the shift it is finished in.
        sale.shift_id = None if self.training else self._shift_id()
        self._sale = sale
        self._done = None
        self._max_checked = 0
        self._unjournaled = []
        self._mark_durable(sale)

    @sale_action
    def resume_own(self) -> SaleSnapshot:
        """At login: with no sale open, bring back this clerk's sale that a restart interrupted,
        else the one they parked by logging out. Held sales stay held."""
        if self._sale is None:
            mine = [
                (status != OPEN, sid)
                for sid, (status, clerk) in self._held_by.items()
                if clerk == self.clerk_id and status in (OPEN, PARKED)
            ]
            if mine:
                self._recall(min(mine)[1])
        return self.snapshot()

    @sale_action
    def restore_pending(self, pending: Iterable[PendingSale]) -> SaleSnapshot:
        """Rebuild the unfinished sales the ledger knows (``Ledger.pending_sales``) after a
        restart; sales of the other mode (training or not) and ones already here are skipped.
        With the store's ``reverse_interrupted_payments``, the mobile and card payments of an
        interrupted open sale are reversed with their provider and the reversal journaled."""
        problems = []
        for p in pending:
            if p.training != self.training or p.sale_id in self._suspended:
                continue
            if self._sale is not None and self._sale.sale_id == p.sale_id:
                continue
            try:
                sale = self._rebuild(p)
            except (PosError, LookupError, ValueError, TypeError) as e:
                # One sale the catalog no longer fits (a tax class removed) must not keep the
                # clerk from logging in; it stays pending and is named on screen.
                problems.append(f"sale {p.sale_id[:8]} could not be restored: {e}")
                continue
            self._suspended[p.sale_id] = sale
            self._held_by[p.sale_id] = (p.status, p.staff_id)
            if p.status == OPEN and self.settings.reverse_interrupted_payments:
                for rec in [t for t in sale.tenders if t.kind != CASH]:
                    try:
                        self._reverse_and_journal(sale, rec, "reversed after a restart")
                    except PosError as e:
                        problems.append(e.message)
        if problems:
            self._notice = "; ".join(problems)
        return self.snapshot()

    def restore_suspended(self, entries: Iterable[JournalEntry]) -> SaleSnapshot:
        """``restore_pending`` over journal entries (the day's, oldest first), for held and
        parked sales only."""
        return self.restore_pending(p for p in fold(entries) if p.status != OPEN)

    def _rebuild(self, p: PendingSale) -> Sale:
        sale = self._new_sale(p.sale_id, p.started_at or self._now_iso(), p.shift_id)
        for spec in p.lines:
            sale.cart.restore_line(self._line(spec))
        disc: Mapping[str, Any] | None = p.sale_discount
        if disc:
            sale.cart.set_sale_discount(
                Discount(
                    percent_bp=disc.get("percent_bp"),
                    amount=disc.get("amount"),
                    approver_id=disc.get("approver_id"),
                    reason=disc.get("reason") or "",
                )
            )
        sale.tenders.extend(p.payments)
        sale.state = SaleState.SUSPENDED
        return sale

    def _line(self, spec: Mapping[str, Any]) -> CartLine:
        # An item since removed from the catalog still comes back as it was sold.
        item = self.catalog.by_sku(str(spec["sku"])) or Item(
            sku=str(spec["sku"]),
            name=str(spec.get("name") or spec["sku"]),
            name_zh="",
            price=int(spec["unit_price"]),
            tax_class=str(spec.get("tax_class") or "standard"),
        )
        tax = self.catalog.tax_class(str(spec.get("tax_class") or item.tax_class))
        return CartLine.from_spec(dict(spec), item, tax)
