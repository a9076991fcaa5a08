"""The checkout slice end to end: the real app under Xvfb, driven through the control channel
as a clerk and a scanner would drive it, checked against what the printer printed, what the
ledger holds and what the Z report says."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from terminal.automation.client import AutomationError
from terminal.core.barcodes import with_check_digit
from terminal.core.money import mul_qty
from terminal.drivers.printer.decode import decode
from terminal.sample import sample_catalog

from .sample import item as _item
from .sample import pin as _pin

pytestmark = pytest.mark.ui


def test_sale_split_cash_and_mobile_qr(launch_app) -> None:
    app = launch_app(language="en", size=(1024, 600))
    c = app.c
    assert c.state()["screen"] == "login"

    c.tap_keys(_pin("cashier"))
    c.tap("login.ok")
    c.wait_screen("shift_open")
    c.tap_keys("500")
    c.tap("shift_open.ok")
    c.wait_screen("sale")

    cola, water = _item("Cola 330ml can"), _item("Mineral water 550ml")
    pork = _item("Pork belly")
    # A scale label: prefix 22 (price embedded), the item's PLU, price 12.34, check digit.
    label = with_check_digit(f"22{pork.barcodes[0]}01234")
    for code in (cola.barcodes[0], water.barcodes[0], label):
        c.scan(code)
        c.wait_idle()
    st = c.state()
    assert st["last_error"] is None
    lines = st["cart"]
    assert [ln["sku"] for ln in lines] == [cola.sku, water.sku, pork.sku]
    assert lines[2]["price_source"] == "embedded" and lines[2]["net"] == 1234
    # The weight the label's price stands for at the catalog's price per kg, not 1 kg.
    assert lines[2]["qty_milli"] == 343 and lines[2]["unit_price"] == pork.price == 3598
    total = cola.price + water.price + 1234
    assert st["totals"]["total"] == total

    # An unknown barcode is refused with a clear error, and nothing in the cart changes.
    c.scan(with_check_digit("690000000001"))
    c.wait_idle()
    st = c.state()
    assert st["last_error"]["code"] in {"scan.unknown", "catalog.not_found"}
    assert len(st["cart"]) == 3
    c.tap("banner.dismiss")

    c.tap("sale.pay")
    st = c.wait_screen("tender")
    assert st["balance"] == total
    c.tap_keys("10")
    c.tap("tender.cash")
    st = c.wait_screen("tender")
    assert st["balance"] == total - 1000
    c.tap("tender.method.qr")
    c.scan("134567890123456789")  # a WeChat Pay payment code the simulated provider approves
    st = c.wait_screen("done")
    result = st["last_result"]
    assert result["state"] == "completed"
    assert [(t["kind"], t["amount"]) for t in result["tenders"]] == [
        ("cash", 1000), ("qr", total - 1000)]
    receipt_no = result["receipt_no"]
    assert receipt_no == 1
    assert st["drawer"]["opened"] == 1

    # The receipt as printed: real ESC/POS bytes from the simulated printer, decoded.
    c.wait_idle()
    printed = decode((app.data_dir / "printer" / "out.bin").read_bytes())
    for line in lines:
        assert line["name"] in printed
    assert "12.34" in printed
    assert f"{total / 100:.2f}" in printed
    assert "10.00" in printed and f"{(total - 1000) / 100:.2f}" in printed

    assert "DUPLICATE" not in printed
    c.tap("done.reprint")
    c.wait_idle()
    again = decode((app.data_dir / "printer" / "out.bin").read_bytes())
    assert "DUPLICATE" in again and again.count("12.34") == 2 * printed.count("12.34")

    # The drawer opening is in the journal, tied to this sale.
    with sqlite3.connect(app.data_dir / "ledger.sqlite3") as db:
        kinds = [k for (k,) in db.execute("SELECT kind FROM journal ORDER BY seq")]
    assert "sale.completed" in kinds and "drawer.opened" in kinds

    verify = app.cli("ledger", "verify", "--data-dir", str(app.data_dir))
    assert verify.returncode == 0, verify.stdout + verify.stderr

    # The manager closes the day; the Z report shows exactly this sale.
    c.tap("done.new")
    c.wait_screen("sale")
    c.tap("header.logout")
    c.wait_screen("login")
    # The manager uses the keyboard: typed digits and Enter reach the PIN pad too.
    c.type(_pin("manager"))
    assert c.state()["pin_length"] == 4
    assert c.key("enter")["handled"] is True
    c.wait_screen("sale")
    # Blind count: the drawer holds the float plus the cash taken, so the close balances.
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.shift_close")
    c.wait_screen("shift_close")
    c.tap_keys("510")
    c.tap("shift_close.ok")
    c.wait_idle()
    closed = c.state()["result"]
    assert closed is not None
    assert (closed["counted"], closed["expected"], closed["over_short"]) == (51000, 51000, 0)
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.z")
    c.wait_screen("report")
    c.tap("report.confirm")
    c.wait_idle()
    st = c.state()
    report = st["report"]
    assert report is not None, st["last_error"]
    assert report["number"] == 1
    totals = report["totals"]
    assert totals["sales_count"] == 1
    assert totals["net_sales"] == total
    assert totals["by_tender"] == {"cash": 1000, "qr": total - 1000}
    assert totals["first_receipt"] == totals["last_receipt"] == receipt_no

    cli = app.cli("report", "z", "--number", "1", "--json", "--data-dir", str(app.data_dir))
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["totals"]["net_sales"] == total
    assert app.cli("ledger", "verify", "--data-dir", str(app.data_dir)).returncode == 0


def test_card_and_mobile_qr_outcomes(launch_app) -> None:
    """A part paid by card, then a declined and a timed-out QR payment that leave the balance
    as it was, then an approved one that completes the sale."""
    app = launch_app(language="zh_CN", size=(800, 480))
    c = app.c
    c.tap_keys(_pin("manager"))
    c.tap("login.ok")
    c.wait_screen("shift_open")
    c.tap("shift_open.ok")  # an empty float is allowed
    c.wait_screen("sale")
    milk = _item("Pure milk 250ml")
    for _ in range(3):
        c.tap("quick.4")  # the milk quick key
    st = c.wait_screen("sale")
    assert [(ln["sku"], ln["qty_milli"]) for ln in st["cart"]] == [(milk.sku, 3000)]
    # A weighed item from its quick key: the keypad asks for the weight first.
    bananas = _item("Bananas")
    c.tap("quick.6")
    st = c.wait_screen("sale")
    assert st["mode"] == "keypad" and st["pending_item"] == bananas.sku
    c.tap_keys("1.25")
    c.tap("sale.add")
    st = c.wait_screen("sale")
    assert st["pending_item"] is None and st["mode"] == "keys"
    assert (st["cart"][1]["sku"], st["cart"][1]["qty_milli"]) == (bananas.sku, 1250)
    total = 3 * milk.price + mul_qty(bananas.price, 1250)
    assert st["totals"]["total"] == total

    c.tap("sale.pay")
    c.wait_screen("tender")
    c.tap("tender.method.card")
    c.tap_keys("1")
    c.tap("tender.card")
    st = c.wait_screen("tender")
    assert st["balance"] == total - 100
    assert st["sale"]["tenders"][0]["kind"] == "card"

    c.tap("tender.method.qr")
    c.scan("134567890123450000")  # the simulated provider declines codes ending 0000
    st = c.wait_screen("tender")
    assert st["qr_status"] == "declined" and st["balance"] == total - 100
    assert st["last_error"]["code"] == "payment.declined"
    c.scan("134567890123459999")  # ... and times out on 9999
    st = c.wait_screen("tender")
    assert st["qr_status"] == "timeout" and st["balance"] == total - 100
    c.scan("134567890123456789")
    st = c.wait_screen("done")
    assert [t["kind"] for t in st["last_result"]["tenders"]] == ["card", "qr"]
    assert st["last_error"] is None
    # No cash was taken, so the drawer stayed shut.
    assert st["drawer"]["opened"] == 0
    with sqlite3.connect(app.data_dir / "ledger.sqlite3") as db:
        declined = db.execute(
            "SELECT count(*) FROM journal WHERE kind = 'payment.declined'").fetchone()[0]
    assert declined == 2


def test_hold_recall_and_void_a_sale(launch_app) -> None:
    app = launch_app(language="en", size=(1024, 600))
    c = app.c
    c.tap_keys(_pin("manager"))
    c.tap("login.ok")
    c.wait_screen("shift_open")
    c.tap("shift_open.ok")
    c.wait_screen("sale")
    cola, milk = _item("Cola 330ml can"), _item("Pure milk 250ml")

    c.scan(cola.barcodes[0])
    c.wait_idle()
    c.tap("header.menu")
    c.tap("menu.held")
    c.wait_screen("recall")
    c.tap("recall.suspend")
    st = c.wait_screen("sale")
    assert st["cart"] == [] and len(st["sale"]["suspended"]) == 1

    c.scan(milk.barcodes[0])
    c.wait_idle()
    c.tap("header.menu")
    c.tap("menu.held")
    c.wait_screen("recall")
    c.tap("recall.void")
    st = c.wait_screen("recall")
    assert st["confirm_void"] is True  # the first tap only asks
    time.sleep(0.6)  # a confirming tap, not a bounce of the first (those are ignored)
    c.tap("recall.void")
    st = c.wait_screen("sale")
    assert st["cart"] == []

    c.tap("header.menu")
    c.tap("menu.held")
    c.wait_screen("recall")
    c.tap("recall.held.0")
    st = c.wait_screen("sale")
    assert [ln["sku"] for ln in st["cart"]] == [cola.sku]
    # Half off the recalled line: typed on the keypad, applied to the selected line.
    c.tap("sale.mode.keypad")
    c.tap_keys("50")
    c.tap("sale.discount")
    st = c.wait_screen("sale")
    assert st["cart"][0]["discount"] == cola.price // 2
    assert st["totals"]["total"] == cola.price - cola.price // 2
    c.tap("sale.pay")
    c.wait_screen("tender")
    c.tap("tender.quick.0")
    st = c.wait_screen("done")
    assert st["last_result"]["total"] == cola.price - cola.price // 2

    with sqlite3.connect(app.data_dir / "ledger.sqlite3") as db:
        kinds = [k for (k,) in db.execute("SELECT kind FROM journal ORDER BY seq")]
    for kind in ("sale.suspended", "sale.voided", "sale.recalled", "sale.completed"):
        assert kind in kinds
    assert app.cli("ledger", "verify", "--data-dir", str(app.data_dir)).returncode == 0

    # The customer's payment code scanned straight at the cart pays the whole balance.
    c.tap("done.new")
    c.wait_screen("sale")
    c.scan(milk.barcodes[0])
    c.wait_idle()
    c.scan("284567890123456789")  # an Alipay code
    st = c.wait_screen("done")
    assert [(t["kind"], t["amount"]) for t in st["last_result"]["tenders"]] == [
        ("qr", milk.price)]

    # An unplugged scanner is shown, and its reads stop until it is back.
    c.call("scanner", action="unplug")
    st = c.state()
    assert st["scanner"]["problem"] == "disconnected"
    assert "banner.scanner" in c.call("ids")["ids"]
    with pytest.raises(AutomationError, match="unplugged"):
        c.scan(cola.barcodes[0])
    c.call("scanner", action="replug")
    assert c.state()["scanner"]["problem"] == ""

    # systemd's SIGTERM: the terminal closes cleanly and takes its control socket with it.
    assert app.stop() == 0, app.log[-2000:]
    assert not app.socket_path.exists()
    assert "terminal stopped" in app.log


def test_long_cart_keeps_the_newest_line_in_view_and_a_tapped_line_takes_the_keys(
        launch_app) -> None:
    app = launch_app(language="en", size=(800, 480))
    c = app.c
    c.tap_keys(_pin("manager"))
    c.tap("login.ok")
    c.wait_screen("shift_open")
    c.tap("shift_open.ok")
    c.wait_screen("sale")
    items, _taxes, _quick = sample_catalog()
    each = [i for i in items if i.unit == "each" and not i.open_price and i.barcodes][:12]
    for item in each:
        c.scan(item.barcodes[0])
        c.wait_idle()
    st = c.state()
    assert len(st["cart"]) == 12 and st["selected_line"] == 12
    # Only the rows in view exist: the list has scrolled to the newest line.
    ids = set(c.call("ids")["ids"])
    assert "cart.line.12" in ids and "cart.line.1" not in ids

    c.tap("cart.line.11")
    assert c.state()["selected_line"] == 11
    c.tap("sale.mode.keypad")
    c.tap_keys("3")
    c.tap("sale.qty")
    st = c.wait_screen("sale")
    assert st["last_error"] is None
    assert [ln["qty_milli"] for ln in st["cart"]][10:] == [3000, 1000]
    assert st["selected_line"] == 11

    c.tap("sale.void_line")
    st = c.wait_screen("sale")
    assert st["last_error"] is None and st["cart"][10]["voided"]
    # The voided line stays in the list, struck through; the selection moves off it.
    assert "cart.line.11" in set(c.call("ids")["ids"]) and st["selected_line"] == 12
