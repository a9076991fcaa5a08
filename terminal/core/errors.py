"""The errors core services raise, each with a stable ``code`` the UI and the automation channel
can switch on, and a message a clerk can read."""

from __future__ import annotations


class PosError(Exception):
    """Base of every domain error. ``code`` never changes once published; the message may."""

    code = "pos.error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class InvalidInput(PosError, ValueError):
    """Typed or scanned input that cannot be used; nothing was changed."""

    code = "input.invalid"


class MoneyFormatError(InvalidInput):
    code = "money.invalid"


class BarcodeError(InvalidInput):
    code = "barcode.invalid"


class NotFound(PosError, LookupError):
    code = "not_found"


class IllegalStep(PosError):
    """The action does not fit the sale's current state (tender with an empty cart, ...)."""

    code = "sale.illegal_step"


class PaymentFailed(PosError):
    """A card or QR payment was declined or timed out; the sale is still payable."""

    code = "payment.failed"


class JournalError(PosError):
    """The ledger refused a write (disk full, I/O error); the action did not happen and the sale
    is still intact in memory."""

    code = "ledger.write_failed"


class RefundError(PosError):
    code = "refund.invalid"


class ShiftError(PosError):
    code = "shift.invalid"
