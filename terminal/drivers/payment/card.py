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
