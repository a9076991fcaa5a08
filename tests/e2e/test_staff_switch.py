"""Staff end to end, continued: a quick clerk switch parks the open sale for its clerk, idle
logout does the same, an issued PIN must be changed at first login (a weak one is refused with
the reason), a no-sale drawer open goes through the supervisor dialog while a cancelled
approval does nothing, and a right the role denies is refused with a clear message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from terminal.automation.client import AutomationError
from terminal.sample import sample_catalog
from tests.e2e.test_staff import CARDS, journal, open_shift_if_asked, pin_of, seed_cards

pytestmark = pytest.mark.ui


def _cola() -> Any:
    items, _t, _q = sample_catalog()
    return next(i for i in items if i.name == "Cola 330ml can")


def tile_login(c: Any, staff_id: str, pin: str) -> dict[str, Any]:
    c.wait_screen("login")
    c.tap(f"login.tile.{staff_id}")
    c.tap_keys(pin)
    c.tap("login.ok")
    c.wait_idle()
    return c.state()


def test_clerk_switch_parks_the_open_sale_for_its_clerk(launch_app, tmp_path: Path) -> None:
    data = tmp_path / "store"
    seed_cards(data)
    app = launch_app(language="en", data_dir=data)
    c = app.c
    cola = _cola()

    tile_login(c, "1002", pin_of("cashier"))
    open_shift_if_asked(c)
    for _n in range(2):
        c.scan(cola.barcodes[0])
        c.wait_idle()
    st = c.state()
    sale_id = st["sale"]["sale_id"]
    assert st["cart"][0]["qty_milli"] == 2000

    # The manager takes over without the cashier logging out: the cashier's sale is parked.
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.switch")
    st = tile_login(c, "1001", pin_of("manager"))
    assert st["clerk"]["staff_id"] == "1001", st["last_error"]
    c.wait_screen("sale")
    assert c.state()["cart"] == []

    # The manager sees everyone's figures; the cashier's parked sale is not a sale yet.
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.figures")
    st = c.wait_screen("figures")
    assert [r["staff_id"] for r in st["figures"]["rows"]] == ["1001"]
    c.tap("figures.everyone")
    st = c.wait_screen("figures")
    assert st["everyone"] and [r["staff_id"] for r in st["figures"]["rows"]] == ["1001", "1002"]
    assert all(r["sales_count"] == 0 for r in st["figures"]["rows"])
    # A typed period: two dates, year-month-day.
    c.tap("figures.period.custom")
    c.wait_idle()
    assert c.state()["figures"] is None
    c.type("20200101")
    c.type("20991231")
    st = c.wait_screen("figures")
    assert (st["figures"]["from"], st["figures"]["to"]) == ("2020-01-01", "2099-12-31")
    assert len(st["figures"]["rows"]) == 2

    # The cashier comes back and finds their sale where they left it.
    c.tap("header.logout")
    st = tile_login(c, "1002", pin_of("cashier"))
    assert st["clerk"] is not None and st["clerk"]["staff_id"] == "1002", st["last_error"]
    st = c.wait_screen("sale")
    assert st["sale"]["sale_id"] == sale_id and st["cart"][0]["qty_milli"] == 2000
    app.stop()

    entries = journal(data)
    kinds = [(e.kind, e.staff_id) for e in entries
             if e.kind in ("sale.suspended", "sale.recalled", "login.logout")]
    assert kinds == [("sale.suspended", "1002"), ("login.logout", "1002"),
                     ("login.logout", "1001"), ("sale.recalled", "1002")]
    switched = next(e for e in entries if e.kind == "login.logout")
    assert switched.payload == {"reason": "switch", "parked_sale": True}


def test_idle_clerk_is_logged_out_with_the_sale_parked(launch_app, tmp_path: Path) -> None:
    data = tmp_path / "store"
    seed_cards(data)
    app = launch_app(language="en", data_dir=data, store_config="idle_logout_s = 2")
    c = app.c
    tile_login(c, "1002", pin_of("cashier"))
    open_shift_if_asked(c)
    c.scan(_cola().barcodes[0])
    c.wait_idle()
    sale_id = c.state()["sale"]["sale_id"]

    st = c.wait_screen("login", timeout=30)
    assert st["clerk"] is None and st["last_error"]["code"] == "login.idle"
    tile_login(c, "1002", pin_of("cashier"))
    st = c.wait_screen("sale")
    assert st["sale"]["sale_id"] == sale_id and len(st["cart"]) == 1
    app.stop()
    logouts = [e.payload for e in journal(data) if e.kind == "login.logout"]
    assert logouts == [{"reason": "idle", "parked_sale": True}]


def test_an_issued_pin_must_be_changed_and_a_weak_one_is_refused(launch_app,
                                                                  tmp_path: Path) -> None:
    data = tmp_path / "store"
    seed_cards(data, extra=[{"staff_id": "2001", "name": "Zhao Min", "name_zh": "赵敏",
                             "role": "cashier", "pin": "5917"}], must_change_pin=True)
    app = launch_app(language="en", data_dir=data)
    c = app.c
    st = tile_login(c, "2001", "5917")
    assert st["screen"] == "login" and st["login_step"] == "new", st["last_error"]
    for _twice in range(2):
        c.tap_keys("1234")
        c.tap("login.ok")
    c.wait_idle()
    st = c.state()
    assert st["clerk"] is None and st["last_error"]["code"] == "pin.weak"
    assert "run of digits" in st["last_error"]["message"]
    c.tap("banner.dismiss")
    assert st["login_step"] == "new"
    for _twice in range(2):
        c.tap_keys("5827")
        c.tap("login.ok")
    c.wait_idle()
    st = c.state()
    assert st["clerk"] is not None and st["clerk"]["staff_id"] == "2001", st["last_error"]
    app.stop()
    kinds = [e.kind for e in journal(data) if e.staff_id == "2001"]
    assert "staff.pin_changed" in kinds and kinds[-1] == "login.succeeded"


def test_no_sale_needs_a_supervisor_and_a_denied_right_is_refused(launch_app,
                                                                  tmp_path: Path) -> None:
    data = tmp_path / "store"
    seed_cards(data)
    app = launch_app(language="zh_CN", data_dir=data)
    c = app.c
    tile_login(c, "1002", pin_of("cashier"))
    open_shift_if_asked(c)

    # A cashier sees only their own figures.
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.figures")
    st = c.wait_screen("figures")
    assert [r["staff_id"] for r in st["figures"]["rows"]] == ["1002"]
    assert "figures.everyone" not in c.call("ids")["ids"]

    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.drawer")
    c.wait_screen("drawer")
    c.tap("drawer.reason.0")
    c.tap("drawer.no_sale")
    c.wait_idle()
    dialog = c.state()["dialog"]
    assert dialog is not None and dialog["right"] == "drawer.no_sale"
    # Nothing happens before the supervisor has approved.
    assert c.state()["drawer"]["opened"] == 0
    c.tap("approval.ok")  # no reason, no card yet: refused inside the dialog
    assert c.state()["dialog"]["error"]["code"] == "approval.reason"
    c.tap("approval.reason.1")
    c.scan(CARDS["1001"])
    c.wait_idle()
    assert c.state()["dialog"]["card_holder"] == "李娜"
    c.tap_keys(pin_of("manager"), prefix="approval.keypad")
    c.tap("approval.ok")
    c.wait_idle()
    st = c.state()
    assert st["dialog"] is None and st["drawer_action"]["done"] == "no_sale", st["last_error"]
    assert st["drawer"]["opened"] == 1

    # A cash-out the supervisor does not approve (dialog cancelled) is not done.
    c.tap_keys("50")
    c.tap("drawer.cash_out")
    c.wait_idle()
    assert c.state()["dialog"]["right"] == "cash.move"
    c.tap("approval.cancel")
    st = c.state()
    assert st["dialog"] is None and st["last_error"]["code"] == "approval.cancelled"
    c.tap("banner.dismiss")

    # A Z report is denied to a cashier outright: no dialog, a clear refusal.
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.shift_close")
    c.wait_screen("shift_close")
    c.tap_keys("500")
    c.tap("shift_close.ok")
    c.wait_idle()
    assert c.state()["result"] is not None, c.state()["last_error"]
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.z")
    c.wait_screen("report")
    c.tap("report.confirm")
    c.wait_idle()
    st = c.state()
    assert st["dialog"] is None and st["last_error"]["code"] == "permission.denied"
    assert st["last_error"]["message"] == "您无权做 Z 报表（日结）。"
    app.stop()

    entries = journal(data)
    opened = [e.payload for e in entries if e.kind == "drawer.opened"]
    assert len(opened) == 1 and opened[0]["reason"] == "no_sale"
    assert opened[0]["approver_id"] == "1001"
    granted = [e.payload for e in entries if e.kind == "approval.granted"]
    assert [(g["right"], g["actor"], g["approver"]) for g in granted] == [
        ("drawer.no_sale", "1002", "1001")]
    assert not [e for e in entries if e.kind == "shift.cash_out"]


def test_a_trainee_logs_in_to_training_with_the_checklist_in_the_banner(launch_app,
                                                                       tmp_path: Path) -> None:
    data = tmp_path / "store"
    seed_cards(data, extra=[{"staff_id": "3001", "name": "Sun Li", "name_zh": "孙丽",
                             "role": "cashier", "trainee": True, "pin": "6150"}])
    app = launch_app(language="zh_CN", data_dir=data)
    c = app.c
    st = tile_login(c, "3001", "6150")
    assert st["clerk"]["training"] is True and st["clerk"]["trainee"] is True, st["last_error"]
    assert st["clerk"]["checklist"]["done"] == 0 and st["clerk"]["checklist"]["total"] == 6
    st = c.wait_screen("sale")  # training needs no shift
    assert "banner.training" in c.call("ids")["ids"]
    c.scan(_cola().barcodes[0])
    c.wait_idle()
    c.tap("sale.pay")
    c.wait_screen("tender")
    c.tap_keys("5")
    c.tap("tender.cash")
    st = c.wait_screen("done")
    assert st["last_result"]["training"] is True and st["drawer"]["opened"] == 0
    c.tap("done.new")
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.training")
    st = c.wait_screen("training")
    assert st["checklist"]["counts"]["sale"] == 1
    assert st["clerk"]["checklist"]["done"] == 1  # the banner follows
    # A trainee cannot leave training on their own.
    assert "training.leave" in c.call("ids")["ids"]
    with pytest.raises(AutomationError, match="disabled"):
        c.tap("training.leave")
    app.stop()
    sales = [e for e in journal(data) if e.kind == "sale.completed"]
    assert len(sales) == 1 and sales[0].training is True
