"""The terminal as the screens see it: one object that routes each screen action to the core
service that decides it, and keeps the cheap device state the UI thread reads."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from terminal.app.data_dir import DataDirUnusable, diagnose, stand_ins
from terminal.app.staff_desk import StaffDesk
from terminal.core.auth import Session
from terminal.core.checkout import SaleSession
from terminal.core.device_state import DrawerView, PaymentModes, PrinterView, ScannerView
from terminal.core.rights import Approval
from terminal.core.views import SaleSnapshot, ShiftView

if TYPE_CHECKING:
    from terminal.app.services import Services
    from terminal.config import Config
    from terminal.core.records import Item
    from terminal.core.settings import StoreSettings
    from terminal.core.shift import Report, ShiftClose, ShiftService
    from terminal.drivers.drawer.monitor import DrawerMonitor

log = logging.getLogger("terminal")


class Terminal(StaffDesk):
    """The wired terminal, as the screens see it (``screens/port.py`` is the interface).

    Every method not marked cheap may block (ledger, printer, payments) and is called on the
    worker. Cheap ones read state the worker keeps up to date and are safe on the UI thread.
    The services themselves decide rights, journal and raise; this class only routes. Sales
    come back as the core's ``SaleSnapshot``; the staff side is inherited from ``StaffDesk``.
    """

    def __init__(
        self, config: Config, settings: StoreSettings, *, services: Services | None = None,
        loader: Callable[[], Services] | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.settings = settings
        self._loader = loader
        self._loaded = threading.Event()
        self._closers: tuple[Callable[[], None], ...] = ()
        self.ledger: Any = None
        self.catalog: Any = None
        self.printer: Any = None
        self.drawer: Any = None
        self.drawer_monitor: DrawerMonitor | None = None
        self.scanner: Any = None
        self.payments: Any = None
        self.card: Any = None
        self.clock: Any = None
        self.gate: Any = None
        self.auth: Any = None
        self.staff: Any = None
        """All staff services (approvals, training, evaluation) for the screens that need them."""
        self._staff_name: Callable[[str], str] | None = None
        self.session: SaleSession | None = None
        """The clerk's ``SaleSession``; it outlives a clerk switch so an open sale survives."""
        self.shifts: ShiftService | None = None
        """The clerk's ``ShiftService``."""
        self._shift: ShiftView | None = None
        self._drawer_opens = 0
        self._drawer_lock = threading.Lock()
        self._drawer_open_since: float | None = None
        self._drawer_left_open: float | None = None
        self.background: Callable[..., Any] | None = None
        self._payment_modes: PaymentModes | None = None
        self.defer: Callable[[Callable[[], BaseException | None]], None] | None = None
        """The worker's ``after``: sale sessions journal the basket there, after the snapshot
        of a scan has gone to the screen (None: before, as in tests and tools)."""
        """Where device events are journaled: the app sets its worker's ``submit`` here, so
        ledger writes stay on the one worker thread. Unset, they run on the caller's thread."""
        self._scanners: dict[str, tuple[str, str]] = {}
        self._scanner_lock = threading.Lock()
        self.start_problem: DataDirUnusable | None = None
        """Why the services could not be opened (a full or read-only data directory)."""
        if services is not None:
            self._attach(services)

    def _attach(self, sv: Services) -> None:
        if sv.settings is not None:
            self.settings = sv.settings
        self.ledger, self.catalog, self.clock = sv.ledger, sv.catalog, sv.clock
        self.printer, self.drawer, self.scanner = sv.printer, sv.drawer, sv.scanner
        self.drawer_monitor = sv.drawer_monitor
        self.payments, self.card = sv.payments, sv.card
        self.gate, self.auth, self.staff = sv.staff.permissions, sv.staff.auth, sv.staff
        self._staff_name = sv.staff.name_of
        self._closers = tuple(sv.closers)
        self._loaded.set()

    def set_loader(self, loader: Callable[[], Services]) -> None:
        """How ``load`` builds the services when they were deferred."""
        self._loader = loader

    def load(self) -> None:
        """Build the services (ledger, staff, devices) if they were deferred. The app runs this
        as the worker's first job, so the login screen shows without waiting for the ledger or
        the printer driver; every later job finds them ready."""
        if not self._loaded.is_set():
            assert self._loader is not None, "a terminal needs services or a loader"
            try:
                services = self._loader()
            except Exception as e:
                problem = diagnose(self.config.data_dir, e)
                if problem is None:
                    raise
                # The login screen says what is wrong with the data directory; every service
                # call fails with that same error instead of an AttributeError on None.
                log.error("cannot open the data directory: %s (%s)", problem, problem.detail)
                self.start_problem = problem
                for name, stand_in in stand_ins(problem).items():
                    setattr(self, name, stand_in)
                self._loaded.set()
                return
            self._attach(services)

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

    @property
    def data_dir(self) -> str:
        return str(self.config.data_dir)

    def store_name(self, language: str) -> str:
        s = self.settings
        return str((s.store_name_zh if language.startswith("zh") else "") or s.store_name)

    @property
    def simulated(self) -> bool:
        return bool(self.config.hardware.simulated)

    def payment_modes(self) -> PaymentModes:
        """Cheap: what takes the money, from the configuration (read on the UI thread, so it
        stays clear of the driver factory and the payment adapters it would import)."""
        if self._payment_modes is None:
            p = dict(self.config.as_dict().get("payments") or {})
            qr = str(p.get("qr", "simulated"))
            wallets = [str(w) for w in p.get("qr_wallets", ["wechat", "alipay"])]
            self._payment_modes = PaymentModes(qr=qr, card=str(p.get("card", "simulated")),
                                               live=tuple(wallets) if qr == "live" else ())
        return self._payment_modes

    def shift_state(self) -> ShiftView | None:
        """Cheap: the open shift as last read on the worker."""
        return self._shift

    def printer_status(self) -> PrinterView:
        """Cheap: the printer driver keeps its last status in memory."""
        if self.printer is None:
            return PrinterView(detail="starting")
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
        return PrinterView(health=st.health.value, online=st.online, paper_out=st.paper_out,
                           problem=problem, pending_jobs=st.pending_jobs, detail=st.detail)

    def scanner_changed(self, source: str, state: str, detail: str) -> None:
        """Called on a scanner's own thread when it connects, disconnects or is busy."""
        with self._scanner_lock:
            self._scanners[source] = (state, detail)

    def scanner_state(self) -> ScannerView:
        """Cheap: the scanners that are not reading, by source, with why."""
        with self._scanner_lock:
            down = {s: d or st for s, (st, d) in self._scanners.items() if st != "connected"}
            # "unplugged" is the one detail every driver shares; anything else is its own words.
            states = {s: "unplugged" if d == "unplugged" else st
                      for s, (st, d) in self._scanners.items() if st != "connected"}
        return ScannerView(down=down, states=states)

    def scanner_fault(self, action: str) -> None:
        """Simulator only: "unplug", "replug" or "garbage" (a misread)."""
        fn = {"unplug": "unplug", "replug": "replug", "garbage": "inject_garbage"}[action]
        method = getattr(self.scanner, fn, None)
        if not self.simulated or method is None:
            raise RuntimeError("scanner faults can only be injected into the simulated scanner")
        method()

    def drawer_state(self) -> DrawerView:
        """Cheap: ``open`` is what the drawer monitor last read from the sensor (None without
        one), so the UI thread never waits on the pin the kick pulse holds; ``left_open`` is how
        long (s) the drawer had been open when the monitor last raised its alert, until it is
        shut again; None while nothing is wrong."""
        monitor = self.drawer_monitor
        is_open = monitor.state if monitor is not None else None
        with self._drawer_lock:
            left = self._drawer_left_open
        return DrawerView(open=is_open, opened=self._drawer_opens,
                          left_open=None if left is None else int(left))

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

    def push_drawer_shut(self) -> None:
        """Simulator only: what a hand pushing the drawer shut does; the monitor reads it on
        its next poll and clears "left open"."""
        close = getattr(self.drawer, "close", None)
        if not self.simulated or close is None or not hasattr(self.drawer, "jam"):
            raise RuntimeError("only the simulated drawer can be pushed shut from the screen")
        close()

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
        if self.printer is None or self.printer_status().problem:
            return False
        wait = getattr(self.printer, "wait_idle", None)
        return bool(wait(timeout)) if wait is not None else True

    # --- staff -----------------------------------------------------------------------------

    def _counted_drawer(self) -> _CountingDrawer:
        return _CountingDrawer(self)

    def _serve(self, session: Session) -> None:
        """Point the sale and shift services at the clerk of ``session``."""
        from terminal.core.shift import ShiftService

        if self.session is None:
            self.session = SaleSession(
                catalog=self.catalog, ledger=self.ledger, printer=self.printer,
                drawer=_CountingDrawer(self), payments=self.payments, card=self.card,
                clock=self.clock, gate=self.gate, settings=self.settings,
                clerk_id=session.staff_id, clerk_name=session.name, training=session.training,
                staff_name=self._staff_name,
            )
            self.session.defer = self.defer
            # Open, parked and held sales from before a restart come back from the journal.
            self.session.restore_pending(self.ledger.pending_sales(training=session.training))
        else:
            self.session.switch_clerk(session.staff_id, clerk_name=session.name,
                                      training=session.training)
        self.shifts = ShiftService(
            ledger=self.ledger, printer=self.printer, drawer=_CountingDrawer(self),
            clock=self.clock, gate=self.gate, settings=self.settings,
            clerk_id=session.staff_id, training=session.training, clerk_name=session.name,
        )
        self.refresh_shift()

    # --- selling ---------------------------------------------------------------------------

    def _s(self) -> SaleSession:
        if self.session is None:
            from terminal.core.errors import IllegalStep

            raise IllegalStep("log in first", code="login.required")
        return self.session

    def sale_snapshot(self) -> SaleSnapshot | None:
        return self.session.snapshot() if self.session is not None else None

    def scan(self, code: str) -> SaleSnapshot:
        session = self._s()
        outcome = session.handle_read(code)
        if outcome.action == "none":
            from terminal.core.errors import InvalidInput

            raise InvalidInput(f"{code}: {outcome.read.kind.value} read, not an item",
                               code="scan.not_item")
        return session.snapshot()

    # Each sale action is the session's own method, returning its snapshot. ``approval`` (a
    # ``rights.Approval``) is passed when a supervisor approved the retry of a call that raised
    # ``ApprovalRequired`` (see screens/approval.py), which is why each keeps its own signature.

    def add_sku(self, sku: str, qty_milli: int | None = None, price: int | None = None,
                approval: Approval | None = None) -> SaleSnapshot:
        """Quick keys and search results; weighed items need ``qty_milli``, open-price items
        ``price``."""
        return self._s().add_sku(sku, qty_milli=qty_milli, price=price, approval=approval)

    def set_qty(self, line_no: int, qty_milli: int, approval: Approval | None = None
                ) -> SaleSnapshot:
        return self._s().set_quantity(line_no, qty_milli, approval=approval)

    def set_price(self, line_no: int, price: int, approval: Approval | None = None
                  ) -> SaleSnapshot:
        return self._s().override_price(line_no, price, approval=approval)

    def discount_line(self, line_no: int, percent_bp: int, approval: Approval | None = None
                      ) -> SaleSnapshot:
        return self._s().discount_line(line_no, percent_bp=percent_bp, approval=approval)

    def void_line(self, line_no: int, approval: Approval | None = None) -> SaleSnapshot:
        return self._s().void_line(line_no, approval=approval)

    def start_payment(self, approval: Approval | None = None) -> SaleSnapshot:
        return self._s().start_tender(approval=approval)

    def back_to_cart(self) -> SaleSnapshot:
        return self._s().back_to_cart()

    def pay_cash(self, tendered: int, approval: Approval | None = None) -> SaleSnapshot:
        return self._s().pay_cash(tendered, approval=approval)

    def pay_card(self, amount: int, approval: Approval | None = None) -> SaleSnapshot:
        return self._s().pay_card(amount, approval=approval)

    def pay_qr(self, code: str, amount: int, approval: Approval | None = None) -> SaleSnapshot:
        return self._s().pay_qr(code, amount, approval=approval)

    def finish_sale(self) -> SaleSnapshot:
        """Commit a paid sale whose commit failed (disk full or read-only, now fixed)."""
        return self._s().complete()

    def new_sale(self) -> SaleSnapshot:
        return self._s().new_sale()

    def reprint_last(self) -> SaleSnapshot:
        """The last completed sale's receipt again, marked DUPLICATE."""
        return self._s().reprint_last()

    def remove_tender(self, index: int, approval: Approval | None = None) -> SaleSnapshot:
        """Take payment ``index`` off the unfinished sale, reversed with its provider."""
        return self._s().remove_tender(index, approval=approval)

    def void_sale(self, reason: str = "", approval: Approval | None = None) -> SaleSnapshot:
        return self._s().void_sale(reason=reason, approval=approval)

    def suspend(self, approval: Approval | None = None) -> SaleSnapshot:
        return self._s().suspend(approval=approval)

    def recall(self, sale_id: str) -> SaleSnapshot:
        return self._s().recall(sale_id)

    def search(self, text: str) -> list[Item]:
        return list(self.catalog.search(text, limit=30))

    def quick_keys(self) -> list[Item]:
        return list(self.catalog.quick_keys())

    # --- shifts and reports ----------------------------------------------------------------

    def refresh_shift(self) -> ShiftView | None:
        shift = self.ledger.current_shift()
        self._shift = ShiftView.from_row(shift) if shift else None
        return self._shift

    def _sh(self) -> ShiftService:
        self._s()
        assert self.shifts is not None, "a clerk's session comes with their shift service"
        return self.shifts

    def open_shift(self, opening_float: int, approval: Approval | None = None
                   ) -> ShiftView | None:
        self._sh().open_shift(opening_float, approval=approval)
        return self.refresh_shift()

    def close_shift(self, counted: int, approval: Approval | None = None) -> ShiftClose:
        result = self._sh().close_shift(counted, approval=approval)
        self.refresh_shift()
        return result

    def report(self, kind: str, print_it: bool = False) -> Report:
        """The X report (printed only on request) or the Z report (always printed: it closes
        the business day)."""
        if kind == "x":
            return self._sh().x_report(print_it=print_it)
        return self._sh().z_report()

    # --- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Stop devices and close the ledger, newest first."""
        for fn in reversed(self._closers):
            try:
                fn()
            except Exception:
                log.exception("error while shutting down")


class _CountingDrawer:
    """Counts kicks for the automation state; the drawer itself stays the driver's. It reads
    the terminal's counter, which only this module writes."""

    def __init__(self, terminal: Terminal) -> None:
        self._t = terminal

    def open(self) -> None:
        self._t.drawer.open()
        self._t._drawer_opens += 1

    def is_open(self) -> bool | None:
        state: bool | None = self._t.drawer.is_open()
        return state
