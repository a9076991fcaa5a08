"""The composition root: configuration in, ledger, staff, devices and link opened, and the
terminal facade wired over them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from terminal.app.facade import Terminal
from terminal.app.receipts import wire_receipts
from terminal.app.services import Services
from terminal.app.settings import provisioned_values, store_settings, with_provisioned

log = logging.getLogger("terminal")


def build_services(
    config: Any, *, seed_sample: bool = False,
    on_scanner_status: Callable[[str, str, str], None] | None = None,
    on_drawer_change: Callable[[bool], None] | None = None,
    on_drawer_left_open: Callable[[float], None] | None = None,
) -> Services:
    """Ledger and catalog, staff and rights, devices (simulated when ``[hardware]
    simulated``). With ``seed_sample`` an empty catalog is filled with the sample store and its
    staff first. On error everything opened so far is closed again."""
    from terminal.core.clock import SystemClock
    from terminal.ledger.db import ledger_path, open_ledger

    clock = SystemClock()
    data_dir = Path(config.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    ledger = open_ledger(ledger_path(data_dir), config.terminal.id, clock)
    closers: list[Callable[[], None]] = [ledger.close]
    try:
        catalog = ledger.catalog()
        settings = with_provisioned(store_settings(config), provisioned_values(ledger))
        staff = _build_staff(config, ledger, clock)
        if seed_sample:
            _seed_sample(catalog, staff)
        devices = _build_devices(config, data_dir, clock, on_scanner_status,
                                 on_drawer_change, on_drawer_left_open)
        closers.append(devices.close)
        wire_receipts(ledger, devices.printer, settings, staff.name_of)
        relay = _build_link(config, ledger, clock, catalog, staff, devices)
        if relay is not None:
            relay.start()
            closers.append(relay.stop)
    except BaseException:
        for fn in reversed(closers):
            fn()
        raise
    return Services(
        ledger=ledger, catalog=catalog, clock=clock, staff=staff, printer=devices.printer,
        drawer=devices.drawer, scanner=devices.scanner, payments=devices.payments,
        card=devices.card, closers=closers, settings=settings,
        drawer_monitor=devices.drawer_monitor,
    )


def build_terminal(config: Any, *, seed_sample: bool = False, deferred: bool = False
                   ) -> Terminal:
    """Configuration in, a wired terminal out. ``deferred`` leaves the services to
    ``Terminal.load`` (the app runs it on its worker), so the window opens at once."""
    terminal = Terminal(config, store_settings(config))

    def load() -> Services:
        return build_services(config, seed_sample=seed_sample,
                              on_scanner_status=terminal.scanner_changed,
                              on_drawer_change=terminal.drawer_changed,
                              on_drawer_left_open=terminal.drawer_left_open)

    terminal.set_loader(load)
    if not deferred:
        terminal.load()
    return terminal


CARD_KEY_FILE = "card.key"


def _build_staff(config: Any, ledger: Any, clock: Any) -> Any:
    from terminal.core.staff_wiring import StaffSettings
    from terminal.ledger.staff_store import open_staff

    settings = StaffSettings(
        pin_only_login=config.store.pin_only_login,
        idle_logout_seconds=config.store.idle_logout_s,
        max_failures=config.store.pin_max_failures,
        lock_base_seconds=config.store.pin_lock_s,
        currency=config.store.currency,
    )
    return open_staff(ledger, clock, Path(config.data_dir) / CARD_KEY_FILE, settings)


def _seed_sample(catalog: Any, staff: Any) -> None:
    """The demo store on first run: the sample catalog and its two clerks, whose PINs are the
    ones the README prints (so they are not forced to change at first login)."""
    from terminal.core.staff_wiring import seed_staff
    from terminal.sample import sample_catalog, sample_staff

    if catalog.count() == 0:
        items, taxes, quick = sample_catalog()
        catalog.set_tax_classes(taxes)
        catalog.upsert_items(items)
        catalog.set_quick_keys(quick)
    added = seed_staff(staff, sample_staff(), must_change_pin=False)
    if added:
        log.info("demo store seeded: %d items, staff %s", catalog.count(), ", ".join(added))


def _build_link(config: Any, ledger: Any, clock: Any, catalog: Any, staff: Any,
                devices: Any) -> Any:
    """The MQTT relay when ``[link] enabled``; a link that is misconfigured is logged and left
    out, because the terminal must sell without it (the outbox keeps every entry for later)."""
    if not config.link.enabled:
        return None
    from importlib.metadata import PackageNotFoundError, version

    from terminal.link.relay import LinkConfigError
    from terminal.link.wiring import build_link

    try:
        release = version("pos-terminal")
    except PackageNotFoundError:
        release = ""

    def health() -> dict[str, str]:
        return {"printer": devices.printer.status().health.value}

    try:
        return build_link(config.link.as_dict(), terminal_id=config.terminal.id, ledger=ledger,
                          clock=clock, catalog=catalog, staff=staff.staff, health=health,
                          version=release, printer=devices.printer)
    except LinkConfigError as e:
        log.error("link not started: %s", e)
        return None


def _build_devices(config: Any, data_dir: Path, clock: Any,
                   on_scanner_status: Callable[[str, str, str], None] | None,
                   on_drawer_change: Callable[[bool], None] | None = None,
                   on_drawer_left_open: Callable[[float], None] | None = None) -> Any:
    from terminal.drivers.factory import build_devices

    return build_devices(config, data_dir, clock, on_scanner_status=on_scanner_status,
                         on_drawer_change=on_drawer_change,
                         on_drawer_left_open=on_drawer_left_open)
