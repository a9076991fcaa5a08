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
        template = known.get(exc.code)
        if template is None:
            return exc.code, exc.message
        return exc.code, template.format(detail=exc.message)
    detail = f"{type(exc).__name__}: {exc}"
    return "internal", _("Something went wrong: {detail}").format(detail=detail)
