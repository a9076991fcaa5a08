"""The composition root: configuration in, a wired terminal out, and the Kivy app started on it.

Nothing happens at import time and Kivy is imported only inside the functions that start it,
because Kivy reads its environment (arguments, logging, window provider) the moment it is
imported.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terminal.core.ports import Dispatch

log = logging.getLogger("terminal")


class Worker:
    """One background thread running core calls one at a time, in submission order.

    Serial on purpose: ledger writes must not interleave, and a clerk's actions happen in the
    order they were made. Results and errors go back through ``dispatch`` so callbacks run on
    the UI thread.
    """

    def __init__(
        self,
        dispatch: Dispatch,
        *,
        on_unhandled: Callable[[BaseException], None] | None = None,
        name: str = "core-worker",
    ) -> None:
        self._dispatch = dispatch
        self._on_unhandled = on_unhandled
        self._queue: queue.Queue[tuple[Callable[[], Any], Callable | None, Callable | None] | None]
        self._queue = queue.Queue()
        self._name = name
        self._thread: threading.Thread | None = None
        self._pending = 0
        self._cond = threading.Condition()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then end the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        **kwargs: Any,
    ) -> None:
        """Queue ``fn(*args, **kwargs)``; ``on_done(result)`` or ``on_error(exc)`` is dispatched
        afterwards. An error with no ``on_error`` goes to ``on_unhandled``."""
        with self._cond:
            self._pending += 1
        self._queue.put((lambda: fn(*args, **kwargs), on_done, on_error))

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._pending > 0

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            call, on_done, on_error = job
            try:
                result = call()
            except Exception as e:
                handler = on_error or self._on_unhandled
                if handler is None:
                    log.exception("unhandled error on the worker")
                else:
                    self._dispatch(lambda h=handler, e=e: h(e))
            else:
                if on_done is not None:
                    self._dispatch(lambda f=on_done, r=result: f(r))
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()


# --- the terminal the screens talk to ---------------------------------------------------------


def _plain(value: Any) -> Any:
    """A snapshot or record as JSON-safe dicts and lists (for screens and the automation)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "to_payload"):
        return value.to_payload()
    return value


def _item_view(item: Any) -> dict[str, Any]:
    return {"sku": item.sku, "name": item.name, "name_zh": item.name_zh, "price": item.price,
            "unit": item.unit, "open_price": item.open_price}


