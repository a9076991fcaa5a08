"""Turns an exception from the core into a stable code and a sentence a clerk can act on, in the
current language."""

from __future__ import annotations

from collections.abc import Callable

from terminal.core.errors import PosError
from terminal.core.rights import ApprovalRequired, PermissionDenied


def describe(exc: BaseException, _: Callable[[str], str]) -> tuple[str, str]:
    if isinstance(exc, PosError) and (
        exc.code.startswith("login.") or exc.code in ("pin.weak", "approval.refused")
    ):
        # Tries left, time still locked, why a new PIN is weak: in the clerk's language.
        from terminal.screens.pin_change import login_error_text

        return login_error_text(exc, _)
    if isinstance(exc, PermissionDenied):
        return "permission.denied", _("Not allowed: {reason}").format(reason=exc)
    if isinstance(exc, ApprovalRequired):
        return "approval.required", _("A supervisor must approve: {reason}").format(reason=exc)
    if isinstance(exc, PosError):
        known = {
            "scan.unknown": _("Unknown barcode: {detail}"),
            "catalog.not_found": _("Unknown item: {detail}"),
            "barcode.invalid": _("Barcode not valid: {detail}"),
            "payment.failed": _("Payment not completed: {detail}"),
            "ledger.write_failed": _("Could not save: {detail}. Nothing was lost; try again."),
            "login.failed": _("Wrong PIN: {detail}"),
            "login.unknown_card": _("Staff card not recognised."),
            "login.card_required": _("Scan your staff card first, then enter your PIN."),
            "login.inactive": _("This account cannot log in: {detail}"),
            "login.no_pin": _("No PIN issued yet: ask a manager."),
            "pin.weak": _("Choose another PIN: {detail}"),
            "login.locked": _("Account locked: {detail}"),
            "shift.invalid": _("Shift: {detail}"),
            "sale.illegal_step": _("Not possible now: {detail}"),
            "money.invalid": _("Amount not valid: {detail}"),
        }
        # The errors a clerk meets every day, said whole in the screen's language.
        plain = {
            "shift.not_open": _("Open a shift before selling."),
            "shift.open": _("Close the shift before the Z report."),
            "sale.empty": _("The cart is empty."),
            "sale.idle": _("No sale is open."),
            "sale.balance_due": _("A balance is still due."),
            "sale.payment_taken": _("Payment has been taken: finish the sale first."),
            "payment.declined": _("Payment declined. Try again or take another payment."),
            "payment.timeout": _("No answer from the payment provider. Try again or take "
                                 "another payment."),
            "barcode.check_digit": _("The barcode was misread: scan it again."),
            "item.needs_weight": _("Sold by weight: pick it from the quick keys or the search "
                                   "and type the weight."),
            "item.open_price": _("Pick it from the quick keys or the search and type the "
                                 "price."),
            "tender.amount": _("Type the amount handed over."),
            "tender.over": _("A card or QR payment cannot be more than the balance."),
            "tender.not_payment_code": _("That is not a WeChat Pay or Alipay payment code."),
            "line.embedded": _("A scale label's price cannot be changed."),
            "qty.range": _("That quantity is out of range."),
            "price.range": _("That price is out of range."),
        }
        if exc.code in plain:
            return exc.code, plain[exc.code]
        template = known.get(exc.code)
        if template is None and exc.code.startswith("barcode."):
            template = known["barcode.invalid"]
        if template is None:
            return exc.code, exc.message
        return exc.code, template.format(detail=exc.message)
    detail = f"{type(exc).__name__}: {exc}"
    return "internal", _("Something went wrong: {detail}").format(detail=detail)
