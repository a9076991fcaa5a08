"""The real app under Xvfb taking real payment codes from the provider emulators, driven through
the control channel as a clerk and a scanner would: the header names the live providers, a
decline shows the provider's reason in Chinese, and a payment waiting for the customer's
confirmation completes the sale."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.sample import sample_catalog, sample_staff
from tests.drivers.payment.emulator_alipay import AlipayEmulator
from tests.drivers.payment.emulator_wechat import WeChatEmulator
from tests.drivers.payment.tls import EmulatorCA

pytestmark = pytest.mark.ui


def test_live_payments_on_screen(
    launch_app,
    secrets_file: Path,
    ca: EmulatorCA,
    wechat_emu: WeChatEmulator,
    alipay_emu: AlipayEmulator,
) -> None:
    wechat_code, alipay_code = "134567890123456781", "28765432109876543"
    wechat_emu.script[wechat_code] = "notenough"
    alipay_emu.script[alipay_code] = "paying"
    app = launch_app(
        language="zh_CN",
        extra_config=f"""
[payments]
qr = "live"
secrets_file = "{secrets_file}"
ca_file = "{ca.ca}"
wechat_url = "{wechat_emu.url}"
alipay_url = "{alipay_emu.url}/gateway.do"
qr_deadline_s = 5.0
qr_poll_s = 0.1
qr_reverse_after_s = 0.2
read_timeout_s = 2.0
""",
    )
    c = app.c
    c.tap_keys(next(s["pin"] for s in sample_staff() if s["role"] == "cashier"))
    c.tap("login.ok")
    c.wait_screen("shift_open")
    c.tap_keys("0")
    c.tap("shift_open.ok")
    st = c.wait_screen("sale")
    assert st["payments"]["status"] == "实收：微信支付 / 支付宝"
    cola = next(i for i in sample_catalog()[0] if i.name == "Cola 330ml can")
    c.scan(cola.barcodes[0])
    st = c.wait_screen("sale")
    assert len(st["cart"]) == 1, st["last_error"]
    c.tap("sale.pay")
    c.wait_screen("tender")
    c.tap("tender.method.qr")
    c.scan(wechat_code)
    st = c.wait_screen("tender")
    assert st["last_error"]["code"] == "payment.declined"
    assert st["last_error"]["message"].endswith("原因：余额不足"), st["last_error"]
    c.scan(alipay_code)  # the customer confirms on the phone after two queries
    st = c.wait_screen("done")
    (tender,) = st["last_result"]["tenders"]
    assert tender["kind"] == "qr" and tender["provider"] == "alipay"
    assert alipay_emu.trades[tender["reference"]].queries == 2
    assert alipay_emu.payments_taken == 1 and wechat_emu.payments_taken == 0
