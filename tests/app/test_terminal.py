"""The composition root without a window: the terminal the screens talk to, wired on a real
ledger file with the sample store and simulated devices."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.app.wiring import build_terminal
from terminal.config import parse_config
from terminal.core.auth import LoginFailed, PinChangeRequired
from terminal.core.barcodes import with_check_digit
from terminal.core.device_state import DrawerView, ScannerView
from terminal.core.errors import PosError
from terminal.core.staff import OWNER
from terminal.sample import sample_catalog, sample_staff


def _config(data_dir: Path):
    return parse_config(
        f'[terminal]\nid = "UT1"\ndata_dir = "{data_dir}"\n[hardware]\nsimulated = true\n'
    )


@pytest.fixture
def terminal(tmp_path: Path):
    t = build_terminal(_config(tmp_path), seed_sample=True)
    yield t
    t.close()


def _pin(role: str) -> str:
    return next(s["pin"] for s in sample_staff() if s["role"] == role)


def test_a_sale_through_the_terminal(terminal, tmp_path: Path) -> None:
    items = {i.name: i for i in sample_catalog()[0]}
    clerk = terminal.login(_pin("cashier"))
    assert clerk.role == "cashier" and not clerk.training
    assert terminal.shift_state() is None
    with pytest.raises(PosError):
        terminal.scan(items["Cola 330ml can"].barcodes[0])  # no shift open yet
    terminal.open_shift(20000)
    assert terminal.shift_state().opening_float == 20000
    terminal.scan(items["Cola 330ml can"].barcodes[0])
    snap = terminal.scan(with_check_digit(f"22{items['Pork belly'].barcodes[0]}00990"))
    assert [ln.net for ln in snap.lines] == [items["Cola 330ml can"].price, 990]
    total = snap.total
    snap = terminal.start_payment()
    assert snap.state == "tendering" and snap.balance_due == total
    snap = terminal.pay_cash(500)
    assert snap.balance_due == total - 500
    snap = terminal.pay_qr("134567890123456789", total - 500)
    assert snap.state == "completed" and snap.receipt_no == 1
    assert terminal.drawer_state().opened == 1
    assert terminal.wait_printed(10)
    assert (tmp_path / "printer" / "out.bin").stat().st_size > 0
    x = terminal.report("x")
    assert x.totals.net_sales == total
    assert x.totals.by_tender == {"cash": 500, "qr": total - 500}
    closed = terminal.close_shift(20500)
    assert closed.over_short == 0
    assert terminal.shift_state() is None


def test_search_and_quick_keys_come_from_the_catalog(terminal) -> None:
    terminal.login(_pin("manager"))
    keys = terminal.quick_keys()
    assert keys and all(k.sku and (k.price > 0 or k.open_price) for k in keys)
    found = terminal.search("noodle")
    assert found and all("noodle" in i.name.lower() for i in found)


def test_wrong_pin_and_an_issued_pin_that_must_change(terminal) -> None:
    with pytest.raises(LoginFailed):
        terminal.login("0000")
    terminal.staff.staff.add({"staff_id": "2001", "name": "New Clerk", "role": "cashier"},
                             by=OWNER, pin="5917", must_change_pin=True)
    with pytest.raises(PinChangeRequired):
        terminal.login("5917")
    clerk = terminal.change_pin("5917", "3861")
    assert clerk.staff_id == "2001"
    terminal.logout()
    assert terminal.login("3861").staff_id == "2001"


def test_deferred_terminal_loads_on_demand(tmp_path: Path) -> None:
    t = build_terminal(_config(tmp_path), seed_sample=True, deferred=True)
    assert not t.loaded
    assert t.printer_status().detail == "starting"
    assert not (tmp_path / "ledger.sqlite3").exists()
    t.load()
    try:
        assert t.loaded and (tmp_path / "ledger.sqlite3").exists()
        assert t.login(_pin("manager")).role == "manager"
    finally:
        t.close()


def test_link_is_wired_when_enabled_and_never_blocks_selling(tmp_path: Path, caplog) -> None:
    """No broker listens here: the relay keeps retrying in its own thread while the terminal
    sells, and every entry waits in the outbox."""
    cfg = parse_config(
        f'[terminal]\nid = "UT2"\ndata_dir = "{tmp_path}"\n[hardware]\nsimulated = true\n'
        '[link]\nenabled = true\nhost = "127.0.0.1"\nport = 1\nstore = "S1"\n'
    )
    t = build_terminal(cfg, seed_sample=True)
    try:
        assert any(fn.__qualname__.startswith("Relay.") for fn in t._closers)
        t.login(_pin("manager"))
        t.open_shift(0)
        item = sample_catalog()[0][0]
        t.scan(item.barcodes[0])
        assert t.pay_cash(item.price).state == "completed"
        assert t.ledger.outbox().depth() > 0
    finally:
        t.close()
    bad = parse_config(
        f'[terminal]\nid = "UT3"\ndata_dir = "{tmp_path / "b"}"\n[hardware]\nsimulated = true\n'
        '[link]\nenabled = true\nstore = "not a valid id!"\n'
    )
    t = build_terminal(bad, seed_sample=True)
    try:
        assert not any(fn.__qualname__.startswith("Relay.") for fn in t._closers)
        assert "link not started: [link] store" in caplog.text
    finally:
        t.close()


def test_control_channel_only_on_simulated_hardware(tmp_path: Path) -> None:
    from terminal.app.run import automation_allowed, automation_socket

    def cfg(simulated: bool, enabled: bool, socket: str = ""):
        return parse_config(
            f'[terminal]\ndata_dir = "{tmp_path}"\n'
            f"[hardware]\nsimulated = {str(simulated).lower()}\n"
            f'[automation]\nenabled = {str(enabled).lower()}\nsocket = "{socket}"\n'
        )

    assert automation_allowed(cfg(True, True))
    assert not automation_allowed(cfg(True, False))
    assert not automation_allowed(cfg(False, True))
    assert automation_socket(cfg(True, True)) == tmp_path / "automation.sock"
    assert automation_socket(cfg(True, True, "/run/pos/a.sock")) == Path("/run/pos/a.sock")


def _printer_problem(terminal, timeout: float = 10.0) -> str:
    """The printer's owner thread reads the status in the background: wait for a problem."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        problem = terminal.printer_status().problem
        if problem:
            return problem
        time.sleep(0.02)
    return ""