class Terminal:
    """The wired terminal, as the screens see it.

    Every method not marked cheap may block (ledger, printer, payments) and is called on the
    worker. Cheap ones read state the worker keeps up to date and are safe on the UI thread.
    The services themselves decide rights, journal and raise; this class only routes and turns
    results into plain dicts.
    """

    def __init__(
        self, config: Any, settings: Any, *, services: Services | None = None,
        loader: Callable[[], Services] | None = None,
    ) -> None:
        self.config = config
        self.settings = settings
        self._loader = loader
        self._loaded = threading.Event()
        self._closers: tuple[Callable[[], None], ...] = ()
        self.ledger: Any = None
        self.catalog: Any = None
        self.printer: Any = None
        self.drawer: Any = None
        self.scanner: Any = None
        self.payments: Any = None
        self.card: Any = None
        self.clock: Any = None
        self.gate: Any = None
        self.auth: Any = None
        self.staff: Any = None
        """All staff services (approvals, training, evaluation) for the screens that need them."""
        self._staff_name: Callable[[str], str] | None = None
        self.session: Any = None
        """The clerk's ``SaleSession``; it outlives a clerk switch so an open sale survives."""
        self.shifts: Any = None
        """The clerk's ``ShiftService``."""
        self._shift: dict[str, Any] | None = None
        self._drawer_opens = 0
        self._drawer_lock = threading.Lock()
        self._drawer_open_since: float | None = None
        self._drawer_left_open: float | None = None
        self.background: Callable[..., Any] | None = None
        """Where device events are journaled: the app sets its worker's ``submit`` here, so
        ledger writes stay on the one worker thread. Unset, they run on the caller's thread."""
        self._scanners: dict[str, tuple[str, str]] = {}
        self._scanner_lock = threading.Lock()
        if services is not None:
            self._attach(services)

    def _attach(self, sv: Services) -> None:
        if sv.settings is not None:
            self.settings = sv.settings
        self.ledger, self.catalog, self.clock = sv.ledger, sv.catalog, sv.clock
        self.printer, self.drawer, self.scanner = sv.printer, sv.drawer, sv.scanner
        self.payments, self.card = sv.payments, sv.card
        self.gate, self.auth, self.staff = sv.staff.permissions, sv.staff.auth, sv.staff
        self._staff_name = sv.staff.name_of
        self._closers = tuple(sv.closers)
        self._loaded.set()

    def load(self) -> None:
        """Build the services (ledger, staff, devices) if they were deferred. The app runs this
        as the worker's first job, so the login screen shows without waiting for the ledger or
        the printer driver; every later job finds them ready."""
        if not self._loaded.is_set():
            assert self._loader is not None, "a terminal needs services or a loader"
            self._attach(self._loader())

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set()

    def wait_loaded(self, timeout: float) -> bool:
        return self._loaded.wait(timeout)

    # --- cheap: configuration and cached state ---------------------------------------------

    @property
    def language(self) -> str:
        return str(self.config.terminal.language)

    @property
    def font(self) -> str:
        return str(self.config.ui.font)

    @property
    def currency(self) -> str:
        return str(self.settings.currency)

    def store_name(self, language: str) -> str:
        s = self.settings
        return str((s.store_name_zh if language.startswith("zh") else "") or s.store_name)

    @property
    def simulated(self) -> bool:
        return bool(self.config.hardware.simulated)

    def shift_state(self) -> dict[str, Any] | None:
        """Cheap: the open shift as last read on the worker."""
        return self._shift

    def printer_status(self) -> dict[str, Any]:
        """Cheap: the printer driver keeps its last status in memory."""
        if self.printer is None:
            return {"health": "unknown", "online": None, "paper_out": None, "problem": "",
                    "pending_jobs": 0, "detail": "starting"}
        st = self.printer.status()
        problem = ""
        # A printer with its cover open (or out of paper) also answers "not online", so the
        # specific faults are read before the general one.
        if st.paper_out:
            problem = "paper_out"
        elif st.cover_open:
            problem = "cover_open"
        elif st.online is False:
            problem = "offline"
        elif st.health.value == "fault":
            problem = "fault"
        return {"health": st.health.value, "online": st.online, "paper_out": st.paper_out,
                "problem": problem, "pending_jobs": st.pending_jobs, "detail": st.detail}

    def scanner_changed(self, source: str, state: str, detail: str) -> None:
        """Called on a scanner's own thread when it connects, disconnects or is busy."""
        with self._scanner_lock:
            self._scanners[source] = (state, detail)

    def scanner_state(self) -> dict[str, Any]:
        """Cheap: the scanners that are not reading, by source, with why."""
        with self._scanner_lock:
            down = {s: d or st for s, (st, d) in self._scanners.items() if st != "connected"}
            # "unplugged" is the one detail every driver shares; anything else is its own words.
            states = {s: "unplugged" if d == "unplugged" else st
                      for s, (st, d) in self._scanners.items() if st != "connected"}
        return {"problem": "disconnected" if down else "", "down": down, "states": states}

    def scanner_fault(self, action: str) -> None:
        """Simulator only: "unplug", "replug" or "garbage" (a misread)."""
        fn = {"unplug": "unplug", "replug": "replug", "garbage": "inject_garbage"}[action]
        method = getattr(self.scanner, fn, None)
        if not self.simulated or method is None:
            raise RuntimeError("scanner faults can only be injected into the simulated scanner")
        method()

    def drawer_state(self) -> dict[str, Any]:
        """Cheap: ``left_open`` is how long (s) the drawer had been open when the monitor last
        raised its alert, until it is shut again; None while nothing is wrong."""
        from terminal.drivers.drawer import DrawerError

        try:
            is_open = self.drawer.is_open() if self.drawer is not None else None
        except DrawerError:
            is_open = None  # the sensor is unreadable right now; the monitor logs it
        with self._drawer_lock:
            left = self._drawer_left_open
        return {"open": is_open, "opened": self._drawer_opens,
                "left_open": None if left is None else int(left)}

    # The drawer monitor calls these two on its own thread. Opening is not journaled here: the
    # sale, refund or shift action that kicked the drawer has already posted "drawer.opened"
    # with its reason; closing and being left open are only known from the sensor.

    def drawer_changed(self, is_open: bool) -> None:
        now = self.clock.monotonic() if self.clock is not None else 0.0
        with self._drawer_lock:
            if is_open:
                self._drawer_open_since = now
                return
            since, self._drawer_open_since = self._drawer_open_since, None
            self._drawer_left_open = None
        payload = {"seconds_open": int(now - since) if since is not None else None}
        self._in_background(self._post_drawer, "drawer.closed", payload)

    def drawer_left_open(self, seconds: float) -> None:
        with self._drawer_lock:
            self._drawer_left_open = seconds
        self._in_background(self._post_left_open, int(seconds))

    def _in_background(self, fn: Callable[..., Any], *args: Any) -> None:
        if self.background is not None:
            self.background(fn, *args)
        else:
            fn(*args)

    def _on_duty(self) -> str | None:
        session = getattr(self.auth, "current", None)
        return session.staff_id if session is not None else None

    def _post_drawer(self, kind: str, payload: dict[str, Any]) -> None:
        self.ledger.post(kind, payload, staff_id=self._on_duty())

    def _post_left_open(self, seconds: int) -> None:
        staff_id = self._on_duty()
        self.ledger.post("drawer.left_open", {"seconds": seconds}, staff_id=staff_id)
        # Same shape as the staff lockout alert, so monitoring reads one kind of entry.
        self.ledger.post("alert.raised", {
            "alert": "drawer_left_open",
            "severity": "warning",
            "staff_id": staff_id,
            "message": f"cash drawer open for {seconds} s",
            "seconds": seconds,
        }, staff_id=staff_id)

    def quick_cash(self, balance: int) -> list[int]:
        from terminal.core.tenders import quick_cash

        return quick_cash(balance, self.settings.quick_cash_denominations)

    # --- simulator controls ----------------------------------------------------------------

    def printer_fault(self, action: str) -> None:
        inject = getattr(self.printer, "inject", None)
        if not self.simulated or inject is None:
            raise RuntimeError("printer faults can only be injected into the simulated printer")
        inject(action)

    def inject_scan(self, code: str) -> None:
        """Deliver a read through the simulated scanner, the same path a real read takes."""
        if not self.wait_loaded(60):
            raise RuntimeError("the terminal is still starting")
        inject = getattr(self.scanner, "inject", None)
        if inject is None:
            raise RuntimeError("scans can only be injected into the simulated scanner")
        if not inject(code):
            raise RuntimeError("the simulated scanner is stopped or unplugged")

    def wait_printed(self, timeout: float) -> bool:
        """Wait until queued print jobs are done, unless the printer has a fault (then the jobs
        wait for it, and so would we)."""
        if self.printer is None or self.printer_status()["problem"]:
            return False
        wait = getattr(self.printer, "wait_idle", None)
        return bool(wait(timeout)) if wait is not None else True

    # --- staff -----------------------------------------------------------------------------

    def _opened(self, session: Any) -> dict[str, Any]:
        from terminal.core.checkout import SaleSession
        from terminal.core.shift import ShiftService

        if self.session is None:
            self.session = SaleSession(
                catalog=self.catalog, ledger=self.ledger, printer=self.printer,
                drawer=_CountingDrawer(self), payments=self.payments, card=self.card,
                clock=self.clock, gate=self.gate, settings=self.settings,
                clerk_id=session.staff_id, clerk_name=session.name, training=session.training,
                staff_name=self._staff_name,
            )
        else:
            self.session.switch_clerk(session.staff_id, clerk_name=session.name,
                                      training=session.training)
        self.shifts = ShiftService(
            ledger=self.ledger, printer=self.printer, drawer=_CountingDrawer(self),
            clock=self.clock, gate=self.gate, settings=self.settings,
            clerk_id=session.staff_id, training=session.training, clerk_name=session.name,
        )
        self.refresh_shift()
        return {"staff_id": session.staff_id, "name": session.name, "role": session.role,
                "training": session.training}

    def login_pin(self, pin: str) -> dict[str, Any]:
        return self._opened(self.auth.login(pin))

    def login_card(self, code: str, pin: str | None) -> dict[str, Any]:
        if pin is None:
            tile = self.auth.identify_card(code)
            return {"card_holder": tile.name, "staff_id": tile.staff_id}
        return self._opened(self.auth.login(pin, card=code))

    def change_pin(self, current: str, new: str, card: str | None = None) -> dict[str, Any]:
        """First login with an issued PIN: replace it and log in."""
        return self._opened(self.auth.change_pin(current, new, card=card))

    def logout(self) -> None:
        self.auth.logout("manual")

    # --- selling ---------------------------------------------------------------------------

    def _s(self) -> Any:
        if self.session is None:
            from terminal.core.errors import IllegalStep

            raise IllegalStep("log in first", code="login.required")
        return self.session

    def sale_snapshot(self) -> dict[str, Any] | None:
        return _plain(self.session.snapshot()) if self.session is not None else None

    def scan(self, code: str) -> dict[str, Any]:
        outcome = self._s().handle_read(code)
        if outcome.action == "none":
            from terminal.core.errors import InvalidInput

            raise InvalidInput(f"{code}: {outcome.read.kind.value} read, not an item",
                               code="scan.not_item")
        return _plain(self.session.snapshot())

    def add_sku(self, sku: str, qty_milli: int | None = None, price: int | None = None,
                approval: Any = None) -> dict[str, Any]:
        """Quick keys and search results; weighed items need ``qty_milli``, open-price items
        ``price``."""
        return _plain(self._s().add_sku(sku, qty_milli=qty_milli, price=price,
                                        approval=approval))

    # ``approval`` (a ``rights.Approval``) is passed when a supervisor approved the retry of a
    # call that raised ``ApprovalRequired`` (see screens/approval.py).

    def set_qty(self, line_no: int, qty_milli: int, approval: Any = None) -> dict[str, Any]:
        return _plain(self._s().set_quantity(line_no, qty_milli, approval=approval))

    def set_price(self, line_no: int, price: int, approval: Any = None) -> dict[str, Any]:
        return _plain(self._s().override_price(line_no, price, approval=approval))

    def discount_line(self, line_no: int, percent_bp: int, approval: Any = None
                      ) -> dict[str, Any]:
        return _plain(self._s().discount_line(line_no, percent_bp=percent_bp, approval=approval))

    def void_line(self, line_no: int, approval: Any = None) -> dict[str, Any]:
        return _plain(self._s().void_line(line_no, approval=approval))

    def start_payment(self, approval: Any = None) -> dict[str, Any]:
        return _plain(self._s().start_tender(approval=approval))

    def back_to_cart(self) -> dict[str, Any]:
        return _plain(self._s().back_to_cart())

    def pay_cash(self, tendered: int, approval: Any = None) -> dict[str, Any]:
        return _plain(self._s().pay_cash(tendered, approval=approval))

    def pay_card(self, amount: int, approval: Any = None) -> dict[str, Any]:
        return _plain(self._s().pay_card(amount, approval=approval))

    def pay_qr(self, code: str, amount: int, approval: Any = None) -> dict[str, Any]:
        return _plain(self._s().pay_qr(code, amount, approval=approval))

    def new_sale(self) -> dict[str, Any]:
        return _plain(self._s().new_sale())

    def reprint_last(self) -> dict[str, Any]:
        """The last completed sale's receipt again, marked DUPLICATE."""
        return _plain(self._s().reprint_last())

    def void_sale(self, reason: str = "", approval: Any = None) -> dict[str, Any]:
        return _plain(self._s().void_sale(reason=reason, approval=approval))

    def suspend(self, approval: Any = None) -> dict[str, Any]:
        return _plain(self._s().suspend(approval=approval))

    def recall(self, sale_id: str) -> dict[str, Any]:
        return _plain(self._s().recall(sale_id))

    def search(self, text: str) -> list[dict[str, Any]]:
        return [_item_view(i) for i in self.catalog.search(text, limit=30)]

    def quick_keys(self) -> list[dict[str, Any]]:
        return [_item_view(i) for i in self.catalog.quick_keys()]

    # --- shifts and reports ----------------------------------------------------------------

    def refresh_shift(self) -> dict[str, Any] | None:
        shift = self.ledger.current_shift()
        self._shift = dict(shift) if shift else None
        return self._shift

    def _sh(self) -> Any:
        self._s()
        return self.shifts

    def open_shift(self, opening_float: int, approval: Any = None) -> dict[str, Any] | None:
        self._sh().open_shift(opening_float, approval=approval)
        return self.refresh_shift()

    def close_shift(self, counted: int, approval: Any = None) -> dict[str, Any]:
        result = _plain(self._sh().close_shift(counted, approval=approval))
        self.refresh_shift()
        return result

    def report(self, kind: str, print_it: bool = False) -> dict[str, Any]:
        """The X report (printed only on request) or the Z report (always printed: it closes
        the business day)."""
        if kind == "x":
            return _plain(self._sh().x_report(print_it=print_it))
        return _plain(self._sh().z_report())

    # --- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Stop devices and close the ledger, newest first."""
        for fn in reversed(self._closers):
            try:
                fn()
            except Exception:
                log.exception("error while shutting down")


