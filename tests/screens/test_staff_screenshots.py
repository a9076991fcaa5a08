"""Screenshots of the staff screens in both languages: the login tiles, the supervisor approval
dialog, the training banner and checklist, a clerk's figures and the refund screen. With
``--screenshots`` they go to docs/screenshots/staff/ (the README links them); otherwise to a
temporary directory. Each must be a real picture of the window, not a blank frame."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.sample import sample_catalog
from tests.e2e.test_staff import CARDS, pin_of, seed_cards
from tests.screens.test_screenshots import _check

pytestmark = pytest.mark.ui

SIZE = (1024, 600)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_screenshots_of_the_staff_screens(launch_app, screenshot_dir: Path, tmp_path: Path,
                                          language: str) -> None:
    data = tmp_path / "store"
    seed_cards(data)
    app = launch_app(language=language, size=SIZE, data_dir=data)
    c = app.c
    out = screenshot_dir / "staff" / language
    shots: list[Path] = []

    def shot(name: str, screen: str) -> None:
        c.wait_screen(screen)
        path = out / f"{name}.png"
        c.screenshot(path)
        shots.append(path)

    # PIN-only store: a tile names the clerk, then the PIN.
    st = c.wait_screen("login")
    assert st["tiles"] == ["1001", "1002"]
    c.tap("login.tile.1002")
    c.tap_keys(pin_of("cashier")[:2])
    shot("login_tiles", "login")
    c.tap_keys(pin_of("cashier")[2:])
    c.tap("login.ok")
    c.wait_screen("shift_open")
    assert c.state()["clerk"]["staff_id"] == "1002"
    c.tap_keys("500")
    c.tap("shift_open.ok")
    c.wait_screen("sale")

    items, _t, _q = sample_catalog()
    cola = next(i for i in items if i.name == "Cola 330ml can")
    for _n in range(3):
        c.scan(cola.barcodes[0])
        c.wait_idle()
    c.tap("sale.pay")
    c.wait_screen("tender")
    c.tap_keys("20")
    c.tap("tender.cash")
    c.wait_screen("done")
    c.tap("done.new")
    c.wait_screen("sale")

    # A price override is approval-only for a cashier: the dialog asks for a supervisor.
    c.scan(cola.barcodes[0])
    c.wait_idle()
    c.tap("sale.mode.keypad")
    c.tap_keys("2")
    c.tap("sale.price")
    c.wait_idle()
    dialog = c.state()["dialog"]
    assert dialog is not None and dialog["right"] == "sale.price_override"
    c.tap("approval.reason.3")
    c.scan(CARDS["1001"])
    c.wait_idle()
    c.tap_keys("48", prefix="approval.keypad")
    shot("approval", "sale")
    c.tap_keys(pin_of("manager")[2:], prefix="approval.keypad")
    c.tap("approval.ok")
    c.wait_idle()
    st = c.state()
    assert st["dialog"] is None and st["cart"][0]["unit_price"] == 200, st["last_error"]
    sell_total = st["totals"]["total"]
    c.tap("sale.pay")
    c.wait_screen("tender")
    c.tap_keys(str(sell_total // 100))
    c.tap("tender.cash")
    c.wait_screen("done")
    # The customer rates the sale with one tap.
    shot("done_rating", "done")
    c.tap("done.rate.5")
    c.wait_idle()
    assert c.state()["result"]["rated"] == 5
    assert "done.rated" in c.call("ids")["ids"]
    c.tap("done.new")

    # The cashier's own figures for today.
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.figures")
    c.wait_idle()
    st = c.state()
    rows = st["figures"]["rows"]
    assert [r["staff_id"] for r in rows] == ["1002"] and rows[0]["sales_count"] == 2
    assert rows[0]["price_overrides"] == 1
    assert rows[0]["ratings_count"] == 1 and rows[0]["rating_average"] == 5
    shot("figures", "figures")
    c.tap("figures.export")
    c.wait_idle()
    exported = Path(c.state()["export_path"])
    assert exported.parent == data / "exports"
    assert exported.read_text(encoding="utf-8").splitlines()[1].startswith("1002,")

    # The refund screen with the first receipt found and one can chosen.
    c.tap("figures.back")
    c.wait_screen("menu")
    c.tap("menu.refund")
    c.wait_screen("refund")
    c.tap_keys("1")
    c.tap("refund.find")
    c.wait_idle()
    line = c.state()["refund"]["found"]["lines"][0]["line_no"]
    c.tap(f"refund.line.{line}.plus")
    c.wait_idle()
    c.tap("refund.reason.0")
    assert c.state()["refund"]["amount"] == cola.price
    shot("refund", "refund")
    c.tap("refund.cancel")

    # A supervisor switches the cashier into training: the banner shows on every screen.
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.training")
    c.wait_screen("training")
    c.tap("training.start")
    assert c.state()["dialog"]["mode"] == "training"
    c.scan(CARDS["1001"])
    c.wait_idle()
    c.tap_keys(pin_of("manager"), prefix="approval.keypad")
    c.tap("approval.ok")
    c.wait_idle()
    st = c.state()
    assert st["clerk"]["training"] is True, st["last_error"]
    assert "banner.training" in c.call("ids")["ids"]
    shot("training", "training")
    c.tap("training.back")
    c.wait_screen("sale")
    c.scan(cola.barcodes[0])
    c.wait_idle()
    assert c.state()["sale"]["training"] is True
    shot("training_banner", "sale")

    # The manager's staff screen, with the cashier picked.
    c.tap("header.logout")
    c.wait_screen("login")
    c.tap("login.tile.1001")
    c.tap_keys(pin_of("manager"))
    c.tap("login.ok")
    c.wait_screen("sale")
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.staff")
    c.wait_screen("staff")
    c.tap("staff.member.1002")
    shot("staff", "staff")

    for path in shots:
        _check(path, SIZE)
