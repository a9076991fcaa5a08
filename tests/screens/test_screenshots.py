"""Screenshots of every main screen, in both languages, and of the sale screen at the four
supported window sizes. With ``--screenshots`` they go to docs/screenshots/ (the README shows
them); otherwise to a temporary directory. Each must be a real picture of the window, not a
blank frame."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from terminal.core.barcodes import with_check_digit
from terminal.sample import sample_catalog, sample_staff

pytestmark = pytest.mark.ui

SIZES = ((800, 480), (1024, 600), (1280, 800), (720, 1280))
BASE = (1024, 600)


def _pin(role: str) -> str:
    return next(s["pin"] for s in sample_staff() if s["role"] == role)


def _codes() -> list[str]:
    items, _t, _q = sample_catalog()
    by_name = {i.name: i for i in items}
    pork = by_name["Pork belly"]
    return [
        by_name["Cola 330ml can"].barcodes[0],
        by_name["Pure milk 250ml"].barcodes[0],
        by_name["Instant noodles Braised beef"].barcodes[0],
        by_name["Instant noodles Braised beef"].barcodes[0],
        with_check_digit(f"22{pork.barcodes[0]}02150"),
    ]


def _check(path: Path, size: tuple[int, int]) -> None:
    with Image.open(path) as im:
        assert im.size == size, f"{path.name}: {im.size} != {size}"
        colors = im.convert("RGB").getcolors(maxcolors=1 << 16)
        # A screen with text and buttons has many shades (anti-aliased glyphs); a blank or
        # half-drawn frame has a handful.
        assert colors is None or len(colors) > 40, f"{path.name} looks blank"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_screenshots_of_each_main_screen(launch_app, screenshot_dir: Path, language: str
                                         ) -> None:
    app = launch_app(language=language, size=BASE)
    c = app.c
    out = screenshot_dir / language
    shots: list[tuple[Path, tuple[int, int]]] = []

    def shot(name: str, screen: str, size: tuple[int, int] = BASE) -> None:
        st = c.wait_screen(screen)
        assert st["size"] == list(size)
        path = out / f"{name}.png"
        c.screenshot(path)
        shots.append((path, size))

    shot("login", "login")
    for size in SIZES:
        c.call("resize", width=size[0], height=size[1])
        shot(f"login-{size[0]}x{size[1]}", "login", size)
    c.call("resize", width=BASE[0], height=BASE[1])
    c.tap_keys(_pin("manager"))
    c.tap("login.ok")
    c.wait_screen("shift_open")
    c.tap_keys("500")
    shot("shift_open", "shift_open")
    c.tap("shift_open.ok")
    c.wait_screen("sale")
    for code in _codes():
        c.scan(code)
        c.wait_idle()
    assert len(c.state()["cart"]) == 4
    shot("sale", "sale")
    for size in SIZES:
        c.call("resize", width=size[0], height=size[1])
        shot(f"sale-{size[0]}x{size[1]}", "sale", size)
    c.call("resize", width=BASE[0], height=BASE[1])
    c.tap("sale.mode.search")
    c.type("noodle")
    shot("sale_search", "sale")
    assert c.state()["results"], "search found nothing"
    c.tap("sale.mode.keys")
    # What a clerk sees when things go wrong: a printer warning and an unknown barcode.
    c.printer("paper_out")
    c.scan(with_check_digit("690000000001"))
    c.wait_idle()
    st = c.state()
    assert st["printer"]["problem"] == "paper_out" and st["last_error"] is not None
    shot("sale_errors", "sale")
    c.printer("clear")
    c.tap("banner.dismiss")

    c.tap("sale.pay")
    shot("tender", "tender")
    c.tap_keys("20")
    c.tap("tender.cash")
    c.tap("tender.method.qr")
    shot("tender_qr", "tender")
    c.tap("tender.method.cash")
    c.tap("tender.quick.1")
    shot("done", "done")
    c.tap("done.new")
    c.wait_screen("sale")

    c.tap("header.menu")
    shot("menu", "menu")
    c.tap("menu.x")
    c.wait_idle()
    shot("report_x", "report")
    c.tap("header.menu")
    c.tap("menu.shift_close")
    c.wait_screen("shift_close")
    c.tap_keys("520")
    c.tap("shift_close.ok")
    c.wait_idle()
    assert c.state()["result"] is not None
    shot("shift_close", "shift_close")
    c.tap("header.menu")
    c.tap("menu.z")
    c.wait_screen("report")
    c.tap("report.confirm")
    c.wait_idle()
    assert c.state()["report"]["number"] == 1
    shot("report_z", "report")


    for path, size in shots:
        _check(path, size)
