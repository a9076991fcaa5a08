"""Pinyin search at the counter, on the real app under Xvfb: the clerk taps "niu" (or the
initials "nn") on the sale screen's search keyboard and finds 纯牛奶, then taps it into the
cart from "cnn"."""

from __future__ import annotations

import pytest

from terminal.automation.client import AutomationClient
from terminal.sample import sample_catalog

from .sample import pin as _pin

pytestmark = pytest.mark.ui


def _type_on_keyboard(c: AutomationClient, text: str) -> list[str]:
    c.tap("kb.clear")
    for ch in text:
        c.tap(f"kb.{ch}")
    c.wait_idle()
    return c.state()["results"]


def test_niu_and_nn_find_pure_milk_on_the_search_keyboard(launch_app) -> None:
    c = launch_app(language="zh_CN", size=(1024, 600)).c
    c.tap_keys(_pin("cashier"))
    c.tap("login.ok")
    c.wait_screen("shift_open")
    c.tap_keys("0")
    c.tap("shift_open.ok")
    c.wait_screen("sale")
    items, _taxes, _quick = sample_catalog()
    milk = {i.sku for i in items if i.name_zh.startswith("纯牛奶")}
    assert milk

    c.tap("sale.mode.search")
    found = _type_on_keyboard(c, "niu")
    assert milk & set(found), found
    assert milk & set(_type_on_keyboard(c, "nn"))
    # Nothing Chinese reads "zzq...": the screen shows no results rather than stale ones.
    assert _type_on_keyboard(c, "zqzq") == []

    # The initials of the whole name put it at the top, where a finger can reach it.
    found = _type_on_keyboard(c, "cnn")
    assert found and found[0] in milk, found
    pick = 0
    c.tap(f"search.result.{pick}")
    c.wait_idle()
    st = c.state()
    assert st["last_error"] is None
    assert [ln["sku"] for ln in st["cart"]] == [found[pick]]
