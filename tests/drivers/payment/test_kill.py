"""A terminal killed (SIGKILL) while the customer is confirming on the phone: after the
restart, settling the tender ends in a reversed or a recorded payment, never an unknown one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from terminal.core.ports import PaymentOutcome
from terminal.drivers.payment.codes import trade_number
from terminal.drivers.payment.flow import CodeProvider
from tests.drivers.payment.emulator_wechat import Order, WeChatEmulator
from tests.drivers.payment.tls import EmulatorCA

ROOT = Path(__file__).resolve().parents[3]
CODE = "134567890123456781"
SALE = "0d9c0f6c1e2b4a7f8a5e3c2b1d0e9f8a"


def _charge_and_kill(
    wechat_emu: WeChatEmulator, ca: EmulatorCA, merchant_cert: tuple[str, str]
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.drivers.payment.charge_proc", wechat_emu.url, str(ca.ca),
         *merchant_cert, SALE, CODE, "2350"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with wechat_emu._lock:
                polled = any(o.queries >= 2 for o in wechat_emu.orders.values())
            if polled:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the child never reached the customer-confirming state")
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    (order,) = wechat_emu.orders.values()
    assert order.state == "USERPAYING"


def test_killed_while_confirming_is_reversed_after_restart(
    wechat: CodeProvider,
    wechat_emu: WeChatEmulator,
    ca: EmulatorCA,
    merchant_cert: tuple[str, str],
) -> None:
    wechat_emu.script[CODE] = "paying_forever"
    _charge_and_kill(wechat_emu, ca, merchant_cert)
    assert wechat.settle(SALE, 1, 2350) is None
    (order,) = wechat_emu.orders.values()
    assert order.state == "REVOKED" and wechat_emu.payments_taken == 0


def test_killed_while_confirming_then_paid_is_recorded_after_restart(
    wechat: CodeProvider,
    wechat_emu: WeChatEmulator,
    ca: EmulatorCA,
    merchant_cert: tuple[str, str],
) -> None:
    wechat_emu.script[CODE] = "paying_forever"
    _charge_and_kill(wechat_emu, ca, merchant_cert)
    (order,) = wechat_emu.orders.values()
    order.state = "SUCCESS"  # the customer confirmed while the terminal was down
    wechat_emu.payments_taken += 1
    result = wechat.settle(SALE, 1, 2350)
    assert result is not None and result.outcome is PaymentOutcome.APPROVED
    assert result.reference == order.out_trade_no and result.message == order.transaction_id
    assert order.state == "SUCCESS" and wechat_emu.calls("reverse") == 0


def test_settling_a_tender_that_never_charged_asks_once(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    assert wechat.settle(SALE, 3) is None
    assert wechat_emu.calls("orderquery") == 1


def test_settling_after_a_declined_attempt_and_an_open_one(
    wechat: CodeProvider, wechat_emu: WeChatEmulator
) -> None:
    wechat_emu.script[CODE] = "notenough"
    assert wechat.charge(CODE, 100, "CNY", SALE).outcome is PaymentOutcome.DECLINED
    second = trade_number("W", SALE, 1, 2)  # the next scan's order, cut short by a crash
    wechat_emu.orders[second] = Order(second, 100, CODE, "USERPAYING", "paying_forever", "4200")
    assert CodeProvider(wechat.api, wechat.timing).settle(SALE, 1) is None
    assert [o.state for o in wechat_emu.orders.values()] == ["PAYERROR", "REVOKED"]
    assert wechat_emu.calls("orderquery") == 3  # attempt 1, attempt 2, attempt 3: none
