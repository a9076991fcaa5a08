"""Turns an exception from the core into a stable code and a sentence a clerk can act on, in the
current language.

The core's messages are English and meant for logs and the journal; the screen says the same
thing from the error's ``code`` (or, for a refusal, the right and its limit) in the clerk's
language. Only a code this module does not know falls back to the core's own message. Login
failures (tries left, time locked, why a new PIN is weak) are here too: an approval dialog meets
them as well as the login screen.
"""

from __future__ import annotations

from collections.abc import Callable

from terminal.core.auth import AccountLocked, LoginFailed
from terminal.core.errors import PosError
from terminal.core.pending import UnfinishedSales
from terminal.core.rights import ApprovalRequired, Decision, PermissionDenied, Right
from terminal.screens.i18n import N_
from terminal.screens.payment_texts import provider_reasons
from terminal.screens.presenters import money

RIGHT_ACTIONS: dict[Right, str] = {
    Right.TENDER_CASH: N_("take cash"),
    Right.TENDER_CARD: N_("take card payments"),
    Right.TENDER_QR: N_("take mobile QR payments"),
    Right.SALE_MAX_AMOUNT: N_("complete a sale this large"),
    Right.DAILY_COLLECTION: N_("collect more today"),
    Right.DISCOUNT: N_("give a discount"),
    Right.PRICE_OVERRIDE: N_("change a price"),
    Right.OPEN_PRICE: N_("type an open price"),
    Right.VOID_LINE: N_("void a line"),
    Right.VOID_SALE: N_("void a sale"),
    Right.SUSPEND_SALE: N_("suspend a sale"),
    Right.REFUND_WITH_RECEIPT: N_("refund with a receipt"),
    Right.REFUND_WITHOUT_RECEIPT: N_("refund without a receipt"),
    Right.NO_SALE: N_("open the drawer without a sale"),
    Right.CASH_MOVE: N_("put cash in or take cash out"),
    Right.SHIFT_OPEN: N_("open a shift"),
    Right.SHIFT_CLOSE: N_("close a shift"),
    Right.REPORT_X: N_("print the X report"),
    Right.REPORT_Z: N_("run the Z report"),
    Right.REPORT_STORE: N_("see the whole store's figures"),
    Right.MEMBER_LOOKUP: N_("look up members"),
    Right.MEMBER_ENROLL: N_("enroll members"),
    Right.MEMBER_POINTS: N_("adjust member points"),
    Right.SETTINGS: N_("change settings"),
    Right.STAFF_MANAGE: N_("manage staff"),
    Right.TRAINING_SUPERVISE: N_("supervise training"),
}
"""What each right lets a clerk do, as the end of "you may not ..." in every language."""