class _CountingDrawer:
    """Counts kicks for the automation state; the drawer itself stays the driver's."""

    def __init__(self, terminal: Terminal) -> None:
        self._t = terminal

    def open(self) -> None:
        self._t.drawer.open()
        self._t._drawer_opens += 1

    def is_open(self) -> bool | None:
        return self._t.drawer.is_open()


# --- wiring ------------------------------------------------------------------------------------


def store_settings(config: Any) -> Any:
    """The core's view of the store, from the configuration file."""
    from terminal.core.barcodes import VariableMeasureLayout
    from terminal.core.money import Rounding
    from terminal.core.settings import StoreSettings

    return StoreSettings(
        store_name=config.store.name,
        store_name_zh=config.store.name_zh,
        address_lines=tuple(config.store.address),
        terminal_id=config.terminal.id,
        currency=config.store.currency,
        language=config.terminal.language,
        timezone=config.terminal.timezone,
        cash_rounding_step=config.store.cash_rounding_step,
        cash_rounding_mode=Rounding(config.store.cash_rounding_mode),
        variable_measure=VariableMeasureLayout(
            price_prefixes=tuple(config.store.price_prefixes),
            weight_prefixes=tuple(config.store.weight_prefixes),
        ),
        quick_cash_denominations=tuple(config.store.quick_cash),
        merge_lines=config.store.merge_repeat_scans,
        refund_max_age_days=config.store.refund_max_age_days,
    )


