"""The simulated bank-card terminal: the customer "taps" and the terminal answers with a six-digit
approval code, or declines, or does not answer. The outcome is switchable at any time (demo,
automation channel, tests), for one charge or until changed; approval codes come from a seeded
generator so a run is reproducible."""

from __future__ import annotations

import random
import threading
from collections import deque

from terminal.core.ports import PaymentOutcome, PaymentResult

_MESSAGES = {
    PaymentOutcome.DECLINED: "card declined by the issuer",
    PaymentOutcome.TIMEOUT: "the card terminal did not answer",
}


class SimulatedCardTerminal:
    def __init__(self, outcome: PaymentOutcome | str = PaymentOutcome.APPROVED, *, seed: int = 0):
        self._mode = PaymentOutcome(outcome)
        self._next: deque[PaymentOutcome] = deque()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.charges: list[tuple[str, int, str, PaymentResult]] = []
        self.reversals: list[tuple[str, str, int]] = []

    @property
    def mode(self) -> PaymentOutcome:
        return self._mode

    def set_mode(self, outcome: PaymentOutcome | str) -> None:
        """Every following charge gets ``outcome`` ("approved", "declined", "timeout")."""
        with self._lock:
            self._mode = PaymentOutcome(outcome)

    def next_outcome(self, outcome: PaymentOutcome | str) -> None:
        """Only the next charge gets ``outcome``; queued ones are used in order."""
        with self._lock:
            self._next.append(PaymentOutcome(outcome))

    def charge(self, amount: int, currency: str, sale_id: str) -> PaymentResult:
        if amount <= 0:
            raise ValueError(f"card amount must be positive, not {amount}")
        with self._lock:
            outcome = self._next.popleft() if self._next else self._mode
            if outcome is PaymentOutcome.APPROVED:
                result = PaymentResult(
                    outcome, f"{self._rng.randrange(1_000_000):06d}", "", "sim-card"
                )
            else:
                result = PaymentResult(outcome, "", _MESSAGES[outcome], "sim-card")
            self.charges.append((sale_id, amount, currency, result))
        return result

    def reverse(self, sale_id: str, reference: str, amount: int) -> PaymentResult:
        """Undo an approved charge of ``sale_id``; refused for a charge it never approved."""
        with self._lock:
            for sid, amt, _cur, res in self.charges:
                if (sid, res.reference, res.outcome) == (sale_id, reference,
                                                         PaymentOutcome.APPROVED):
                    if (sale_id, reference, amt) in self.reversals or amt != amount:
                        break
                    self.reversals.append((sale_id, reference, amount))
                    return PaymentResult(PaymentOutcome.APPROVED, reference, "", "sim-card")
        return PaymentResult(
            PaymentOutcome.DECLINED, reference, f"no approved charge {reference!r} of "
            f"{amount} to reverse", "sim-card",
        )
