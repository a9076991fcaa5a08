"""The WeChat Pay v2 adapter against the emulator over TLS: one test per path through the
payment-code state machine, refunds, a hanging provider and a forged answer."""

from __future__ import annotations

import time

import pytest

from terminal.core.ports import PaymentOutcome
from terminal.drivers.payment.codes import trade_number
from terminal.drivers.payment.flow import CodeProvider
from terminal.drivers.payment.http import Transport
from terminal.drivers.payment.wechat import WeChatApi, sign
from tests.drivers.payment.conftest import FAST, TIMEOUTS, wechat_credentials
from tests.drivers.payment.emulator_wechat import Order, WeChatEmulator
from tests.drivers.payment.tls import EmulatorCA

CODE = "134567890123456781"
CODE2 = "134567890123456782"
SALE = "5f0c3a9e8b7d4c2a9e1f0b6d3c8a7e21"


def test_signature_matches_the_published_vector() -> None:
    fields = {
        "appid": "wxd930ea5d5a258f4f",
        "mch_id": "10000100",
        "device_info": "1000",
        "body": "test",
        "nonce_str": "ibuaiVcKdpRxkhJA",
    }
    key = "192006250b4c09247ec02edce69f6a2d"
    assert sign(fields, key, "MD5") == "9A0A8659F005D6984697E2CA0A9CF3B7"
    assert sign(fields, key, "HMAC-SHA256") == (
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    )
    assert sign({**fields, "sign": "X", "attach": ""}, key, "MD5") == sign(fields, key, "MD5")


def test_success(wechat: CodeProvider, wechat_emu: WeChatEmulator) -> None:
    r = wechat.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.APPROVED and r.provider == "wechat"
    assert r.reference.startswith("W") and len(r.reference) <= 32
    assert r.message == wechat_emu.orders[r.reference].transaction_id
    assert wechat_emu.payments_taken == 1 and wechat_emu.calls("orderquery") == 0
    assert "<sign_type>HMAC-SHA256</sign_type>" in wechat_emu.requests[0][1]


def test_md5_signing(wechat_emu: WeChatEmulator, ca: EmulatorCA) -> None:
    api = WeChatApi(
        wechat_credentials(None),
        Transport(ca_file=str(ca.ca), timeouts=TIMEOUTS),
        base_url=wechat_emu.url,
        sign_type="MD5",
    )
    r = CodeProvider(api, FAST).charge(CODE, 100, "CNY", SALE)
    assert r.outcome is PaymentOutcome.APPROVED
    assert "<sign_type>MD5</sign_type>" in wechat_emu.requests[0][1]


def test_user_paying_then_success(wechat: CodeProvider, wechat_emu: WeChatEmulator) -> None:
    wechat_emu.script[CODE] = "paying"
    wechat_emu.paying_queries = 3
    r = wechat.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.APPROVED
    assert wechat_emu.calls("orderquery") == 3 and wechat_emu.calls("reverse") == 0
    assert wechat_emu.payments_taken == 1


