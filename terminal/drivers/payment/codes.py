"""What the live payment-code adapters share: the merchant's order numbers, derived from the sale
and the tender so that asking again can never charge again, and the normalised answer every
provider call is turned into."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from enum import Enum

MAX_ATTEMPTS = 9
"""Order numbers one tender may use. Each attempt that ended (declined, closed, reversed) burns
its number at the provider, so a new scan for the same tender needs the next one."""


class State(Enum):
    PAID = "paid"
    PENDING = "pending"
    """The customer is confirming on the phone (password, large amount)."""
    FAILED = "failed"
    """Definitely not paid; the reason is the provider's."""
    UNKNOWN = "unknown"
    """No answer, a system error, a bad signature: the money may or may not have moved."""
    USED = "used"
    """The order number belongs to an earlier attempt: settle that one, then take the next."""
    DONE = "done"
    """A reverse or a refund was accepted."""


@dataclass(frozen=True, slots=True)
class Answer:
    state: State
    transaction_id: str = ""
    """The provider's own number: its transaction id, or its refund id for a refund."""
    code: str = ""
    """The provider's error or status code (NOTENOUGH, ACQ.BUYER_BALANCE_NOT_ENOUGH ...)."""
    message: str = ""
    amount: int | None = None
    """What the provider says was paid, in fen, when it says."""


def _digest(text: str, length: int) -> str:
    raw = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.b32encode(raw).decode("ascii").rstrip("=")[:length]


def trade_number(prefix: str, sale_id: str, tender_no: int, attempt: int) -> str:
    """``prefix`` + 24 characters of the sale + two digits of tender + one of attempt: 28
    characters of [A-Z2-7], inside both WeChat's (32) and Alipay's (64) limits and alphabets.
    The prefix names the provider, so a reference alone says where to refund it."""
    if not 1 <= tender_no <= 99:
        raise ValueError(f"tender number must be 1-99, not {tender_no}")
    if not 1 <= attempt <= MAX_ATTEMPTS:
        raise ValueError(f"attempt must be 1-{MAX_ATTEMPTS}, not {attempt}")
    return f"{prefix}{_digest(sale_id, 24)}{tender_no:02d}{attempt}"


def refund_number(refund_id: str, reference: str) -> str:
    """The same refund of the same payment always gets the same number, so the provider pays a
    retried refund back once."""
    return "R" + _digest(f"{refund_id}|{reference}", 27)


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def fen(text: str) -> int:
    """ "12.30" -> 1230; raises ValueError on anything that is not a plain amount."""
    whole, _, part = text.strip().partition(".")
    if not whole.isdigit() or not (part == "" or (part.isdigit() and len(part) <= 2)):
        raise ValueError(f"not an amount: {text!r}")
    return int(whole) * 100 + int(part.ljust(2, "0") or 0)


WECHAT_REASONS: dict[str, str] = {
    "NOTENOUGH": "insufficient balance",
    "NOTSUPORTCARD": "the customer's card cannot be used here",
    "AUTHCODEEXPIRE": "the payment code has expired: ask the customer to refresh it",
    "AUTH_CODE_ERROR": "the payment code was already used: ask the customer to refresh it",
    "AUTH_CODE_INVALID": "not a WeChat Pay payment code",
    "ORDERCLOSED": "the order was closed",
    "ORDERREVERSED": "the order was reversed",
    "BUYER_MISMATCH": "a different customer paid this order before",
    "TRADE_ERROR": "refused by the provider's risk control",
    "PARAM_ERROR": "the provider refused the request's fields",
    "SIGNERROR": "the provider refused the signature: check the API key",
    "APPID_MCHID_NOT_MATCH": "the app id does not belong to the merchant id",
    "NOAUTH": "the merchant may not take payment codes",
    "ERROR": "the provider refused",
    "TRADE_OVERDUE": "the payment is too old to refund",
    "USER_ACCOUNT_ABNORMAL": "the customer's account cannot receive the refund",
    "INVALID_REQ_TOO_MUCH": "too many refunds of this payment",
    "FREQUENCY_LIMITED": "refunds of one payment must be a minute apart",
}

ALIPAY_REASONS: dict[str, str] = {
    "ACQ.BUYER_BALANCE_NOT_ENOUGH": "insufficient balance",
    "ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH": "insufficient balance on the customer's card",
    "ACQ.PAYMENT_AUTH_CODE_INVALID": "the payment code has expired: ask the customer to refresh it",
    "ACQ.TOTAL_FEE_EXCEED": "the amount is over the limit",
    "ACQ.BUYER_SELLER_EQUAL": "the customer cannot pay the merchant's own account",
    "ACQ.TRADE_BUYER_NOT_MATCH": "a different customer paid this order before",
    "ACQ.ACCESS_FORBIDDEN": "the merchant may not take payment codes",
    "ACQ.INVALID_PARAMETER": "the provider refused the request's fields",
    "ACQ.REASON_TRADE_REFUND_FEE_ERR": "the refund is more than what is left of the payment",
    "ACQ.SELLER_BALANCE_NOT_ENOUGH": "the merchant's balance cannot cover the refund",
    "ACQ.TRADE_NOT_EXIST": "the provider does not know this payment",
    "ACQ.TRADE_STATUS_ERROR": "the payment cannot be refunded in its present state",
    "ACQ.DISCORDANT_REPEAT_REQUEST": "a refund under this number had other fields",
    "isv.invalid-signature": "the provider refused the signature: check the app key",
    "isv.invalid-app-id": "the provider does not know the app id",
}


def reason(table: dict[str, str], code: str, provider_text: str) -> str:
    """The clerk's reason in English with the provider's code and own words after it, so the
    screen can translate the known ones and support can look up the rest."""
    known = table.get(code)
    tail = ", ".join(t for t in (code, provider_text) if t)
    if known:
        return f"{known} ({tail})" if tail else known
    return provider_text or code or "declined"