CODE_MESSAGES: dict[str, str] = {
    # Selling
    "scan.empty": N_("Nothing was read: scan again."),
    "scan.unknown": N_("Unknown barcode: it is not an item, card, receipt or payment code."),
    "scan.too_long": N_("That scan was far longer than any barcode and was ignored: scan "
                        "again."),
    "scan.gs1_label": N_("That is a GS1 logistics label (dates, batch), not an item or a "
                         "payment code: scan the item's own barcode."),
    "scan.not_item": N_("That code is not an item."),
    "catalog.not_found": N_("That item is not in the catalog."),
    "catalog.inactive": N_("That item is no longer sold."),
    "catalog.tax_class": N_("The item's tax class is missing from the catalog: ask a manager."),
    "item.needs_weight": N_("Sold by weight: pick it from the quick keys or the search and type "
                            "the weight."),
    "item.open_price": N_("Pick it from the quick keys or the search and type the price."),
    "item.not_open_price": N_("This item has a catalog price: use a price change instead."),
    "line.embedded": N_("A scale label's price cannot be changed."),
    "line.unknown": N_("That line is not in the sale."),
    "line.voided": N_("That line is already voided."),
    "qty.range": N_("That quantity is out of range."),
    "qty.invalid": N_("That quantity is not valid."),
    "qty.type": N_("That quantity is not valid."),
    "qty.whole": N_("This item is sold in whole pieces."),
    "price.range": N_("That price is out of range."),
    "discount.range": N_("That discount is out of range."),
    "discount.kind": N_("A discount is either a percentage or an amount."),
    "login.required": N_("Log in first."),
    "sale.empty": N_("The cart is empty."),
    "sale.idle": N_("No sale is open."),
    "sale.negative": N_("The total is below zero: payment cannot be taken."),
    "sale.open": N_("Finish, suspend or void the open sale first."),
    "sale.paid": N_("The sale is fully paid: finish it first."),
    "sale.suspended": N_("Recall or void the suspended sales first."),
    "sale.not_suspended": N_("That sale is not on hold."),
    "sale.none_completed": N_("No completed sale to print again."),
    "sale.balance_due": N_("A balance is still due."),
    "sale.payment_taken": N_("Payment has been taken: finish the sale first."),
    "sale.card_taken": N_("A card payment was taken: finish the sale and refund it."),
    # Paying
    "payment.declined": N_("Payment declined. Try again or take another payment."),
    "payment.timeout": N_("No answer from the payment provider. Try again or take another "
                          "payment."),
    "tender.amount": N_("Type the amount handed over."),
    "tender.over": N_("A card or QR payment cannot be more than the balance."),
    "tender.not_payment_code": N_("That is not a WeChat Pay or Alipay payment code."),
    # Barcodes
    "barcode.check_digit": N_("The barcode was misread: scan it again."),
    "barcode.value_check_digit": N_("The scale label was misread: scan it again."),
    "barcode.empty": N_("The barcode is empty: scan it again."),
    "barcode.length": N_("The barcode has the wrong length: scan it again."),
    "barcode.not_digits": N_("The barcode is not all digits: scan it again."),
    "barcode.not_variable": N_("That is not a scale label."),
    "barcode.upce_system": N_("This short (UPC-E) barcode cannot be used: type the item's SKU."),
    "barcode.weight_for_piece_item": N_("A weight label on an item sold by the piece: scan the "
                                        "item's own barcode."),
    "barcode.zero_weight": N_("The scale label shows no weight: weigh it again."),
    # Amounts
    "amount": N_("Type an amount above zero."),
    "money.empty": N_("Type an amount."),
    "money.negative": N_("The amount cannot be below zero."),
    "money.not_a_number": N_("That is not an amount."),
    "money.too_many_decimals": N_("Too many decimal places."),
    "money.currency": N_("Unknown currency: check the store settings."),
    # Drawer, shift and reports
    "no_sale.reason": N_("Choose a reason for opening the drawer."),
    "cash_move.reason": N_("Choose a reason for the cash movement."),
    "approval.reason": N_("Choose a reason from the list."),
    "shift.not_open": N_("Open a shift before selling."),
    "shift.open": N_("Close the shift before the Z report."),
    "payment.not_recorded": N_("The payment could not be saved, so it was cancelled with the "
                               "provider: nothing was charged. Fix the problem and take it "
                               "again."),
    "payment.reverse_failed": N_("The payment could not be reversed with its provider. Try "
                                 "again, or finish the sale and refund it."),
    "tender.not_found": N_("That payment is not on the sale."),
    "sale.unfinished": N_("Not closed: some sales are not finished. Recall each from Held "
                          "sales and finish it, or void it with a reason."),
    "report.not_found": N_("There is no such Z report."),
    "ledger.write_failed": N_("Could not save. Nothing was lost; try again."),
    "ledger.disk_full": N_("The disk is full: nothing was saved and nothing is lost. Free space "
                           "or call the technician, then try again."),
    "ledger.read_only": N_("The disk has become read-only: nothing was saved and nothing is "
                           "lost. Call the technician, then try again."),
    # Refunds
    "refund.no_receipt": N_("Scan the receipt or type its number."),
    "refund.not_found": N_("No sale with that receipt on this terminal."),
    "refund.bad_receipt_qr": N_("The receipt's code is damaged: type the receipt number."),
    "refund.not_receipt_qr": N_("That is not a receipt code."),
    "refund.other_terminal": N_("This receipt is from another terminal: refund it there."),
    "refund.nothing": N_("Choose at least one line to refund."),
    "refund.nothing_left": N_("Everything on this sale was already refunded."),
    "refund.over_quantity": N_("More than is left to refund on that line."),
    "refund.qty": N_("Refund a quantity above zero; items sold by the piece in whole pieces."),
    "refund.reason": N_("Give a reason for the refund."),
    "refund.pending": N_("An earlier refund is not saved yet: retry it first."),
    "refund.none_pending": N_("No refund is waiting to be saved."),
    "refund.setup": N_("Refunds without a receipt need the catalog."),
    "refund.training_mismatch": N_("Training sales are refunded in training mode only, real sales "
                                   "only outside it."),
    "refund.unknown_line": N_("That line is not on the receipt."),
    # Staff and training
    "rating.invalid": N_("A rating is a whole number from 1 to 5."),
    "staff.card_taken": N_("This card belongs to someone else: revoke it there first."),
    "staff.duplicate": N_("That account id is taken."),
    "staff.stale": N_("Someone changed this account meanwhile: reload and try again."),
    "staff.training_required": N_("This role needs the training checklist completed first."),
    "training.trainee": N_("Trainees sell in training mode until a supervisor signs off the "
                           "checklist."),
}
"""Every code the core raises that can reach a clerk, said whole in the screen's language."""