@pytest.mark.parametrize("fault", ["cover_open", "paper_out", "offline"])
def test_printer_problem_names_the_fault_not_just_offline(terminal, fault: str) -> None:
    # An open cover also reports the printer as not online; the clerk must read "cover open".
    terminal.printer_fault(fault)
    assert _printer_problem(terminal) == fault
    terminal.printer_fault("clear")


def test_open_price_over_the_clerks_limit_asks_for_a_supervisor(terminal) -> None:
    """The screens retry any call that takes ``approval=`` once a supervisor approves; an open
    price over the cashier's limit must take that path, not end in an error."""
    import inspect

    from terminal.core.rights import ApprovalRequired, Right
    from terminal.core.staff import OWNER

    assert "approval" in inspect.signature(terminal.add_sku).parameters
    terminal.staff.staff.assign_card("1001", "SUPCARD-1", by=OWNER)
    terminal.login(_pin("cashier"))
    terminal.open_shift(0)
    price = 500_000  # ¥5,000.00, over the cashier's open-price limit
    with pytest.raises(ApprovalRequired) as raised:
        terminal.add_sku("MISC", price=price)
    assert raised.value.decision.right is Right.OPEN_PRICE
    assert not terminal.sale_snapshot().lines
    approval = terminal.staff.approvals.approve(
        clerk_id="1002", right=Right.OPEN_PRICE, card="SUPCARD-1", pin=_pin("manager"),
        reason="other", amount=price,
    )
    snap = terminal.add_sku("MISC", price=price, approval=approval)
    (line,) = snap.lines
    assert line.unit_price == price and line.price_source == "open"
    assert line.approver_id == "1001"


def _entries(terminal, kind: str) -> list:
    return [e for e in terminal.ledger.entries(limit=100_000) if e.kind == kind]