def provisioned_values(ledger: Any) -> dict[str, Any]:
    """The store settings the owner set over the link, replayed from the journal in order: each
    ``settings.applied`` entry sets only the settings it names, so a later one wins for those
    and leaves the others as an earlier one set them."""
    values: dict[str, Any] = {}
    for entry in ledger.entries_of_kind("settings.applied"):
        values.update(entry.payload.get("values") or {})
    return values


def with_provisioned(settings: Any, values: dict[str, Any]) -> Any:
    """``settings`` (from the configuration file) with the provisioned ``values`` over them.
    A value that no longer fits (a setting renamed, a bad nested value) is logged and the
    file's value kept, so the terminal still starts and sells."""
    from dataclasses import fields, replace

    from terminal.core.barcodes import VariableMeasureLayout
    from terminal.core.money import Rounding
    from terminal.core.settings import ScanRules

    def tupled(v: Any) -> Any:
        return tuple(v) if isinstance(v, list) else v

    nested = {"variable_measure": VariableMeasureLayout, "scan_rules": ScanRules}
    names = {f.name for f in fields(settings)} - {"terminal_id"}
    for name, raw in values.items():
        try:
            if name not in names:
                raise ValueError("not a store setting")
            if name in nested:
                value: Any = nested[name](**{k: tupled(v) for k, v in dict(raw).items()})
            elif name == "cash_rounding_mode":
                value = Rounding(raw)
            else:
                value = tupled(raw)
            settings = replace(settings, **{name: value})
        except (TypeError, ValueError) as e:
            log.error("provisioned setting %s = %r not applied: %s", name, raw, e)
    return settings