DATA_DIR_MESSAGES: dict[str, str] = {
    "ledger.disk_full": N_("The disk holding the data directory {path} is full: nothing was "
                           "saved and nothing is lost. Free space there or call the technician, "
                           "then try again (a paid sale: tap Finish)."),
    "ledger.read_only": N_("The data directory {path} has become read-only: nothing was saved "
                           "and nothing is lost. Call the technician to check the SD card or "
                           "disk, then try again (a paid sale: tap Finish)."),
    "ledger.write_failed": N_("Could not save to the data directory {path}: nothing was lost. "
                              "Check its disk or call the technician, then try again (a paid "
                              "sale: tap Finish)."),
    "data_dir.full": N_("The terminal cannot start: the disk holding the data directory {path} "
                        "is full. Free space there or call the technician, then restart the "
                        "terminal."),
    "data_dir.read_only": N_("The terminal cannot start: the data directory {path} is "
                             "read-only. Call the technician to check the SD card or disk, then "
                             "restart the terminal."),
    "data_dir.unusable": N_("The terminal cannot start: the data directory {path} cannot be "
                            "used. Call the technician, then restart the terminal."),
}
"""A ledger that cannot be written, said with the directory to look at and what to do."""

DETAIL_MESSAGES: dict[str, str] = {
    "input.invalid": N_("Not valid: {detail}"),
    "not_found": N_("Not found: {detail}"),
    "refund.invalid": N_("Refund not possible: {detail}"),
    "training.invalid": N_("Training: {detail}"),
    "staff.invalid": N_("Staff: {detail}"),
    "barcode.invalid": N_("Barcode not valid: {detail}"),
    "payment.failed": N_("Payment not completed: {detail}"),
    "shift.invalid": N_("Shift: {detail}"),
    "sale.illegal_step": N_("Not possible now: {detail}"),
    "money.invalid": N_("Amount not valid: {detail}"),
}
"""A family's generic code, used when a service raised it without a more precise one: the
core's words are the only detail there is."""


SCANNER_STATES: dict[str, str] = {
    "unplugged": N_("unplugged"),
    "disconnected": N_("disconnected"),
    "busy": N_("held by another program"),
}
"""A scanner's state as the banner names it; the driver's own detail stays in the state."""


def limit_text(decision: Decision, currency: str, _: Callable[[str], str]) -> str:
    """A right's limit as the clerk reads it: money, a percentage, days or points."""
    limit = decision.limit
    if limit is None:
        return ""
    name = decision.limit_name
    if name in ("max_age_days", "store_max_age_days"):
        return _("{n} days").format(n=limit)
    if name == "max_bp" or decision.right is Right.DISCOUNT:
        return f"{limit / 100:g} %"
    if decision.right is Right.MEMBER_POINTS:
        return str(limit)
    return money(limit, currency)


def refusal_text(exc: PermissionDenied | ApprovalRequired, _: Callable[[str], str],
                 currency: str) -> tuple[str, str]:
    d = exc.decision
    action = _(RIGHT_ACTIONS[d.right]) if d.right in RIGHT_ACTIONS else d.right.value
    if isinstance(exc, ApprovalRequired):
        if d.limit is not None and d.limit_name:
            return "approval.required", _("A supervisor must approve: over your limit to "
                                          "{action} ({limit}).").format(
                action=action, limit=limit_text(d, currency, _))
        return "approval.required", _("A supervisor must approve: {reason}").format(
            reason=action)
    if d.limit_name == "store_max_age_days":
        return "permission.denied", _("This store refunds receipts up to {limit} old.").format(
            limit=limit_text(d, currency, _))
    if d.reason.startswith("approval refused"):
        return "permission.denied", _("Approval refused: {reason}").format(
            reason=_("the approver may not {action}").format(action=action))
    return "permission.denied", _("You may not {action}.").format(action=action)


def describe(exc: BaseException, _: Callable[[str], str], currency: str = "CNY",
             data_dir: str = "") -> tuple[str, str]:
    if isinstance(exc, PosError) and (
        (exc.code.startswith("login.") and exc.code != "login.required")
        or exc.code in ("pin.weak", "approval.refused")
    ):
        # Tries left, time still locked, why a new PIN is weak: in the clerk's language.
        return login_error_text(exc, _)
    if isinstance(exc, (PermissionDenied, ApprovalRequired)):
        return refusal_text(exc, _, currency)
    if isinstance(exc, UnfinishedSales):
        return exc.code, unfinished_text(exc, _)
    if isinstance(exc, PosError):
        path = str(getattr(exc, "path", "") or data_dir)
        if exc.code in DATA_DIR_MESSAGES and path:
            return exc.code, _(DATA_DIR_MESSAGES[exc.code]).format(path=path)
        if exc.code in ("payment.declined", "payment.timeout"):
            why = provider_reasons(exc.message, _)
            return exc.code, " ".join(t for t in (_(CODE_MESSAGES[exc.code]), why) if t)
        if exc.code in CODE_MESSAGES:
            return exc.code, _(CODE_MESSAGES[exc.code])
        template = DETAIL_MESSAGES.get(exc.code)
        if template is None and exc.code.startswith("barcode."):
            template = DETAIL_MESSAGES["barcode.invalid"]
        if template is None:
            return exc.code, exc.message
        return exc.code, _(template).format(detail=exc.message)
    detail = f"{type(exc).__name__}: {exc}"
    return "internal", _("Something went wrong: {detail}").format(detail=detail)


