"""A full or read-only data directory and input no code could be, through the real app under
Xvfb: the data directory lives on a real small tmpfs (skipped where the machine does not allow
mounting one), the disk is filled while a sale is being paid, and the same sale completes once
space is back; a restart on a read-only data directory says so on the login screen."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.automation.client import AutomationError

from .sample import barcode as _barcode
from .sample import pin as _pin

pytestmark = pytest.mark.ui


@contextlib.contextmanager
def small_fs(path: Path, size: str = "24m") -> Iterator[Path]:
    path.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True, text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fill(directory: Path) -> Path:
    """Write a file until the file system has no byte left."""
    filler = directory / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    chunk = b"\0" * (1 << 16)
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 2]
    finally:
        os.close(fd)
    return filler


def _login_and_open_shift(c) -> None:
    c.tap_keys(_pin("cashier"))
    c.tap("login.ok")
    c.wait_screen("shift_open")
    c.tap_keys("500")
    c.tap("shift_open.ok")
    c.wait_screen("sale")


def _sell(c, *codes: str, cash: str) -> dict:
    for code in codes:
        c.scan(code)
        c.wait_idle()
    c.tap("sale.pay")
    c.wait_screen("tender")
    c.tap_keys(cash)
    c.tap("tender.cash")
    c.wait_idle()
    return c.state()


def test_a_full_disk_keeps_the_sale_and_finish_completes_it(launch_app, tmp_path: Path) -> None:
    with small_fs(tmp_path / "small") as data:
        app = launch_app(language="en", data_dir=data, config_dir=tmp_path)
        c = app.c
        _login_and_open_shift(c)
        st = _sell(c, _barcode("Cola 330ml can"), cash="10")
        assert st["screen"] == "done" and st["last_result"]["receipt_no"] == 1
        c.tap("done.new")
        c.wait_screen("sale")

        filler = _fill(data)
        cola, water = _barcode("Cola 330ml can"), _barcode("Mineral water 550ml")
        st = _sell(c, cola, water, cash="20")
        assert st["screen"] == "tender"
        error = st["last_error"]
        assert error["code"] == "ledger.disk_full", error
        assert str(data) in error["message"] and "Finish" in error["message"]
        assert st["balance"] == 0 and len(st["cart"]) == 2
        assert "tender.finish" in c.call("ids")["ids"]
        # Still full: Finish and another tender retry the save and fail the same way.
        c.tap("tender.finish")
        c.wait_idle()
        assert c.state()["last_error"]["code"] == "ledger.disk_full"
        c.tap("tender.cash")
        c.wait_idle()
        st = c.state()
        assert st["last_error"]["code"] == "ledger.disk_full" and st["screen"] == "tender"
        assert st["sale"]["tenders"] == [{**st["sale"]["tenders"][0], "kind": "cash"}]
        with pytest.raises(AutomationError):
            c.tap("tender.back")  # payment taken: no way back to the cart, only Finish

        filler.unlink()
        c.tap("tender.finish")
        st = c.wait_screen("done")
        result = st["last_result"]
        assert result["state"] == "completed" and result["receipt_no"] == 2
        assert [(t["kind"], t["tendered"]) for t in result["tenders"]] == [("cash", 2000)]
        assert [ln["barcode"] for ln in result["lines"]] == [cola, water]
        c.wait_idle()
        with sqlite3.connect(data / "ledger.sqlite3") as db:
            receipts = [n for (n,) in db.execute(
                "SELECT number FROM journal WHERE kind = 'sale.completed' ORDER BY seq")]
        assert receipts == [1, 2]
        verify = app.cli("ledger", "verify", "--data-dir", str(data))
        assert verify.returncode == 0, verify.stdout + verify.stderr
        app.stop()


def test_a_start_on_a_read_only_data_directory_says_so(launch_app, tmp_path: Path) -> None:
    with small_fs(tmp_path / "small") as data:
        app = launch_app(language="en", data_dir=data, config_dir=tmp_path)
        _login_and_open_shift(app.c)
        assert _sell(app.c, _barcode("Cola 330ml can"), cash="10")["screen"] == "done"
        app.stop()
        subprocess.run(["mount", "-o", "remount,ro", str(data)], check=True)
        try:
            config_dir = tmp_path / "again"
            config_dir.mkdir()
            app = launch_app(language="en", data_dir=data, config_dir=config_dir)
            c = app.c
            c.wait_idle()
            st = c.state()
            problem = st["start_problem"]
            assert problem is not None and problem["code"] == "data_dir.read_only"
            assert str(data) in problem["message"] and "read-only" in problem["message"]
            assert st["screen"] == "login"
            assert "banner.data_dir" in c.call("ids")["ids"]
            c.tap_keys(_pin("cashier"))
            c.tap("login.ok")
            c.wait_idle()
            st = c.state()
            assert st["screen"] == "login"
            assert st["last_error"]["code"] == "data_dir.read_only", st["last_error"]
            assert "AttributeError" not in app.log and "NoneType" not in app.log
            assert "AttributeError" not in st["last_error"]["message"]
            app.stop()
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(data)], capture_output=True)


def test_a_scan_of_thousands_of_characters_keeps_the_banner_small(launch_app) -> None:
    app = launch_app(language="en")
    c = app.c
    _login_and_open_shift(c)
    cola = _barcode("Cola 330ml can")
    c.scan(f"{cola[:-1]}{(int(cola[-1]) + 1) % 10}")  # a misread: a one-line error banner
    c.wait_idle()
    normal = c.state()["banner_height"]
    assert c.state()["last_error"] is not None and normal > 0
    c.tap("banner.dismiss")
    for code in ("7" * 5000, "A" * 5000, "8" * 400):
        c.scan(code)
        c.wait_idle()
        st = c.state()
        assert st["last_error"]["code"] in ("scan.too_long", "scan.unknown")
        assert len(st["last_error"]["message"]) <= 280
        assert st["banner_height"] <= 3 * normal
        assert st["cart"] == []
    assert c.state()["last_error"]["code"] == "scan.unknown"
    c.scan("7" * 5000)
    c.wait_idle()
    assert c.state()["last_error"]["code"] == "scan.too_long"
    assert "5000" in c.state()["last_error"]["message"]
    # The terminal still sells.
    c.tap("banner.dismiss")
    c.scan(_barcode("Cola 330ml can"))
    c.wait_idle()
    assert len(c.state()["cart"]) == 1
