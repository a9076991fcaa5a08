"""The payment-code state machine both providers require, around one provider's API.

pay → (paid | failed | customer confirming | unknown) → query every ``poll_s`` until paid,
failed or ``deadline_s`` → on the deadline or a still-unknown answer, reverse (WeChat
``reverse``, Alipay ``trade.cancel``) and say so in the result, which the caller journals.
Every order ends paid, failed or reversed: nothing is left that could still take money.

An order number comes from the sale and the tender (``codes.trade_number``), so a retry after a
crash asks about the same order instead of charging again. When the provider says a number
belongs to an earlier attempt, that attempt is settled first: paid with the same amount is this
payment; anything still open is reversed; then the next number is used.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from terminal.core.ports import PaymentOutcome, PaymentResult
from terminal.drivers.payment.codes import (
    MAX_ATTEMPTS,
    Answer,
    State,
    refund_number,
    trade_number,
)
from terminal.drivers.payment.http import ProviderError

NO_SUCH_ORDER = frozenset({"ORDERNOTEXIST", "ACQ.TRADE_NOT_EXIST"})
"""What WeChat and Alipay answer a query about an order number they never accepted."""

log = logging.getLogger(__name__)


class ProviderApi(Protocol):
    """One provider's calls, each answering an ``Answer`` or raising ``ProviderError``.
    ``timeout`` is the longest the call may wait for its answer."""

    name: str
    prefix: str

    def pay(self, out_trade_no: str, auth_code: str, amount: int, timeout: float) -> Answer: ...

    def query(self, out_trade_no: str, timeout: float) -> Answer: ...

    def reverse(self, out_trade_no: str, timeout: float) -> Answer: ...

    def refund(
        self, out_trade_no: str, out_refund_no: str, amount: int, timeout: float
    ) -> Answer: ...


@dataclass(frozen=True, slots=True)
class Timing:
    deadline_s: float = 45.0
    """From the pay call to the last query (WeChat closes unpaid payment-code orders at 45 s)."""
    poll_s: float = 5.0
    reverse_after_s: float = 15.0
    """WeChat: never reverse sooner than this after charging."""
    reverse_tries: int = 5
    reverse_gap_s: float = 2.0
    call_timeout_s: float = 10.0
    refund_tries: int = 3


class CodeProvider:
    """A ``PaymentProvider`` for one wallet (WeChat Pay or Alipay)."""

    def __init__(
        self,
        api: ProviderApi,
        timing: Timing | None = None,
        *,
        currency: str = "CNY",
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.timing = timing or Timing()
        self.currency = currency
        self._now = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._ended: set[str] = set()
        """Numbers known to be closed at the provider in this run: not tried again."""
        self._reversed: set[str] = set()
        self._unconfirmed: set[str] = set()
        """Reversals the charge tried and could not get confirmed."""
        self.reversals: list[str] = []

    # -- charge ----------------------------------------------------------------------------------

    def charge(
        self, payment_code: str, amount: int, currency: str, sale_id: str, tender_no: int = 1
    ) -> PaymentResult:
        if amount <= 0:
            raise ValueError(f"payment amount must be positive, not {amount}")
        if currency != self.currency:
            return self._result(PaymentOutcome.DECLINED, "", f"only {self.currency} is taken")
        for attempt in range(1, MAX_ATTEMPTS + 1):
            number = trade_number(self.api.prefix, sale_id, tender_no, attempt)
            with self._lock:
                if number in self._ended:
                    continue
            started = self._now()
            answer = self._call(partial(self.api.pay, number, payment_code, amount))
            if answer.state is State.USED:
                earlier = self._settle_earlier(number, amount)
                if earlier is not None:
                    return earlier
                continue
            return self._follow(number, answer, amount, started)
        return self._result(
            PaymentOutcome.DECLINED, "", "every order number of this tender is used up"
        )

    def _follow(self, number: str, answer: Answer, amount: int, started: float) -> PaymentResult:
        t = self.timing
        while True:
            if answer.state is State.PAID and answer.amount in (None, amount):
                return self._result(PaymentOutcome.APPROVED, number, answer.transaction_id)
            if answer.state is State.FAILED:
                self._end(number)
                return self._result(PaymentOutcome.DECLINED, number, answer.message)
            if answer.state is State.PAID:
                log.error(
                    "%s order %s paid %s, not %s", self.api.name, number, answer.amount, amount
                )
            left = started + t.deadline_s - self._now()
            if left <= 0:
                break
            self._sleep(min(t.poll_s, left))
            answer = self._call(partial(self.api.query, number))
        wait = started + t.reverse_after_s - self._now()
        if wait > 0:
            self._sleep(wait)
        if self._reverse(number):
            message = (
                f"no confirmation within {t.deadline_s:g} s ({answer.message or answer.state.value}"
                "); the payment was reversed, nothing was taken"
            )
        else:
            message = (
                f"no confirmation within {t.deadline_s:g} s and the reversal was not confirmed: "
                "check the customer's phone before charging again"
            )
        return self._result(PaymentOutcome.TIMEOUT, number, message)

    def _settle_earlier(self, number: str, amount: int) -> PaymentResult | None:
        """The provider holds an earlier order under ``number``: paid with this amount, it is
        this payment (approved, charged once); otherwise it is closed for good (reversed if it
        could still take money) and None sends the caller to the next number, or, when the
        reversal is not confirmed, a timeout stops the charge."""
        answer = self._call(partial(self.api.query, number))
        if answer.state is State.PAID and answer.amount == amount:
            return self._result(PaymentOutcome.APPROVED, number, answer.transaction_id)
        if answer.state is not State.FAILED and not self._reverse(number):
            # Still open, unknown, or paid with another amount by an attempt the terminal never
            # recorded, and it would not close: charging under the next number could charge
            # the customer twice.
            return self._result(
                PaymentOutcome.TIMEOUT,
                number,
                f"an earlier attempt ({answer.message or answer.state.value}) could not be "
                "closed and the reversal was not confirmed: check the customer's phone before "
                "charging again",
            )
        self._end(number)
        return None

    # -- after a restart -------------------------------------------------------------------------

    def settle(
        self, sale_id: str, tender_no: int, amount: int | None = None
    ) -> PaymentResult | None:
        """Close what a charge cut short (the terminal died while the customer was confirming):
        every order of this tender is asked about in turn. A paid one (of ``amount``) is the
        tender's payment: approved, for the caller to record. Anything still open is reversed.
        None: nothing was paid and nothing is left open. A timeout: a reversal was not
        confirmed and the customer's phone must be checked."""
        paid: PaymentResult | None = None
        unconfirmed = ""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            number = trade_number(self.api.prefix, sale_id, tender_no, attempt)
            try:
                answer = self.api.query(number, self.timing.call_timeout_s)
            except ProviderError as exc:
                return self._result(
                    PaymentOutcome.TIMEOUT, number, f"cannot settle an interrupted payment: {exc}"
                )
            if answer.code in NO_SUCH_ORDER:
                break  # numbers are taken in order: no later attempt exists
            if answer.state is State.FAILED:
                self._end(number)
                continue
            fits = answer.state is State.PAID and amount in (None, answer.amount)
            if fits and paid is None:
                paid = self._result(PaymentOutcome.APPROVED, number, answer.transaction_id)
            elif not self._reverse(number):
                unconfirmed = number
        if paid is not None:
            return paid
        if unconfirmed:
            return self._result(
                PaymentOutcome.TIMEOUT,
                unconfirmed,
                "reversing an interrupted payment was not confirmed: check the customer's phone",
            )
        return None

    # -- cancel and refund -----------------------------------------------------------------------

    def cancel(self, sale_id: str, reference: str) -> None:
        """Reverse the order ``reference``; raises ``ProviderError`` when that is not confirmed."""
        if not reference.startswith(self.api.prefix):
            return
        with self._lock:
            if reference in self._reversed:
                return
            if reference in self._unconfirmed:
                # Just tried, every try, inside the charge: trying again at once would only
                # keep the clerk waiting as long again.
                raise ProviderError(f"{self.api.name} did not confirm reversing {reference}")
        if not self._reverse(reference):
            raise ProviderError(f"{self.api.name} did not confirm reversing {reference}")

    def refund(self, sale_id: str, reference: str, amount: int) -> PaymentResult:
        """``amount`` of the payment ``reference`` back to the payer; ``sale_id`` is the refund's
        own id, so a retried refund has the same refund number and pays back once."""
        if amount <= 0:
            raise ValueError(f"refund amount must be positive, not {amount}")
        out_refund_no = refund_number(sale_id, reference)
        answer = Answer(State.UNKNOWN)
        for _ in range(self.timing.refund_tries):
            answer = self._call(partial(self.api.refund, reference, out_refund_no, amount))
            if answer.state is State.DONE:
                return self._result(PaymentOutcome.APPROVED, answer.transaction_id, "")
            if answer.state is State.FAILED:
                return self._result(PaymentOutcome.DECLINED, "", answer.message)
            self._sleep(self.timing.reverse_gap_s)
        return self._result(
            PaymentOutcome.TIMEOUT,
            "",
            f"the refund was not confirmed ({answer.message or 'no answer'}); retrying it "
            "later cannot pay back twice",
        )

    # -- helpers ---------------------------------------------------------------------------------

    def _reverse(self, number: str) -> bool:
        t = self.timing
        for n in range(t.reverse_tries):
            if n:
                self._sleep(t.reverse_gap_s)
            answer = self._call(partial(self.api.reverse, number))
            if answer.state is State.DONE:
                with self._lock:
                    self._unconfirmed.discard(number)
                    self._reversed.add(number)
                    self._ended.add(number)
                    self.reversals.append(number)
                return True
            log.warning("%s reverse %s: %s", self.api.name, number, answer.message or "retry")
        with self._lock:
            self._unconfirmed.add(number)
        return False

    def _call(self, fn: Callable[[float], Answer]) -> Answer:
        try:
            return fn(self.timing.call_timeout_s)
        except ProviderError as exc:
            log.warning("%s: %s", self.api.name, exc)
            return Answer(State.UNKNOWN, message=str(exc))

    def _end(self, number: str) -> None:
        with self._lock:
            self._ended.add(number)

    def _result(self, outcome: PaymentOutcome, reference: str, message: str) -> PaymentResult:
        return PaymentResult(outcome, reference, message, self.api.name)