def test_user_paying_then_timeout_is_reversed(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    wechat_emu.script[CODE] = "paying_forever"
    started = time.monotonic()
    r = wechat.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.TIMEOUT
    assert "reversed" in r.message and r.reference
    assert wechat_emu.orders[r.reference].state == "REVOKED"
    assert wechat_emu.calls("orderquery") >= 3 and wechat_emu.payments_taken == 0
    assert time.monotonic() - started < FAST.deadline_s + 1.5
    wechat.cancel(SALE, r.reference)  # the caller's cancel: already reversed, not sent again
    assert wechat_emu.calls("reverse") == 1


def test_system_error_is_queried_and_found_paid(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    wechat_emu.script[CODE] = "system_error"
    r = wechat.charge(CODE, 990, "CNY", SALE)
    assert r.outcome is PaymentOutcome.APPROVED
    assert wechat_emu.calls("orderquery") == 1 and wechat_emu.payments_taken == 1


def test_charging_the_same_tender_again_charges_once(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    first = wechat.charge(CODE, 1200, "CNY", SALE)
    fresh = CodeProvider(wechat.api, FAST)  # a restarted terminal: nothing in memory
    again = fresh.charge(CODE2, 1200, "CNY", SALE)
    assert again.outcome is PaymentOutcome.APPROVED and again.reference == first.reference
    assert wechat_emu.payments_taken == 1
    assert wechat_emu.calls("micropay") == 2  # answered ORDERPAID, then confirmed by a query


def test_second_tender_of_a_sale_is_its_own_order(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    one = wechat.charge(CODE, 500, "CNY", SALE, 1)
    two = wechat.charge(CODE2, 500, "CNY", SALE, 2)
    assert one.reference != two.reference and wechat_emu.payments_taken == 2


def test_insufficient_balance_shows_the_reason_and_a_new_code_pays(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    wechat_emu.script[CODE] = "notenough"
    r = wechat.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.DECLINED
    assert r.message == "insufficient balance (NOTENOUGH, 余额不足)"
    fresh = CodeProvider(wechat.api, FAST)
    ok = fresh.charge(CODE2, 2350, "CNY", SALE)
    assert ok.outcome is PaymentOutcome.APPROVED and ok.reference != r.reference
    assert wechat_emu.payments_taken == 1


def test_forged_paid_answer_is_not_believed(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    wechat_emu.script[CODE] = "paying_forever"
    wechat_emu.forge = 1
    r = wechat.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.TIMEOUT and "reversed" in r.message
    assert wechat_emu.calls("orderquery") >= 1 and wechat_emu.calls("reverse") == 1


def test_every_answer_tampered_never_approves(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    wechat_emu.tamper = 1000
    r = wechat.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.TIMEOUT and "not confirmed" in r.message


def test_hanging_provider_does_not_hang_the_terminal(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    wechat_emu.hang = 1000
    started = time.monotonic()
    r = wechat.charge(CODE, 2350, "CNY", SALE)
    elapsed = time.monotonic() - started
    assert r.outcome is PaymentOutcome.TIMEOUT and "not confirmed" in r.message
    # deadline + one read timeout past it + the reverse tries, each bounded by the read timeout
    assert elapsed < FAST.deadline_s + TIMEOUTS.read * (FAST.reverse_tries + 1) + 1.0
    sent = len(wechat_emu.requests)
    started = time.monotonic()
    with pytest.raises(OSError, match="did not confirm reversing"):
        wechat.cancel(SALE, r.reference)  # the caller's cancel: refused at once, not retried
    assert time.monotonic() - started < 0.1 and len(wechat_emu.requests) == sent


def test_lost_answer_is_recovered_by_query(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    wechat_emu.hang = 1  # the payment goes through; its answer never arrives
    r = wechat.charge(CODE, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.APPROVED and wechat_emu.calls("orderquery") == 1
    assert wechat_emu.payments_taken == 1 and wechat_emu.calls("reverse") == 0


def test_refunds_partial_retried_and_too_much(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    paid = wechat.charge(CODE, 1000, "CNY", SALE)
    a = wechat.refund("refund-1", paid.reference, 300)
    assert a.outcome is PaymentOutcome.APPROVED and a.reference.startswith("50000")
    again = wechat.refund("refund-1", paid.reference, 300)
    assert again.reference == a.reference  # the same refund, paid back once
    b = wechat.refund("refund-2", paid.reference, 700)
    assert b.outcome is PaymentOutcome.APPROVED and b.reference != a.reference
    assert wechat_emu.orders[paid.reference].refunded == 1000
    over = wechat.refund("refund-3", paid.reference, 1)
    assert over.outcome is PaymentOutcome.DECLINED and "超过" in over.message


def test_refund_failure_passes_the_reason_up(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    paid = wechat.charge(CODE, 1000, "CNY", SALE)
    wechat_emu.refund_error = "NOTENOUGH"
    r = wechat.refund("refund-1", paid.reference, 1000)
    assert r.outcome is PaymentOutcome.DECLINED and "NOTENOUGH" in r.message


def test_reverse_without_the_merchant_certificate_is_not_confirmed(
    wechat_emu: WeChatEmulator, ca: EmulatorCA
) -> None:
    api = WeChatApi(
        wechat_credentials(None),
        Transport(ca_file=str(ca.ca), timeouts=TIMEOUTS),
        base_url=wechat_emu.url,
    )
    wechat_emu.script[CODE] = "paying_forever"
    r = CodeProvider(api, FAST).charge(CODE, 100, "CNY", SALE)
    assert r.outcome is PaymentOutcome.TIMEOUT and "not confirmed" in r.message
    assert wechat_emu.calls("reverse") == 0


def test_untrusted_server_certificate_is_refused(wechat_emu: WeChatEmulator) -> None:
    api = WeChatApi(wechat_credentials(None), Transport(timeouts=TIMEOUTS), base_url=wechat_emu.url)
    fast = CodeProvider(api, FAST)
    r = fast.charge(CODE, 100, "CNY", SALE)
    assert r.outcome is PaymentOutcome.TIMEOUT and wechat_emu.requests == []


def test_other_currency_is_declined(wechat: CodeProvider, wechat_emu: WeChatEmulator) -> None:
    assert wechat.charge(CODE, 100, "USD", SALE).outcome is PaymentOutcome.DECLINED
    assert wechat_emu.requests == []


def test_the_emulator_refuses_a_wrong_signature(wechat_emu: WeChatEmulator, ca: EmulatorCA) -> None:
    wrong = wechat_credentials(None)
    api = WeChatApi(
        type(wrong)(wrong.appid, wrong.mch_id, "f" * 32),
        Transport(ca_file=str(ca.ca), timeouts=TIMEOUTS),
        base_url=wechat_emu.url,
    )
    r = CodeProvider(api, FAST).charge(CODE, 100, "CNY", SALE)
    assert r.outcome is PaymentOutcome.TIMEOUT and wechat_emu.orders == {}
    assert wechat_emu.errors and all("SIGNERROR" in e for e in wechat_emu.errors)
    wechat_emu.errors.clear()


def test_an_earlier_attempt_that_cannot_be_closed_stops_the_charge(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    # A terminal died while the customer was confirming; restarted, it charges the same tender
    # with a fresh code, and the provider will not reverse the earlier order yet.
    earlier = trade_number("W", SALE, 1, 1)
    wechat_emu.orders[earlier] = Order(earlier, 2350, CODE, "USERPAYING", "paying_forever", "42")
    wechat_emu.reverse_error = "USERPAYING"
    r = wechat.charge(CODE2, 2350, "CNY", SALE)
    assert r.outcome is PaymentOutcome.TIMEOUT and r.reference == earlier
    assert "could not be closed" in r.message
    assert list(wechat_emu.orders) == [earlier]  # no second order that could also be paid
