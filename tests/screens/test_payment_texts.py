"""A payment provider's reason reaches the screen in the clerk's language: every English reason
the payment adapters write is one the screens translate, and a decline reads in Chinese."""

from __future__ import annotations

from pathlib import Path

from terminal.core.device_state import PaymentModes
from terminal.core.errors import PaymentFailed
from terminal.drivers.payment import flow
from terminal.drivers.payment.codes import ALIPAY_REASONS, WECHAT_REASONS, reason
from terminal.drivers.payment.live import LiveQrProvider, NoQrProvider
from terminal.screens.errors import describe
from terminal.screens.i18n import Translator
from terminal.screens.payment_texts import PROVIDER_REASONS, payments_status, provider_reasons

ZH = Translator("zh_CN").gettext
EN = Translator("en").gettext


def test_every_reason_the_adapters_write_is_translated() -> None:
    written = set(WECHAT_REASONS.values()) | set(ALIPAY_REASONS.values())
    written.add(NoQrProvider().charge("134567890123456781", 1, "CNY", "s").message)
    written.add(LiveQrProvider({}).charge("134567890123456781", 1, "CNY", "s").message)
    written.add(LiveQrProvider({}).charge("28765432109876543", 1, "CNY", "s").message)
    assert written <= set(PROVIDER_REASONS), written - set(PROVIDER_REASONS)
    source = Path(flow.__file__).read_text(encoding="utf-8").replace('"\n                "', "")
    for text in (
        "the payment was reversed, nothing was taken",
        "the reversal was not confirmed: check the customer's phone before charging again",
    ):
        assert text in source


def test_a_decline_reads_with_the_providers_reason_in_chinese() -> None:
    why = reason(WECHAT_REASONS, "NOTENOUGH", "余额不足")
    exc = PaymentFailed(
        f"payment declined: {why}; try again or take another payment", code="payment.declined"
    )
    code, text = describe(exc, ZH)
    assert code == "payment.declined"
    assert text == "支付被拒。请重试或改用其他支付方式。 原因：余额不足"
    _, text = describe(exc, EN)
    assert text.endswith("Reason: insufficient balance")


def test_a_timeout_says_whether_it_was_reversed() -> None:
    exc = PaymentFailed(
        "no answer from the payment provider: no confirmation within 45 s (USERPAYING); the "
        "payment was reversed, nothing was taken; retry or take another payment",
        code="payment.timeout",
    )
    assert describe(exc, ZH)[1].endswith("原因：该笔付款已撤销，未扣款")


def test_a_shorter_reason_inside_a_longer_one_is_said_once() -> None:
    text = "the provider refused the signature: check the API key (SIGNERROR)"
    assert (
        provider_reasons(text, EN)
        == "Reason: the provider refused the signature: check the API key"
    )
    assert provider_reasons("an unknown thing", EN) == ""


def test_the_header_says_what_takes_the_money() -> None:
    live = PaymentModes(qr="live", card="none", live=("wechat", "alipay"))
    assert payments_status(live, ZH) == "实收：微信支付 / 支付宝"
    assert payments_status(PaymentModes("live", "none", ("alipay",)), EN) == "Live: Alipay"
    assert payments_status(PaymentModes("simulated", "simulated"), ZH) == "支付为模拟：不收真钱"
    assert payments_status(PaymentModes("none", "none"), ZH) == ""
