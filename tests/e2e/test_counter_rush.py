"""At the counter in a rush, on the real app under Xvfb: taps by window position, as a finger
lands, with banners coming and going between and during taps; the done screen's Log out; the
supervisor's approval in a PIN-only store; destructive buttons tapped twice."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from terminal.automation.client import AutomationClient, AutomationError
from terminal.sample import sample_staff

from .sample import pin as _pin

pytestmark = pytest.mark.ui


def _where(c: AutomationClient, aid: str) -> dict[str, Any]:
    r = c.call("where", id=aid)
    return {k: r[k] for k in ("x", "y", "width", "height")}


def _centre(box: dict[str, Any]) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _pieces(c: AutomationClient) -> int:
    return sum(line["qty_milli"] for line in c.state()["cart"] if not line.get("voided"))


def _to_sale(c: AutomationClient, role: str = "cashier") -> None:
    c.tap_keys(_pin(role))
    c.tap("login.ok")
    c.wait_screen("shift_open")
    c.tap_keys("0")
    c.tap("shift_open.ok")
    c.wait_screen("sale")


def test_a_banner_between_or_during_taps_never_moves_a_control(launch_app) -> None:
    c = launch_app(language="en", size=(800, 480)).c
    _to_sale(c)
    c.wait_idle()
    key = _where(c, "quick.0")
    pay = _where(c, "sale.pay")

    c.printer("paper_out")
    assert "banner.printer" in c.call("ids")["ids"]
    assert _where(c, "quick.0") == key and _where(c, "sale.pay") == pay
    x, y = _centre(key)
    c.call("touch", x=x, y=y)  # the second tap lands where the first found the key
    c.wait_idle()
    assert _pieces(c) == 1000

    # Two banners at once (printer and an error) still leave every control where it was.
    c.scan("0000000000000")
    c.wait_idle()
    st = c.state()
    assert st["last_error"] is not None
    assert _where(c, "quick.0") == key and _where(c, "sale.pay") == pay

    # A banner that goes while the finger is down: the key under the finger takes the tap.
    c.call("touch", action="down", x=x, y=y)
    c.printer("clear")
    c.tap("banner.dismiss")
    assert "banner.printer" not in c.call("ids")["ids"]
    c.call("touch", action="up", x=x, y=y)
    c.wait_idle()
    assert _pieces(c) == 2000
    assert _where(c, "quick.0") == key


def test_a_wrong_pin_banner_does_not_move_the_login_keypad(launch_app) -> None:
    c = launch_app(language="zh_CN", size=(800, 480)).c
    c.wait_idle()  # the staff tiles arrive from the worker and are laid out once
    before = {k: _where(c, f"keypad.{k}") for k in "0123456789"}
    assert before["1"]["width"] != 100  # laid out, not Kivy's default size
    c.tap_keys("0000")
    c.tap("login.ok")
    c.wait_idle()
    assert c.state()["last_error"] is not None
    assert {k: _where(c, f"keypad.{k}") for k in "0123456789"} == before
    # The next digits typed by position all count, the banner still up.
    for digit in _pin("cashier"):
        c.call("touch", **dict(zip(("x", "y"), _centre(before[digit]), strict=True)))
    assert c.state()["pin_length"] == len(_pin("cashier"))
    c.tap("login.ok")
    c.wait_screen("shift_open")

    # Bad touches are refused with a reason and change nothing; the channel keeps answering.
    for bad, why in (({"x": "left", "y": 1}, "numeric"), ({"x": -5, "y": 10}, "outside"),
                     ({"x": 5, "y": 5, "action": "up"}, "no finger"),
                     ({"x": 5, "y": 5, "action": "swipe"}, "action")):
        with pytest.raises(AutomationError, match=why):
            c.call("touch", **bad)
    with pytest.raises(AutomationError, match="no widget"):
        c.call("where", id="login.nothing")
    assert c.state()["screen"] == "shift_open"


def test_a_paid_sale_never_comes_back_after_log_out_from_the_done_screen(launch_app) -> None:
    c = launch_app(language="en").c
    _to_sale(c)
    c.tap("quick.0")
    c.wait_idle()
    c.tap("sale.pay")
    c.wait_screen("tender")
    c.tap_keys("100")
    c.tap("tender.cash")
    st = c.wait_screen("done")
    assert st["last_result"]["state"] == "completed"
    c.tap("header.logout")
    c.wait_screen("login")
    c.wait_idle()
    c.tap_keys(_pin("cashier"))
    c.tap("login.ok")
    st = c.wait_screen("sale")
    c.wait_idle()
    st = c.state()
    assert st["cart"] == []
    assert st["sale"].get("state") in (None, "idle", "open")
    assert not st["sale"].get("lines")
    assert st["totals"]["total"] in (None, 0)
    ids = c.call("ids")["ids"]
    assert "sale.pay" in ids
    # Pay on an empty cart says so, and does not leave for the tender screen.
    c.tap("sale.pay")
    c.wait_idle()
    assert c.state()["screen"] == "sale"
    # The next sale starts clean.
    c.tap("quick.0")
    c.wait_idle()
    assert [line["qty_milli"] for line in c.state()["cart"]] == [1000]


def test_the_demo_manager_approves_a_cashiers_void_by_her_tile_and_pin(launch_app) -> None:
    """The demo store is PIN-only: no one has a staff card."""
    app = launch_app(language="en")
    c = app.c
    _to_sale(c, "cashier")
    cashier = c.state()["clerk"]["staff_id"]
    manager = next(s["staff_id"] for s in sample_staff() if s["role"] == "manager")
    c.tap("quick.0")
    c.wait_idle()
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.held")
    c.wait_screen("recall")
    c.tap("recall.void")
    # A second tap 150 ms after the first is a bounce: it does not confirm the void.
    time.sleep(0.15)
    c.tap("recall.void")
    c.wait_idle()
    assert c.state()["dialog"] is None and c.state()["confirm_void"]
    time.sleep(0.5)
    c.tap("recall.void")
    c.wait_idle()
    dialog = c.state()["dialog"]
    assert dialog is not None and dialog["right"] == "sale.void_sale"
    # The clerk asking is never offered; no card is asked for.
    assert dialog["tiles"] == [manager]
    ids = c.call("ids")["ids"]
    assert f"approval.tile.{manager}" in ids and f"approval.tile.{cashier}" not in ids
    assert "approval.card" not in ids
    c.tap("approval.reason.0")
    c.tap_keys(_pin("manager"), prefix="approval.keypad")
    c.tap("approval.ok")
    c.wait_idle()
    dialog = c.state()["dialog"]
    assert dialog is not None and dialog["error"]["code"] == "approval.who"
    assert dialog["pin_length"] == len(_pin("manager"))  # kept: only the name was missing
    c.tap(f"approval.tile.{manager}")
    c.tap("approval.ok")
    c.wait_idle()
    st = c.state()
    assert st["dialog"] is None, st["dialog"]
    assert st["screen"] == "sale" and st["cart"] == []
    assert st["clerk"]["staff_id"] == cashier
    app.stop()
    import sqlite3

    db = sqlite3.connect(app.data_dir / "ledger.sqlite3")
    try:
        rows = [json.loads(p) for k, p in db.execute(
            "SELECT kind, payload FROM journal ORDER BY seq") if k == "approval.verified"]
    finally:
        db.close()
    assert [(r["clerk_id"], r["approver_id"], r["right"]) for r in rows] == [
        (cashier, manager, "sale.void_sale")]


def test_void_line_tapped_twice_150_ms_apart_voids_one_line(launch_app) -> None:
    c = launch_app(language="en").c
    _to_sale(c)
    for key in ("quick.0", "quick.1", "quick.2"):
        c.tap(key)
        c.wait_idle()
    assert len(c.state()["cart"]) == 3
    c.tap("sale.void_line")
    time.sleep(0.15)
    c.tap("sale.void_line")
    c.wait_idle()
    lines = c.state()["cart"]
    assert [ln["voided"] for ln in lines] == [False, False, True]
    # The voided line stays on screen, struck through, rather than vanishing.
    assert "cart.line.3" in c.call("ids")["ids"]
    # A deliberate second void, once the first is seen done, is taken.
    time.sleep(0.6)
    c.tap("sale.void_line")
    c.wait_idle()
    assert [ln["voided"] for ln in c.state()["cart"]] == [False, True, True]


def test_the_demo_manager_switches_a_cashier_into_training_by_her_tile(launch_app) -> None:
    c = launch_app(language="zh_CN").c
    _to_sale(c, "cashier")
    manager = next(s["staff_id"] for s in sample_staff() if s["role"] == "manager")
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.training")
    c.wait_screen("training")
    c.tap("training.start")
    c.wait_idle()
    dialog = c.state()["dialog"]
    assert dialog is not None and dialog["mode"] == "training"
    assert dialog["tiles"] == [manager]
    c.tap(f"approval.tile.{manager}")
    c.tap_keys(_pin("manager"), prefix="approval.keypad")
    c.tap("approval.ok")
    c.wait_idle()
    st = c.state()
    assert st["dialog"] is None, st["dialog"]
    assert st["clerk"]["training"] is True and st["clerk"]["role"] == "cashier"
