"""The simulated mobile-QR payment provider (WeChat Pay / Alipay payment codes).

Outcomes are decided by rules on the payment code and the amount, so a demo or a test gets the
same answer for the same input, every time:

- a code ending in one of ``decline_suffixes`` ("0000") is declined (insufficient balance);
- a code ending in one of ``timeout_suffixes`` ("9999") times out: the result carries the
  attempt's reference so the caller can cancel it, as with a real provider;
- an amount listed in ``decline_amounts``/``timeout_amounts``, or above ``max_amount``, likewise;
- anything else that looks like a WeChat Pay or Alipay code is approved.

Like a real provider, it is idempotent per sale: charging a sale that already has an approved
charge returns that charge instead of taking the money twice. Cancel and refund are recorded, and
a refund never pays back more than was charged.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from terminal.core.ports import PaymentOutcome, PaymentResult


@dataclass(frozen=True, slots=True)
class QrRules:
    decline_suffixes: tuple[str, ...] = ("0000",)
    timeout_suffixes: tuple[str, ...] = ("9999",)
    decline_amounts: frozenset[int] = frozenset()
    timeout_amounts: frozenset[int] = frozenset()
    max_amount: int | None = None
    """Single-payment limit in minor units; None: no limit."""


@dataclass(slots=True)
class Charge:
    sale_id: str
    payment_code: str
    amount: int
    currency: str
    reference: str
    outcome: PaymentOutcome
    wallet: str
    cancelled: bool = False
    refunded: int = 0
    refunds: list[str] = field(default_factory=list)


def wallet_of(code: str) -> str | None:
    """ "wechat" for 18 digits starting 10-15, "alipay" for 16-24 digits starting 25-30."""
    if not code.isdigit():
        return None
    if len(code) == 18 and 10 <= int(code[:2]) <= 15:
        return "wechat"
    if 16 <= len(code) <= 24 and 25 <= int(code[:2]) <= 30:
        return "alipay"
    return None


class SimulatedQrProvider:
    def __init__(
        self,
        rules: QrRules | None = None,
        *,
        latency: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rules = rules or QrRules()
        self.latency = latency
        self.sleep = sleep
        self._lock = threading.Lock()
        self.charges: dict[str, Charge] = {}
        """By reference, every attempt including declined and timed-out ones."""
        self.cancelled: list[tuple[str, str]] = []

    def charge(
        self, payment_code: str, amount: int, currency: str, sale_id: str, tender_no: int = 1
    ) -> PaymentResult:
        if amount <= 0:
            raise ValueError(f"payment amount must be positive, not {amount}")
        if self.latency:
            self.sleep(self.latency)
        code = payment_code.strip()
        wallet = wallet_of(code)
        if wallet is None:
            return PaymentResult(
                PaymentOutcome.DECLINED,
                message="not a WeChat Pay or Alipay payment code",
                provider="sim-qr",
            )
        provider = f"sim-{wallet}"
        with self._lock:
            for c in self.charges.values():
                if (
                    c.sale_id == sale_id
                    and c.outcome is PaymentOutcome.APPROVED
                    and not c.cancelled
                    and (c.payment_code, c.amount) == (code, amount)
                ):
                    return PaymentResult(PaymentOutcome.APPROVED, c.reference, "", provider)
            reference = self._reference(sale_id, code, amount, len(self.charges))
            outcome, message = self._decide(code, amount)
            self.charges[reference] = Charge(
                sale_id, code, amount, currency, reference, outcome, wallet
            )
        return PaymentResult(outcome, reference, message, provider)

    def cancel(self, sale_id: str, reference: str) -> None:
        with self._lock:
            self.cancelled.append((sale_id, reference))
            c = self.charges.get(reference)
            if c is not None and c.sale_id == sale_id:
                c.cancelled = True

    def refund(self, sale_id: str, reference: str, amount: int) -> PaymentResult:
        if amount <= 0:
            raise ValueError(f"refund amount must be positive, not {amount}")
        with self._lock:
            c = self.charges.get(reference)
            if c is None or c.outcome is not PaymentOutcome.APPROVED or c.cancelled:
                return PaymentResult(
                    PaymentOutcome.DECLINED,
                    message=f"no approved payment {reference!r} to refund",
                    provider="sim-qr",
                )
            if c.refunded + amount > c.amount:
                return PaymentResult(
                    PaymentOutcome.DECLINED,
                    message=f"refund exceeds what is left of the payment "
                    f"({c.amount - c.refunded} of {c.amount})",
                    provider=f"sim-{c.wallet}",
                )
            c.refunded += amount
            ref = self._reference(sale_id, reference, amount, len(c.refunds), prefix="SIMRF")
            c.refunds.append(ref)
        return PaymentResult(PaymentOutcome.APPROVED, ref, "", f"sim-{c.wallet}")

    def _decide(self, code: str, amount: int) -> tuple[PaymentOutcome, str]:
        r = self.rules
        if code.endswith(r.timeout_suffixes) or amount in r.timeout_amounts:
            return PaymentOutcome.TIMEOUT, "the provider did not answer in time"
        if code.endswith(r.decline_suffixes) or amount in r.decline_amounts:
            return PaymentOutcome.DECLINED, "insufficient balance"
        if r.max_amount is not None and amount > r.max_amount:
            return PaymentOutcome.DECLINED, "amount exceeds the single-payment limit"
        return PaymentOutcome.APPROVED, ""

    @staticmethod
    def _reference(sale_id: str, code: str, amount: int, n: int, prefix: str = "SIMQR") -> str:
        digest = hashlib.sha256(f"{sale_id}|{code}|{amount}|{n}".encode()).hexdigest()
        return prefix + digest[:20].upper()
