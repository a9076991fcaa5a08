"""The Alipay adapter against the emulator over TLS: one test per path through the
payment-code state machine, refunds, a hanging gateway and a tampered answer."""

from __future__ import annotations

import json
import time

from cryptography.hazmat.primitives.asymmetric import rsa

from terminal.core.ports import PaymentOutcome
from terminal.drivers.payment.alipay import (
    AlipayApi,
    AlipayCredentials,
    rsa2_sign,
    rsa2_verify,
    signing_text,
    top_level_raw,
)
from terminal.drivers.payment.flow import CodeProvider
from tests.drivers.payment.conftest import FAST, TIMEOUTS
from tests.drivers.payment.emulator_alipay import AlipayEmulator

CODE = "28765432109876543"
CODE2 = "28765432109876544"
SALE = "5f0c3a9e8b7d4c2a9e1f0b6d3c8a7e21"


def test_signing_text_and_raw_extraction(
    rsa_keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey],
) -> None:
    params = {"b": "2", "a": "1", "sign": "x", "empty": "", "sign_type": "RSA2"}
    assert signing_text(params) == "a=1&b=2&sign_type=RSA2"
    key = rsa_keys[0]
    assert rsa2_verify("a=1", rsa2_sign("a=1", key), key.public_key())
    assert not rsa2_verify("a=2", rsa2_sign("a=1", key), key.public_key())
    inner = '{"msg":"a } \\" { b","n":[1,{"x":"}"}]}'
    text = f'{{ "r" : {inner} , "sign":"abc"}}'
    assert top_level_raw(text) == {"r": inner, "sign": '"abc"'}
    assert json.loads(top_level_raw(text)["r"])["msg"] == 'a } " { b'


def test_success(alipay: CodeProvider, alipay_emu: AlipayEmulator) -> None:
    r = alipay.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.APPROVED and r.provider == "alipay"
    assert r.reference.startswith("A") and r.message == alipay_emu.trades[r.reference].trade_no
    assert alipay_emu.trades[r.reference].amount == 2350 and alipay_emu.payments_taken == 1
    assert "total_amount%22%3A%2223.50%22" in alipay_emu.requests[0][1]


def test_user_paying_then_success(alipay: CodeProvider, alipay_emu: AlipayEmulator) -> None:
    alipay_emu.script[CODE] = "paying"
    alipay_emu.paying_queries = 3
    r = alipay.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.APPROVED
    assert alipay_emu.calls("trade.query") == 3 and alipay_emu.calls("trade.cancel") == 0


def test_user_paying_then_timeout_is_cancelled(
    alipay: CodeProvider, alipay_emu: AlipayEmulator
) -> None:
    alipay_emu.script[CODE] = "paying_forever"
    r = alipay.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.TIMEOUT and "reversed" in r.message
    assert alipay_emu.trades[r.reference].status == "TRADE_CLOSED"
    assert alipay_emu.calls("trade.cancel") == 1 and alipay_emu.payments_taken == 0


def test_system_error_is_queried_and_found_paid(
    alipay: CodeProvider, alipay_emu: AlipayEmulator
) -> None:
    alipay_emu.script[CODE] = "system_error"
    r = alipay.charge(CODE, 990, "CNY", SALE)
    assert r.outcome is PaymentOutcome.APPROVED and alipay_emu.calls("trade.query") == 1


def test_charging_the_same_tender_again_charges_once(
    alipay: CodeProvider, alipay_emu: AlipayEmulator
) -> None:
    first = alipay.charge(CODE, 1200, "CNY", SALE)
    again = CodeProvider(alipay.api, FAST).charge(CODE2, 1200, "CNY", SALE)
    assert again.outcome is PaymentOutcome.APPROVED and again.reference == first.reference
    assert alipay_emu.payments_taken == 1


def test_insufficient_balance_shows_the_reason_and_a_new_code_pays(
    alipay: CodeProvider, alipay_emu: AlipayEmulator
) -> None:
    alipay_emu.script[CODE] = "notenough"
    r = alipay.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.DECLINED
    assert r.message == "insufficient balance (ACQ.BUYER_BALANCE_NOT_ENOUGH, 买家余额不足)"
    ok = CodeProvider(alipay.api, FAST).charge(CODE2, 2350, "CNY", SALE)
    assert ok.outcome is PaymentOutcome.APPROVED and ok.reference != r.reference


def test_tampered_answer_is_unknown_then_queried(
    alipay: CodeProvider, alipay_emu: AlipayEmulator
) -> None:
    alipay_emu.script[CODE] = "paying_forever"
    alipay_emu.tamper = 1
    r = alipay.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.TIMEOUT and "reversed" in r.message
    assert alipay_emu.calls("trade.query") >= 1


def test_every_answer_tampered_never_approves(
    alipay: CodeProvider, alipay_emu: AlipayEmulator
) -> None:
    alipay_emu.tamper = 1000  # the payment itself succeeds at the emulator
    r = alipay.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.TIMEOUT and "not confirmed" in r.message


def test_hanging_gateway_does_not_hang_the_terminal(
    alipay: CodeProvider, alipay_emu: AlipayEmulator
) -> None:
    alipay_emu.hang = 1000
    started = time.monotonic()
    r = alipay.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.TIMEOUT
    assert time.monotonic() - started < FAST.deadline_s + TIMEOUTS.read * 3 + 1.0


def test_refunds_partial_retried_and_too_much(
    alipay: CodeProvider, alipay_emu: AlipayEmulator
) -> None:
    paid = alipay.charge(CODE, 1000, "CNY", SALE)
    a = alipay.refund("refund-1", paid.reference, 300)
    assert a.outcome is PaymentOutcome.APPROVED and a.reference.startswith("R")
    assert alipay.refund("refund-1", paid.reference, 300).reference == a.reference
    b = alipay.refund("refund-2", paid.reference, 700)
    assert b.outcome is PaymentOutcome.APPROVED and b.reference != a.reference
    assert sum(alipay_emu.trades[paid.reference].refunds.values()) == 1000
    over = alipay.refund("refund-3", paid.reference, 1)
    assert over.outcome is PaymentOutcome.DECLINED and "more than" in over.message


def test_refund_failure_passes_the_reason_up(
    alipay: CodeProvider, alipay_emu: AlipayEmulator
) -> None:
    paid = alipay.charge(CODE, 1000, "CNY", SALE)
    alipay_emu.refund_error = "ACQ.SELLER_BALANCE_NOT_ENOUGH"
    r = alipay.refund("refund-1", paid.reference, 1000)
    assert r.outcome is PaymentOutcome.DECLINED
    assert r.message.startswith("the merchant's balance cannot cover the refund")


def test_the_emulator_refuses_a_wrong_signature(
    alipay: CodeProvider, alipay_emu: AlipayEmulator
) -> None:
    api = alipay.api
    assert isinstance(api, AlipayApi)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    api.credentials = AlipayCredentials(
        api.credentials.app_id, other, api.credentials.alipay_public_key
    )
    r = alipay.charge(CODE, 100, "CNY", SALE)
    assert r.outcome is PaymentOutcome.DECLINED and "isv.invalid-signature" in r.message
    assert alipay_emu.trades == {} and alipay_emu.errors
    alipay_emu.errors.clear()
