"""Staff end to end: the real app under Xvfb, driven through the control channel as clerks and
a scanner would drive it, checked against the journal in the ledger file afterwards.

The sample store's clerks are given staff cards before the first start (the same way the
owner's provisioning assigns them), so card login and supervisor approval use real card reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from terminal.automation.client import AutomationError
from terminal.core.barcodes import with_check_digit
from terminal.sample import sample_catalog, sample_staff

pytestmark = pytest.mark.ui

CARDS = {"1001": "STF-LINA-1001", "1002": "STF-WANG-1002"}
"""Badge codes (the scanner classifies the STF prefix as a staff card)."""
LOCK_SECONDS = 90


def pin_of(role: str) -> str:
    return next(s["pin"] for s in sample_staff() if s["role"] == role)


def seed_cards(data_dir: Path, terminal_id: str = "TEST1", *,
               extra: list[dict[str, Any]] | None = None, must_change_pin: bool = False
               ) -> None:
    """The sample staff with their cards, in the ledger file the app is about to open, and
    ``extra`` staff (their issued PIN to be changed at first login if ``must_change_pin``)."""
    from terminal.core.clock import SystemClock
    from terminal.core.staff_wiring import seed_staff
    from terminal.ledger.db import ledger_path, open_ledger
    from terminal.ledger.staff_store import open_staff

    data_dir.mkdir(parents=True, exist_ok=True)
    clock = SystemClock()
    ledger = open_ledger(ledger_path(data_dir), terminal_id, clock)
    try:
        staff = open_staff(ledger, clock, data_dir / "card.key")
        records = [{**r, "card": CARDS[r["staff_id"]]} for r in sample_staff()]
        seed_staff(staff, records, must_change_pin=False)
        seed_staff(staff, extra or [], must_change_pin=must_change_pin)
    finally:
        ledger.close()


def journal(data_dir: Path, terminal_id: str = "TEST1") -> list[Any]:
    from terminal.ledger.db import ledger_path, open_ledger

    ledger = open_ledger(ledger_path(data_dir), terminal_id)
    try:
        out: list[Any] = []
        after = 0
        while batch := ledger.entries(after_seq=after, limit=1000):
            out += batch
            after = batch[-1].seq
        return out
    finally:
        ledger.close()


def card_login(c: Any, staff_id: str, pin: str) -> dict[str, Any]:
    c.scan(CARDS[staff_id])
    c.wait_idle()
    st = c.state()
    assert st["card_holder"], st["last_error"]
    c.tap_keys(pin)
    c.tap("login.ok")
    c.wait_idle()
    return c.state()


def open_shift_if_asked(c: Any) -> None:
    st = c.state()
    if st["screen"] == "shift_open":
        c.tap_keys("500")
        c.tap("shift_open.ok")
    c.wait_screen("sale")


def sell_weighed(c: Any, price_fen: int) -> dict[str, Any]:
    """One scale-labelled line at ``price_fen``, paid in cash; returns the completed sale."""
    items, _t, _q = sample_catalog()
    pork = next(i for i in items if i.name == "Pork belly")
    c.scan(with_check_digit(f"22{pork.barcodes[0]}{price_fen:05d}"))
    c.wait_idle()
    assert c.state()["totals"]["total"] == price_fen
    c.tap("sale.pay")
    c.wait_screen("tender")
    c.tap_keys(str(price_fen // 100))
    c.tap("tender.cash")
    st = c.wait_screen("done")
    return dict(st["last_result"])


def test_refund_above_the_cashier_cap_is_approved_by_a_supervisor_card_and_pin(
    launch_app, tmp_path: Path
) -> None:
    data = tmp_path / "store"
    seed_cards(data)
    app = launch_app(language="en", data_dir=data)
    c = app.c

    st = card_login(c, "1002", pin_of("cashier"))
    assert st["clerk"]["staff_id"] == "1002" and st["clerk"]["role"] == "cashier"
    open_shift_if_asked(c)
    sale = sell_weighed(c, 25000)  # ¥250.00: above the cashier's ¥200 refund cap
    receipt = int(sale["receipt_no"])
    c.tap("done.new")
    c.wait_screen("sale")

    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.refund")
    c.wait_screen("refund")
    # The receipt's QR code, as printed on it, finds the sale.
    c.scan(f"POS1:TEST1:{sale['sale_id']}")
    st = c.wait_screen("refund")
    found = st["refund"]["found"]
    assert found["receipt_no"] == receipt and found["total"] == 25000
    line = found["lines"][0]["line_no"]
    c.tap(f"refund.line.{line}.all")
    c.wait_idle()
    assert c.state()["refund"]["amount"] == 25000
    c.tap("refund.reason.0")
    reason = c.state()["refund"]["reason"]
    c.tap("refund.ok")
    c.wait_idle()

    st = c.state()
    dialog = st["dialog"]
    assert dialog is not None, st["last_error"]
    assert dialog["mode"] == "approval" and dialog["right"] == "refund.with_receipt"
    assert dialog["limit"] == 20000
    assert st["refund"]["result"] is None
    # The refund's reason was chosen on the refund screen: the dialog shows it, asks no more.
    assert dialog["reason"] == reason and dialog["reason_given"]
    assert "approval.reason.0" not in c.call("ids")["ids"]

    # The cashier's own card and PIN cannot approve the cashier's refund.
    c.scan(CARDS["1002"])
    c.wait_idle()
    c.tap_keys(pin_of("cashier"), prefix="approval.keypad")
    c.tap("approval.ok")
    c.wait_idle()
    dialog = c.state()["dialog"]
    assert dialog is not None and dialog["error"]["code"] == "approval.refused"

    # The manager's card and PIN do.
    c.scan(CARDS["1001"])
    c.wait_idle()
    assert c.state()["dialog"]["card_holder"] == "Li Na"
    c.tap_keys(pin_of("manager"), prefix="approval.keypad")
    c.tap("approval.ok")
    c.wait_idle()
    st = c.state()
    assert st["dialog"] is None
    result = st["refund"]["result"]
    assert result is not None, st["last_error"]
    assert result["total"] == 25000 and result["approver_id"] == "1001"
    assert result["tenders"] == [{"kind": "cash", "amount": 25000}]
    assert st["clerk"]["staff_id"] == "1002"  # the cashier is still the one logged in

    # Typing the receipt number finds it again, with nothing left to refund.
    c.tap_keys(str(receipt))
    c.tap("refund.find")
    st = c.wait_screen("refund")
    assert st["refund"]["found"]["lines"][0]["remaining_milli"] == 0
    assert st["last_error"]["code"] == "refund.nothing_left"
    ids = c.call("ids")["ids"]
    assert f"refund.line.{line}.plus" in ids
    with pytest.raises(AutomationError, match="disabled"):
        c.tap(f"refund.line.{line}.plus")
    app.stop()

    entries = journal(data)
    refunds = [e for e in entries if e.kind == "refund.completed"]
    assert len(refunds) == 1
    refund = refunds[0]
    assert refund.staff_id == "1002"
    assert refund.payload["approver_id"] == "1001"
    assert refund.payload["reason"] == reason
    granted = [e for e in entries if e.kind == "approval.granted"]
    assert [(g.payload["actor"], g.payload["approver"], g.payload["reason"],
             g.payload["right"], g.payload["amount"]) for g in granted] == [
        ("1002", "1001", reason, "refund.with_receipt", 25000)]
    verified = [e for e in entries if e.kind == "approval.verified"]
    assert [(v.payload["clerk_id"], v.payload["approver_id"], v.payload["reason"])
            for v in verified] == [("1002", "1001", reason)]
    refused = [e for e in entries if e.kind == "approval.refused"]
    assert [(r.payload["clerk_id"], r.payload["approver_id"]) for r in refused] == [
        ("1002", "1002")]
    # The refund receipt was printed after the sale's.
    printed = (data / "printer" / "out.bin").read_bytes()
    assert printed.count(b"250.00") >= 2


def test_five_wrong_pins_after_a_card_lock_the_account_for_the_configured_delay(
    launch_app, tmp_path: Path
) -> None:
    data = tmp_path / "store"
    seed_cards(data)
    app = launch_app(language="en", data_dir=data,
                     store_config=f"pin_max_failures = 5\npin_lock_s = {LOCK_SECONDS}\n"
                     "pin_only_login = false")
    c = app.c
    # Cards are required here: no login tiles, and a PIN alone is refused.
    st = c.wait_screen("login")
    assert st["tiles"] == []
    c.tap_keys(pin_of("cashier"))
    c.tap("login.ok")
    c.wait_idle()
    st = c.state()
    assert st["clerk"] is None and st["last_error"]["code"] == "login.card_required"
    c.tap("banner.dismiss")
    wrong = "2468"
    assert wrong != pin_of("cashier")
    for tries_left in (4, 3, 2, 1):
        st = card_login(c, "1002", wrong)
        assert st["screen"] == "login" and st["clerk"] is None
        assert st["last_error"]["code"] == "login.failed"
        assert f"{tries_left} more tries" in st["last_error"]["message"]
        c.tap("banner.dismiss")
    st = card_login(c, "1002", wrong)
    assert st["last_error"]["code"] == "login.locked"
    assert f"{LOCK_SECONDS} s" in st["last_error"]["message"]

    # The right PIN during the delay is refused too, with the time still to wait.
    c.tap("banner.dismiss")
    st = card_login(c, "1002", pin_of("cashier"))
    assert st["screen"] == "login" and st["clerk"] is None
    assert st["last_error"]["code"] == "login.locked"
    app.stop()

    entries = journal(data)
    locked = [e for e in entries if e.kind == "login.locked"]
    assert len(locked) == 1 and locked[0].payload["seconds"] == LOCK_SECONDS
    assert locked[0].staff_id == "1002"
    alerts = [e for e in entries if e.kind == "alert.raised"]
    assert alerts and alerts[0].payload["alert"] == "account.locked"
    failed = [e.payload["reason"] for e in entries
              if e.kind == "login.failed" and e.staff_id == "1002"]
    assert failed == ["wrong_pin"] * 5 + ["locked"]
