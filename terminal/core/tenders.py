"""Tender arithmetic: what a payment covers, the change it gives, and the quick-cash amounts a
customer is likely to hand over."""

from __future__ import annotations

from terminal.core.errors import IllegalStep, InvalidInput
from terminal.core.ports import PaymentResult
from terminal.core.records import TenderRecord

CASH = "cash"
CARD = "card"
QR = "qr"
KINDS = (CASH, CARD, QR)


def quick_cash(due: int, denominations: tuple[int, ...], count: int = 4) -> list[int]:
    """The exact amount, then the next round amounts of each note above it, smallest first:
    due 37.20 with notes 10/20/50/100 gives 37.20, 40, 50, 100."""
    if due <= 0:
        return []
    amounts = {due}
    for note in sorted(set(denominations)):
        if note <= 0:
            continue
        up = -(-due // note) * note
        if up > due:
            amounts.add(up)
    return sorted(amounts)[:count]


def electronic_tender(kind: str, amount: int, balance: int, result: PaymentResult) -> TenderRecord:
    """The record of an approved card or QR payment."""
    if kind not in (CARD, QR):
        raise ValueError(f"{kind!r} is not an electronic tender")
    if amount > balance:
        raise IllegalStep("a card or QR payment cannot exceed the balance", code="tender.over")
    return TenderRecord(
        kind=kind,
        amount=amount,
        tendered=amount,
        change=0,
        reference=result.reference,
        provider=result.provider,
    )


def check_electronic_amount(amount: int, balance: int) -> None:
    if amount <= 0:
        raise InvalidInput("a payment must be more than zero", code="tender.amount")
    if amount > balance:
        raise IllegalStep(
            "a card or QR payment cannot be more than the balance due", code="tender.over"
        )