@dataclass
class Services:
    """Everything ``build_services`` opened and started; ``closers`` undo it, newest last."""

    ledger: Any
    catalog: Any
    clock: Any
    staff: Any
    printer: Any
    drawer: Any
    scanner: Any
    payments: Any
    card: Any
    closers: list[Callable[[], None]] = field(default_factory=list)
    settings: Any = None
    """The effective store settings: the file's, with the provisioned ones over them."""


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

    terminal._loader = load
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


# --- starting the app -------------------------------------------------------------------------


def _prepare_kivy_env(config: Any) -> None:
    """Kivy reads these when it is first imported, so they are set before any Kivy import."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    if not os.environ.get("POS_DEBUG"):
        os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    from kivy.config import Config as KivyConfig

    KivyConfig.set("graphics", "width", str(config.ui.width))
    KivyConfig.set("graphics", "height", str(config.ui.height))
    KivyConfig.set("graphics", "fullscreen", "auto" if config.ui.fullscreen else "0")
    # A kiosk is driven by touch: no mouse pointer sitting on the screen.
    KivyConfig.set("graphics", "show_cursor", "0" if config.ui.fullscreen else "1")
    KivyConfig.set("graphics", "multisamples", "0")
    KivyConfig.set("kivy", "exit_on_escape", "0")
    KivyConfig.set("input", "mouse", "mouse,disable_multitouch")


def _setup_logging() -> None:
    # Kivy opens the root logger to every level, and peewee logs each SQL statement at DEBUG:
    # formatting those on every scan costs time for nothing.
    logging.getLogger("peewee").setLevel(logging.INFO)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def automation_socket(config: Any) -> Path:
    from terminal.automation.server import default_socket_path

    if config.automation.socket:
        return Path(config.automation.socket).expanduser()
    return default_socket_path(config.data_dir, str(config.terminal.id))


def automation_allowed(config: Any) -> bool:
    """The control channel opens only on simulated hardware, and only when enabled: it can
    drive the till, so it must never sit next to a real cash drawer."""
    if not config.automation.enabled:
        return False
    if not config.hardware.simulated:
        log.warning("automation is enabled but hardware is real: control channel stays closed "
                    "([hardware] simulated = false)")
        return False
    return True


def start_app(terminal: Terminal) -> None:
    """Run the touchscreen app on ``terminal`` until the window closes."""
    config = terminal.config
    _setup_logging()
    _prepare_kivy_env(config)
    from kivy.clock import Clock

    from terminal.screens.shell import PosApp

    def dispatch(fn: Callable[[], None]) -> None:
        Clock.schedule_once(lambda _dt: fn(), 0)

    app: PosApp | None = None

    def on_unhandled(exc: BaseException) -> None:
        if app is not None:
            app.show_error(exc)

    worker = Worker(dispatch, on_unhandled=on_unhandled)
    terminal.background = worker.submit
    app = PosApp(terminal, worker)
    server = None

    def start_devices() -> None:
        terminal.load()
        if terminal.scanner is not None:
            terminal.scanner.start(lambda read: dispatch(lambda: app.on_scan(read.code)))

    # First in the queue, so every clerk action runs after the services are ready; the worker
    # thread itself starts once the login screen is drawn, so opening the ledger and importing
    # the drivers never competes with the first frame.
    worker.submit(start_devices)
    app.ready_hooks.append(worker.start)
    try:
        if automation_allowed(config):
            from terminal.automation.server import CommandError, ControlServer
            from terminal.screens.automation import AutomationBridge

            bridge = AutomationBridge(app, scan=terminal.inject_scan)
            server = ControlServer(automation_socket(config), bridge.handle)
            try:
                server.start()
            except (CommandError, OSError) as e:
                # The terminal itself works without its control channel.
                log.error("automation channel not opened: %s", e)
                server = None
        # systemd stops the kiosk with SIGTERM: close the window properly so the worker
        # finishes its queue and the ledger is closed.
        signal.signal(signal.SIGTERM, lambda *_a: dispatch(app.stop))
        app.run()
    finally:
        if server is not None:
            server.stop()
        worker.stop()
        if terminal.scanner is not None:
            terminal.scanner.stop()
        terminal.close()
        log.info("terminal stopped")


def run_command(args: argparse.Namespace) -> int:
    """``pos-terminal run``: the terminal as configured."""
    from terminal.config import load_config

    _setup_logging()
    config = load_config(Path(args.config) if getattr(args, "config", None) else None)
    config = _with_data_dir(config, getattr(args, "data_dir", None))
    start_app(build_terminal(config, deferred=True))
    return 0


DEMO_CONFIG = """\
# The demo terminal: simulated hardware, the sample store, and the automation channel.
[terminal]
id = "DEMO1"
data_dir = "."
language = "zh_CN"