def _wait_for(predicate, timeout: float = 15.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_drawer_left_open_and_closed_are_journaled_through_the_worker(tmp_path: Path) -> None:
    import threading

    from terminal.app.worker import Worker

    cfg = parse_config(
        f'[terminal]\nid = "UT4"\ndata_dir = "{tmp_path}"\n[hardware]\nsimulated = true\n'
        "[drawer]\nopen_alert_s = 1\n"
    )
    t = build_terminal(cfg, seed_sample=True)
    worker = Worker(lambda fn: fn())
    writers: set[str] = set()
    t.ledger.subscribe(lambda _e: writers.add(threading.current_thread().name))
    t.background = worker.submit
    worker.start()
    try:
        t.login(_pin("cashier"))
        t.open_shift(0)
        item = sample_catalog()[0][0]
        t.scan(item.barcodes[0])
        assert t.pay_cash(item.price).state == "completed"
        assert _wait_for(lambda: t.drawer_state().open is True)
        assert _wait_for(lambda: t.drawer_state().left_open is not None)
        assert worker.wait_idle(10)
        (left,) = _entries(t, "drawer.left_open")
        assert left.payload["seconds"] >= 1 and left.staff_id == "1002"
        alerts = [e for e in _entries(t, "alert.raised")
                  if e.payload["alert"] == "drawer_left_open"]
        assert len(alerts) == 1 and alerts[0].payload["severity"] == "warning"
        assert not _entries(t, "drawer.closed")

        t.drawer.close()  # someone pushes it shut
        assert _wait_for(lambda: t.drawer_state().left_open is None)
        assert worker.wait_idle(10)
        assert _wait_for(lambda: len(_entries(t, "drawer.closed")) == 1)
        assert worker.wait_idle(10)
        (closed,) = _entries(t, "drawer.closed")
        assert closed.payload["seconds_open"] >= 1
        # The sale posted the one "drawer.opened"; the sensor does not post it again.
        opened = _entries(t, "drawer.opened")
        assert [e.payload["reason"] for e in opened] == ["sale"]
        # Every write from the monitor's events went through the worker thread.
        assert "drawer-monitor" not in writers
    finally:
        worker.stop()
        t.close()


def test_scanner_state_names_the_state_the_banner_translates(terminal) -> None:
    from terminal.screens.errors import SCANNER_STATES

    terminal.scanner.start(lambda _read: None)
    try:
        terminal.scanner_fault("unplug")
        st = terminal.scanner_state()
        assert st.problem == "disconnected"
        assert set(st.states.values()) == {"unplugged"}
        assert set(st.states.values()) <= set(SCANNER_STATES)
        terminal.scanner_fault("replug")
        assert terminal.scanner_state() == ScannerView()
    finally:
        terminal.scanner.stop()


def test_provisioned_settings_survive_a_restart_over_the_files_values(tmp_path: Path) -> None:
    from terminal.link import protocol as p
    from terminal.link.handlers import settings_handlers

    cfg = parse_config(
        f'[terminal]\nid = "UT5"\ndata_dir = "{tmp_path}"\n[hardware]\nsimulated = true\n'
        '[store]\nname = "File Store"\ncash_rounding_step = 0\nrefund_max_age_days = 30\n'
    )
    t = build_terminal(cfg, seed_sample=True)
    try:
        # Through the same handler an owner's signed "settings.set" command reaches.
        handle = settings_handlers(t.ledger)["settings.set"]
        handle(p.SettingsSet(values={"cash_rounding_step": 10, "refund_max_age_days": 60,
                                     "cash_rounding_mode": "down"}))
        handle(p.SettingsSet(values={"refund_max_age_days": 7}))
    finally:
        t.close()

    t = build_terminal(cfg, seed_sample=True)
    try:
        s = t.settings
        assert (s.cash_rounding_step, s.refund_max_age_days) == (10, 7)
        assert s.cash_rounding_mode.value == "down"
        assert s.store_name == "File Store"  # not provisioned: the file's value
        # Checkout takes the provisioned rounding: 12.34 in cash is 12.30.
        t.login(_pin("manager"))
        t.open_shift(0)
        pork = next(i for i in sample_catalog()[0] if i.name == "Pork belly")
        t.scan(with_check_digit(f"22{pork.barcodes[0]}01234"))
        done = t.pay_cash(1230)
        assert done.state == "completed" and done.rounding == -4
    finally:
        t.close()


def test_a_provisioned_value_that_no_longer_fits_keeps_the_files(tmp_path: Path, caplog) -> None:
    from terminal.app.settings import store_settings, with_provisioned

    base = store_settings(_config(tmp_path))
    s = with_provisioned(base, {"cash_rounding_mode": "sideways", "no_such_setting": 1,
                                "terminal_id": "EVIL", "merge_lines": False})
    assert s.cash_rounding_mode == base.cash_rounding_mode
    assert s.terminal_id == base.terminal_id and s.merge_lines is False
    assert "cash_rounding_mode" in caplog.text and "no_such_setting" in caplog.text


def test_drawer_state_is_the_monitors_and_never_reads_the_pin(terminal) -> None:
    """The screen polls the drawer every two seconds for its banner: that reads what the drawer
    monitor last saw, so the UI thread never waits on the sensor pin the kick pulse holds."""
    from terminal.drivers.drawer.gpio import GpioDrawer

    assert terminal.drawer_monitor is not None
    terminal.drawer = GpioDrawer(17, sensor_pin=27)  # not ready: reading it would raise
    assert terminal.drawer_state().to_dict() == {"open": terminal.drawer_monitor.state, "opened": 0,
                                       "left_open": None}


def test_drawer_state_without_a_monitor_is_unknown(terminal) -> None:
    terminal.drawer_monitor = None
    assert terminal.drawer_state() == DrawerView()