UNFINISHED_STATUS = {"held": N_("on hold"), "parked": N_("parked at logout"),
                     "open": N_("open")}


def unfinished_text(exc: UnfinishedSales, _: Callable[[str], str]) -> str:
    """The close refused over sales still open or held, each named by the start of its id,
    its state and its clerk."""
    names = ", ".join(
        _("{sale} ({status}, clerk {clerk})").format(
            sale=p.sale_id[:8], status=_(UNFINISHED_STATUS.get(p.status, p.status)),
            clerk=p.staff_id or "?")
        for p in exc.sales)
    return _("Not closed: sales not finished: {sales}. Recall each from Held sales and finish "
             "it, or void it with a reason.").format(sales=names)


WEAK_PIN: dict[str, str] = {
    "a PIN is digits only": N_("A PIN is digits only."),
    "a PIN may not repeat one digit (like 0000)": N_(
        "A PIN may not repeat one digit (like 0000)."),
    "a PIN may not be a run of digits (like 1234 or 4321)": N_(
        "A PIN may not be a run of digits (like 1234 or 4321)."),
    "a PIN may not repeat a short pattern (like 1212)": N_(
        "A PIN may not repeat a short pattern (like 1212)."),
    "a PIN may not be a straight line on the keypad (like 2580)": N_(
        "A PIN may not be a straight line on the keypad (like 2580)."),
    "the new PIN must differ from the old one": N_("The new PIN must differ from the old one."),
}


LOGIN_MESSAGES: dict[str, str] = {
    "login.failed": N_("Wrong PIN."),
    "login.locked": N_("Account locked: ask a manager or wait."),
    "login.pin_change_required": N_("Choose a new PIN before you start."),
    "login.unknown_card": N_("Card not recognised."),
    "login.not_staff_card": N_("That is not a staff card."),
    "login.card_required": N_("Scan your staff card first."),
    "login.inactive": N_("This account is not active."),
    "login.no_pin": N_("No PIN issued yet: ask a manager."),
    "login.ambiguous": N_("This PIN does not identify one person: scan your card."),
}
"""Login failures by code; tries left and time still locked are said where they are known."""


def duration_text(seconds: int, _: Callable[[str], str]) -> str:
    if seconds < 120:
        return _("{n} s").format(n=seconds)
    if seconds < 7200:
        return _("{n} min").format(n=(seconds + 59) // 60)
    return _("{n} h").format(n=(seconds + 3599) // 3600)


def login_error_text(exc: BaseException, _: Callable[[str], str]) -> tuple[str, str]:
    """A login or approval failure as (code, sentence) in the current language."""
    if isinstance(exc, AccountLocked):
        return "login.locked", _("Account locked: try again in {time}.").format(
            time=duration_text(exc.seconds, _))
    if isinstance(exc, LoginFailed):
        code = exc.code
        if exc.remaining is not None and code == "login.failed":
            return code, _("Wrong PIN: {n} more tries before the account locks.").format(
                n=exc.remaining)
        if code in LOGIN_MESSAGES:
            return code, _(LOGIN_MESSAGES[code])
        return code, _("Wrong PIN: {detail}").format(detail=exc.message)
    if isinstance(exc, PosError):
        if exc.code == "pin.weak":
            message = WEAK_PIN.get(exc.message)
            text = _(message) if message else exc.message
            return exc.code, _("PIN refused: {reason}").format(reason=text)
        if exc.code == "approval.refused":
            right = getattr(exc, "right", None)
            if getattr(exc, "own", False):
                reason = _("a clerk cannot approve their own action")
            elif right is not None:
                reason = _("the approver may not {action}").format(
                    action=_(RIGHT_ACTIONS[right]) if right in RIGHT_ACTIONS else right.value)
            else:
                reason = exc.message
            return exc.code, _("Approval refused: {reason}").format(reason=reason)
        if exc.code == "login.not_staff_card":
            return exc.code, _("That is not a staff card.")
        if exc.code in LOGIN_MESSAGES:
            return exc.code, _(LOGIN_MESSAGES[exc.code])
        if exc.code.startswith("login."):
            return exc.code, exc.message
    return describe(exc, _)
