"""Simulated payment back ends: deterministic rules, idempotent charges, refunds within bounds."""

from __future__ import annotations

import re

import pytest

from terminal.core.ports import CardTerminal, PaymentOutcome, PaymentProvider
from terminal.drivers.payment.card import SimulatedCardTerminal
from terminal.drivers.payment.qr import QrRules, SimulatedQrProvider, wallet_of

WECHAT = "134567890123456781"
ALIPAY = "28765432109876543"


def test_wallets_recognised():
    assert wallet_of(WECHAT) == "wechat"
    assert wallet_of(ALIPAY) == "alipay"
    assert wallet_of("4006381333931") is None
    assert wallet_of("13456789012345678x") is None


def test_qr_approves_declines_and_times_out_by_rule():
    p: PaymentProvider = SimulatedQrProvider()
    ok = p.charge(WECHAT, 2350, "CNY", "sale-1")
    assert ok.outcome is PaymentOutcome.APPROVED and ok.provider == "sim-wechat"
    assert re.fullmatch(r"SIMQR[0-9A-F]{20}", ok.reference)
    no = p.charge("13456789012340000", 100, "CNY", "sale-2")
    assert no.outcome is PaymentOutcome.DECLINED  # 17 digits: not a WeChat code at all
    no = p.charge("134567890123450000", 100, "CNY", "sale-2")
    assert (no.outcome, no.message) == (PaymentOutcome.DECLINED, "insufficient balance")
    late = p.charge("2876543210987659999", 100, "CNY", "sale-3")
    assert late.outcome is PaymentOutcome.TIMEOUT and late.reference  # cancellable


def test_qr_rules_on_amounts_are_configurable():
    p = SimulatedQrProvider(QrRules(decline_amounts=frozenset({666}), max_amount=50_000))
    assert p.charge(ALIPAY, 666, "CNY", "s1").outcome is PaymentOutcome.DECLINED
    assert p.charge(ALIPAY, 50_001, "CNY", "s2").outcome is PaymentOutcome.DECLINED
    assert p.charge(ALIPAY, 50_000, "CNY", "s3").outcome is PaymentOutcome.APPROVED


def test_qr_is_deterministic_and_idempotent_per_sale():
    a, b = SimulatedQrProvider(), SimulatedQrProvider()
    r1 = a.charge(WECHAT, 999, "CNY", "sale-9")
    assert b.charge(WECHAT, 999, "CNY", "sale-9") == r1
    assert a.charge(WECHAT, 999, "CNY", "sale-9") == r1  # a retry does not charge twice
    assert sum(c.outcome is PaymentOutcome.APPROVED for c in a.charges.values()) == 1


def test_qr_cancel_and_refund_bounds():
    p = SimulatedQrProvider()
    r = p.charge(ALIPAY, 1000, "CNY", "sale-1")
    assert p.refund("refund-1", r.reference, 600).outcome is PaymentOutcome.APPROVED
    over = p.refund("refund-2", r.reference, 500)
    assert over.outcome is PaymentOutcome.DECLINED and "400 of 1000" in over.message
    assert p.refund("refund-3", "SIMQRNOPE", 1).outcome is PaymentOutcome.DECLINED
    t = p.charge("2876543210987659999", 100, "CNY", "sale-2")
    p.cancel("sale-2", t.reference)
    assert p.charges[t.reference].cancelled
    with pytest.raises(ValueError):
        p.charge(WECHAT, 0, "CNY", "sale-3")


def test_card_terminal_approval_codes_and_switching():
    card: CardTerminal = SimulatedCardTerminal(seed=1)
    r = card.charge(1234, "CNY", "s1")
    assert r.outcome is PaymentOutcome.APPROVED and re.fullmatch(r"\d{6}", r.reference)
    assert SimulatedCardTerminal(seed=1).charge(1234, "CNY", "s1") == r
    sim = SimulatedCardTerminal()
    sim.next_outcome("declined")
    assert sim.charge(1, "CNY", "a").outcome is PaymentOutcome.DECLINED
    assert sim.charge(1, "CNY", "b").outcome is PaymentOutcome.APPROVED
    sim.set_mode(PaymentOutcome.TIMEOUT)
    res = sim.charge(1, "CNY", "c")
    assert (res.outcome, res.reference) == (PaymentOutcome.TIMEOUT, "")
    with pytest.raises(ValueError):
        sim.set_mode("maybe")


def test_card_terminal_reverses_only_its_own_approved_charge_once():
    card = SimulatedCardTerminal(seed=3)
    ok = card.charge(500, "CNY", "S1")
    card.next_outcome("declined")
    declined = card.charge(300, "CNY", "S1")
    assert card.reverse("S2", ok.reference, 500).outcome is PaymentOutcome.DECLINED  # other sale
    assert card.reverse("S1", ok.reference, 400).outcome is PaymentOutcome.DECLINED  # wrong sum
    assert card.reverse("S1", declined.reference, 300).outcome is PaymentOutcome.DECLINED
    assert card.reverse("S1", ok.reference, 500).outcome is PaymentOutcome.APPROVED
    assert card.reverse("S1", ok.reference, 500).outcome is PaymentOutcome.DECLINED  # once
    assert card.reversals == [("S1", ok.reference, 500)]