[store]
name = "Sample Store"
name_zh = "示例便利店"
address = ["1 Sample Road, Shanghai", "上海市示例路1号"]

[hardware]
simulated = true

[automation]
enabled = true
"""


def demo_data_dir() -> Path:
    from terminal.config import default_data_dir

    return default_data_dir() / "demo"


def demo_command(args: argparse.Namespace) -> int:
    """``pos-terminal demo``: a per-user demo store on simulated hardware, seeded on first
    run. ``--config`` may replace the demo's configuration file, but the hardware stays
    simulated."""
    from terminal.config import ConfigError, load_config

    _setup_logging()
    data_dir = Path(args.data_dir).expanduser() if getattr(args, "data_dir", None) else (
        demo_data_dir())
    data_dir.mkdir(parents=True, exist_ok=True)
    if getattr(args, "config", None):
        path = Path(args.config)
    else:
        path = data_dir / "pos-terminal.toml"
        if not path.exists():
            path.write_text(DEMO_CONFIG, encoding="utf-8")
    config = _with_data_dir(load_config(path), str(data_dir))
    if not config.hardware.simulated:
        raise ConfigError("the demo runs on simulated hardware only: set [hardware] simulated "
                          "= true", path)
    start_app(build_terminal(config, seed_sample=True, deferred=True))
    return 0


def _with_data_dir(config: Any, data_dir: str | None) -> Any:
    """The configuration with ``[terminal] data_dir`` replaced (command-line override)."""
    if not data_dir:
        return config
    from terminal.config import Config

    sections = config.as_dict()
    sections["terminal"]["data_dir"] = str(Path(data_dir).expanduser().resolve())
    return Config(sections, config.path)
