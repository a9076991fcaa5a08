"""The whole terminal (real ledger file, sample store, simulated printer and drawer) taking
real payment codes through the provider emulators, called the way the screens call it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.app.facade import Terminal
from terminal.app.wiring import build_terminal
from terminal.config import parse_config
from terminal.core.errors import PaymentFailed
from terminal.drivers.payment.codes import yuan
from terminal.drivers.payment.statements import journal_lines, parse_wechat_bill, reconcile
from terminal.sample import sample_catalog, sample_staff
from tests.drivers.payment.emulator_alipay import AlipayEmulator
from tests.drivers.payment.emulator_wechat import WeChatEmulator
from tests.drivers.payment.test_statements import WECHAT_HEADER, _wx
from tests.drivers.payment.tls import EmulatorCA

WECHAT_CODE, WECHAT_CODE2 = "134567890123456781", "134567890123456782"
ALIPAY_CODE = "28765432109876543"


@pytest.fixture
def terminal(
    tmp_path: Path,
    secrets_file: Path,
    ca: EmulatorCA,
    wechat_emu: WeChatEmulator,
    alipay_emu: AlipayEmulator,
) -> Iterator[Terminal]:
    config = parse_config(
        f"""
[terminal]
id = "UT1"
data_dir = "{tmp_path / "data"}"
[hardware]
simulated = true
[payments]
qr = "live"
secrets_file = "{secrets_file}"
ca_file = "{ca.ca}"
wechat_url = "{wechat_emu.url}"
alipay_url = "{alipay_emu.url}/gateway.do"
qr_deadline_s = 0.5
qr_poll_s = 0.05
qr_reverse_after_s = 0.1
read_timeout_s = 0.5
"""
    )
    t = build_terminal(config, seed_sample=True)
    yield t
    t.close()


def _cola() -> str:
    return next(i for i in sample_catalog()[0] if i.name == "Cola 330ml can").barcodes[0]


def _login(t: Terminal) -> None:
    t.login(next(s["pin"] for s in sample_staff() if s["role"] == "manager"))
    t.open_shift(10000)


def _journal(t: Terminal, kind: str) -> list[dict]:
    return [dict(e.payload) for e in t.ledger.entries(limit=10000) if e.kind == kind]


def test_half_by_alipay_half_by_cash(terminal: Terminal, alipay_emu: AlipayEmulator) -> None:
    _login(terminal)
    for _ in range(4):
        terminal.scan(_cola())
    snap = terminal.start_payment()
    half = snap.balance_due // 2
    snap = terminal.pay_qr(ALIPAY_CODE, half)
    assert snap.state == "tendering"
    snap = terminal.pay_cash(snap.balance_due)
    assert snap.state == "completed"
    sale = _journal(terminal, "sale.completed")[-1]
    qr = next(x for x in sale["tenders"] if x["kind"] == "qr")
    assert qr["provider"] == "alipay" and qr["amount"] == half
    assert alipay_emu.trades[qr["reference"]].amount == half
    assert alipay_emu.payments_taken == 1


def test_decline_carries_the_providers_reason_then_a_new_code_pays_and_refunds(
    terminal: Terminal, wechat_emu: WeChatEmulator
) -> None:
    _login(terminal)
    terminal.scan(_cola())
    total = terminal.start_payment().balance_due
    wechat_emu.script[WECHAT_CODE] = "notenough"
    with pytest.raises(PaymentFailed) as raised:
        terminal.pay_qr(WECHAT_CODE, total)
    assert raised.value.code == "payment.declined"
    assert "insufficient balance (NOTENOUGH" in raised.value.message
    declined = _journal(terminal, "payment.declined")[-1]
    assert declined["message"].startswith("insufficient balance") and declined["kind"] == "qr"
    snap = terminal.pay_qr(WECHAT_CODE2, total)
    assert snap.state == "completed" and wechat_emu.payments_taken == 1
    found = terminal.find_receipt(number=snap.receipt_no)
    result = terminal.refund({found.lines[0].line_no: 1000}, "customer changed mind")
    assert result.total == total
    (order,) = [o for o in wechat_emu.orders.values() if o.state == "SUCCESS"]
    assert order.refunded == total
    refund = _journal(terminal, "refund.completed")[-1]
    # The refund record keeps the payment it went back to; the provider's refund id is the
    # adapter's answer (not yet journaled: the tender record has no field for it).
    assert [x["reference"] for x in refund["tenders"]] == [order.out_trade_no]
    # The next day's bill, in WeChat's layout, matches the journal line for line.
    amount = yuan(total)
    bill = "\r\n".join(
        [
            WECHAT_HEADER,
            _wx("2026-12-04 10:00:00", order.transaction_id, order.out_trade_no, "SUCCESS", amount),
            _wx("2026-12-04 10:01:00", order.transaction_id, order.out_trade_no, "REFUND", amount,
                "R1", amount),
        ]
    )  # fmt: skip
    ours = journal_lines(terminal.ledger.entries(limit=10000))
    r = reconcile(parse_wechat_bill(bill), ours)
    assert r.clean and [m[0] for m in r.matched] == ["payment", "refund"]
