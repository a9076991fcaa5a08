"""A cash drawer left open: the real app under Xvfb shows the banner and the ledger holds the
journal entries and the alert, with the drawer opened only once."""

from __future__ import annotations

import sqlite3
import time

import pytest

from terminal.sample import sample_catalog, sample_staff

pytestmark = pytest.mark.ui


def _pin(role: str) -> str:
    return next(s["pin"] for s in sample_staff() if s["role"] == role)


def test_drawer_left_open_shows_a_banner_and_is_journaled(launch_app) -> None:
    app = launch_app(language="zh_CN", extra_config="\n[drawer]\nopen_alert_s = 1\n")
    c = app.c
    c.tap_keys(_pin("cashier"))
    c.tap("login.ok")
    c.wait_screen("shift_open")
    c.tap_keys("0")
    c.tap("shift_open.ok")
    c.wait_screen("sale")
    item = sample_catalog()[0][0]
    c.scan(item.barcodes[0])
    c.wait_idle()
    c.tap("sale.pay")
    c.wait_screen("tender")
    c.tap_keys("100")
    c.tap("tender.cash")
    c.wait_screen("done")
    # The banner comes with the device poll once the monitor has raised its alert.
    deadline = time.monotonic() + 20
    while "banner.drawer" not in c.call("ids")["ids"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "banner.drawer" in c.call("ids")["ids"]
    assert c.state()["drawer"]["left_open"] >= 1
    c.wait_idle()

    db = sqlite3.connect(app.data_dir / "ledger.sqlite3")
    try:
        kinds = [k for (k,) in db.execute("SELECT kind FROM journal ORDER BY seq")]
    finally:
        db.close()
    assert kinds.count("drawer.opened") == 1
    assert kinds.count("drawer.left_open") == 1
    assert kinds.index("drawer.left_open") < len(kinds) - 1
    assert kinds[kinds.index("drawer.left_open") + 1] == "alert.raised"
