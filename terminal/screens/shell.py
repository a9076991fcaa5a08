"""The Kivy application: a header, a banner strip for errors and device warnings, and a screen
manager whose screens are imported the first time they are shown (start-up loads only login).

The app owns the UI state the screens render from (who is logged in, the last sale snapshot,
the last error); core work goes to the worker through ``run`` and comes back on this thread.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from terminal.core.scan import MAX_SCAN_CHARS, shown
from terminal.screens.errors import SCANNER_STATES, describe
from terminal.screens.i18n import Translator
from terminal.screens.payment_texts import payments_status
from terminal.screens.port import DrawerView, PrinterView, ScannerView
from terminal.screens.widgets import BG, HEADER, WHITE, Metrics, Panel, PosButton, Text

if TYPE_CHECKING:
    from terminal.screens.approval import SupervisorDialog
    from terminal.screens.base import PosScreen
    from terminal.screens.port import (
        ClerkView,
        ErrorHandler,
        SaleSnapshot,
        TerminalPort,
        WorkerPort,
    )

log = logging.getLogger("terminal")

SCREENS: dict[str, str] = {
    "login": "terminal.screens.login:LoginScreen",
    "sale": "terminal.screens.sale:SaleScreen",
    "tender": "terminal.screens.tender:TenderScreen",
    "done": "terminal.screens.done:DoneScreen",
    "menu": "terminal.screens.menu:MenuScreen",
    "shift_open": "terminal.screens.shift:ShiftOpenScreen",
    "shift_close": "terminal.screens.shift:ShiftCloseScreen",
    "report": "terminal.screens.report:ReportScreen",
    "recall": "terminal.screens.recall:RecallScreen",
    "refund": "terminal.screens.refund:RefundScreen",
    "figures": "terminal.screens.figures:FiguresScreen",
    "training": "terminal.screens.training:TrainingScreen",
    "drawer": "terminal.screens.drawer:DrawerScreen",
    "staff": "terminal.screens.staff:StaffScreen",
}

NAMED_KEYS: dict[int, str] = {13: "enter", 271: "enter", 8: "backspace", 27: "escape",
                               9: "tab"}
"""SDL key codes of the keys screens react to by name (271 is the keypad's Enter)."""

WARNING_BG = (0.96, 0.62, 0.10, 1)
ERROR_BG = (0.78, 0.20, 0.20, 1)
TRAINING_BG = (0.45, 0.25, 0.65, 1)
BANNER_MAX_CHARS = 280
BANNER_ROOMY_CHARS = 80
"""Longer than this, or more than one banner up, and the strip's text is set smaller."""


def clip(text: str) -> str:
    """A banner's text, cut so no message (however long the scan it quotes) fills the screen."""
    return text if len(text) <= BANNER_MAX_CHARS else text[: BANNER_MAX_CHARS - 1] + "…"


def banner_height(m: Metrics) -> float:
    """The banner strip's one height: reserved on every screen, a banner up or not."""
    return m.row(0.9)


class Root(FloatLayout):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.chrome = Panel(orientation="vertical", bg=BG)
        self.add_widget(self.chrome)


class PosApp(App):
    title = "POS Terminal"

    def __init__(self, terminal: TerminalPort, worker: WorkerPort, **kw: Any) -> None:
        super().__init__(**kw)
        self.terminal = terminal
        self.worker = worker
        self.tr = Translator(terminal.language)
        self.metrics = Metrics(800, 480)
        self.clerk: ClerkView | None = None
        self.sale: SaleSnapshot | None = None
        """The last sale snapshot from the core."""
        self.last_result: dict[str, Any] | None = None
        """The sale just completed (receipt number, change) for the done screen."""
        self.last_error: dict[str, str] | None = None
        self.printer = PrinterView()
        self.scanner = ScannerView()
        self.drawer = DrawerView()
        self.busy = 0
        self.ready = False
        self.ready_hooks: list[Callable[[], None]] = []
        """Run once the login screen has been drawn (the app starts its worker there)."""
        self._screens: dict[str, PosScreen] = {}
        self._started = time.monotonic()
        self.last_input = time.monotonic()
        """When a touch, key, scan or action last happened (the idle logout reads it)."""
        self.dialog: SupervisorDialog | None = None
        """The supervisor dialog lying over the window, if one is open."""
        self._sale_plain: tuple[SaleSnapshot | None, dict[str, Any]] = (None, {})
        self.idle_watch: Any = None
        """The clock event of the idle logout, once a clerk has logged in."""

    # --- building -------------------------------------------------------------------------

    def build(self) -> Root:
        from terminal.screens.fonts import install_default_font

        install_default_font(self.terminal.font)
        Window.clearcolor = BG
        self.metrics = Metrics(*Window.size)
        self.root_widget = root = Root()
        self.header = Panel(orientation="horizontal", bg=HEADER, size_hint_y=None)
        self.banners = BoxLayout(orientation="horizontal", size_hint_y=None,
                                 height=banner_height(self.metrics))
        self.sm = ScreenManager(transition=NoTransition())
        root.chrome.add_widget(self.header)
        root.chrome.add_widget(self.banners)
        root.chrome.add_widget(self.sm)
        self.render_chrome()
        self.tr.on_change(lambda _lang: self.rerender_all())
        # Whichever supervisor dialog is open is redrawn in the new language.
        self.tr.on_change(lambda _lang: self.dialog.render() if self.dialog else None)
        Window.bind(size=self._on_resize, on_key_down=self._key_down,
                    on_textinput=self._text_input)
        self.show("login")
        return root

    def on_start(self) -> None:
        # Scheduled for the next frame, so "ready" means the login screen has been drawn.
        Clock.schedule_once(self._announce_ready, 0)
        Clock.schedule_interval(lambda _dt: self.poll_devices(), 2.0)

    def _announce_ready(self, _dt: float) -> None:
        self.ready = True
        log.info("login screen ready (%.3f s)", time.monotonic() - self._started)
        for hook in self.ready_hooks:
            hook()

    def _on_resize(self, _win: Any, size: tuple[int, int]) -> None:
        m = Metrics(int(size[0]), int(size[1]))
        if m != self.metrics:
            self.metrics = m
            self.rerender_all()

    def rerender_all(self) -> None:
        self.render_chrome()
        for s in self._screens.values():
            if s.manager is not None:
                s.rerender()

    # --- navigation -----------------------------------------------------------------------

    @property
    def screen(self) -> PosScreen:
        return self.sm.current_screen

    def show(self, name: str, **params: Any) -> None:
        screen = self._screens.get(name)
        if screen is None:
            module, cls = SCREENS[name].split(":")
            screen = getattr(importlib.import_module(module), cls)(self, name=name)
            self._screens[name] = screen
        # Only the current screen stays in the tree, so a hidden screen's buttons can never be
        # tapped and a language change re-renders one screen, not all of them.
        for other in list(self.sm.screens):
            if other is not screen:
                self.sm.remove_widget(other)
        screen.rerender()
        if screen.manager is None:
            self.sm.add_widget(screen)
        self.sm.current = name
        screen.on_enter_screen(**params)
        self.render_chrome()

    # --- running core work ----------------------------------------------------------------

    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: ErrorHandler | None = None,
        **kwargs: Any,
    ) -> None:
        """Run ``fn`` on the worker; callbacks come back on this thread. Errors without an
        ``on_error`` are shown in the error banner."""
        self.busy += 1
        self.last_input = time.monotonic()
        self.render_status()

        def done(result: Any) -> None:
            self.busy -= 1
            self.render_status()
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            self.busy -= 1
            self.render_status()
            # Whatever raised ApprovalRequired is retried with the supervisor's approval.
            from terminal.screens.approval import offer_approval

            if offer_approval(self, exc, fn, args, kwargs, on_done, on_error):
                return
            if on_error is not None and on_error(exc) is not False:
                return
            self.show_error(exc)

        self.worker.submit(fn, *args, on_done=done, on_error=failed, **kwargs)

    # --- errors and banners ---------------------------------------------------------------

    def show_error(self, exc: BaseException | str, code: str = "error") -> None:
        if isinstance(exc, str):
            message = exc
        else:
            code, message = describe(exc, self.tr.gettext, self.terminal.currency,
                                     self.terminal.data_dir)
            if code == "internal":
                log.error("unexpected error", exc_info=exc)
        self.last_error = {"code": code, "message": message}
        self.render_chrome()

    def clear_error(self) -> None:
        if self.last_error is not None:
            self.last_error = None
            self.render_chrome()

    def _push_drawer_shut(self) -> None:
        def seen(_r: Any) -> None:
            # The monitor reads the sensor within a poll; look again shortly after.
            Clock.schedule_once(lambda _dt: self.poll_devices(), 0.3)

        self.call(self.terminal.push_drawer_shut, on_done=seen)

    def poll_devices(self) -> None:
        """Device status is cheap to read (the drivers keep it in memory); a change shows or
        clears a banner."""
        status = self.terminal.printer_status()
        scanner = self.terminal.scanner_state()
        drawer = self.terminal.drawer_state()
        if status != self.printer or scanner != self.scanner or drawer != self.drawer:
            self.printer = status
            self.scanner = scanner
            self.drawer = drawer
            self.render_chrome()

    # --- chrome ---------------------------------------------------------------------------

    def render_chrome(self) -> None:
        _ = self.tr.gettext
        m = self.metrics
        h = self.header
        h.clear_widgets()
        h.height = m.row(0.9)
        h.padding = (m.pad, m.pad // 2)
        h.spacing = m.pad
        store = self.terminal.store_name(self.tr.language)
        who = self.clerk.display_name(self.tr.language) if self.clerk else _("Not logged in")
        h.add_widget(Text(f"{store}  ·  {who}", color=WHITE, font_size=m.font(0), bold=True,
                          shorten=True, shorten_from="right"))
        self.status_label = Text("", color=WHITE, font_size=m.font(-1), halign="right",
                                 size_hint_x=0.45 if m.portrait else 0.6)
        button_w = m.row(1.5 if m.portrait else 1.9)
        h.add_widget(self.status_label)
        if self.clerk is not None:
            h.add_widget(PosButton(_("Menu"), aid="header.menu", kind="header",
                                   font_size=m.font(0), size_hint_x=None, width=button_w,
                                   on_tap=lambda: self.show("menu")))
            h.add_widget(PosButton(_("Log out"), aid="header.logout", kind="header",
                                   font_size=m.font(0), size_hint_x=None, width=button_w,
                                   on_tap=self.logout))
        self.render_status()
        self._render_banners()

    def render_status(self) -> None:
        _ = self.tr.gettext
        parts = []
        if self.clerk is not None:
            shift = self.terminal.shift_state()
            parts.append(_("Shift open") if shift else _("No shift open"))
        if self.busy:
            parts.append(_("Working…"))
        money = payments_status(self.terminal.payment_modes(), _)
        if money:
            parts.append(money)
        if hasattr(self, "status_label"):
            self.status_label.text = "  ·  ".join(parts)

    def _render_banners(self) -> None:
        _ = self.tr.gettext
        m = self.metrics
        b = self.banners
        b.clear_widgets()
        rows: list[tuple[str, tuple[float, ...], str, bool]] = []
        if self.clerk is not None and self.clerk.training:
            text = _("TRAINING: nothing counts, the drawer stays shut.")
            checklist = self.clerk.checklist
            if checklist:
                text += "  " + _("Checklist {done}/{total}").format(done=checklist.done,
                                                                     total=checklist.total)
            rows.append(("banner.training", TRAINING_BG, text, False))
        problem = self.printer.problem
        if problem:
            # The driver's own detail (an OS error, a status byte) is for the technician: it
            # stays in the automation state; the clerk reads what to do.
            text = {
                "offline": _("Printer offline: receipts wait and print when it is back."),
                "paper_out": _("Printer out of paper: load paper; queued receipts will print."),
                "cover_open": _("Printer cover open: close it; queued receipts will print."),
            }.get(problem, _("Printer fault: check the printer and its cable; queued receipts "
                             "will print."))
            waiting = self.printer.pending_jobs
            if waiting:
                text += " " + _("Waiting: {n}").format(n=waiting)
            rows.append(("banner.printer", WARNING_BG, text, False))
        if self.scanner.problem:
            states = self.scanner.states
            why = sorted({SCANNER_STATES.get(st, SCANNER_STATES["disconnected"])
                          for st in states.values()} or {SCANNER_STATES["disconnected"]})
            rows.append(("banner.scanner", WARNING_BG,
                         _("Scanner not reading ({detail}): check its cable, or type the "
                           "barcode on the keypad.").format(
                             detail=", ".join(_(w) for w in why)), False))
        left_open = self.drawer.left_open
        if left_open is not None:
            # A real drawer's banner goes when the sensor reads it shut; the demo's drawer has
            # no hand to shut it, so its banner offers the push.
            rows.append(("banner.drawer", ERROR_BG,
                         _("Cash drawer left open for over {seconds} s: close it.")
                         .format(seconds=left_open), self.terminal.simulated))
        start_problem = self.terminal.start_problem
        if start_problem is not None:
            rows.append(("banner.data_dir", ERROR_BG, describe(start_problem, _)[1], False))
        if self.last_error is not None:
            rows.append(("banner.error", ERROR_BG, self.last_error["message"], True))
        # The strip keeps one height whatever shows in it, so no control below ever moves
        # when a banner comes or goes; several banners share its width.
        b.height = banner_height(m)
        small = len(rows) > 1 or any(len(r[2]) > BANNER_ROOMY_CHARS for r in rows)
        for aid, color, text, dismissable in rows:
            row = Panel(orientation="horizontal", bg=color, padding=(m.pad, 0), spacing=m.pad)
            label = Text(clip(text), aid=aid, color=WHITE, font_size=m.font(-1 if small else 0),
                         bold=True)
            # What does not fit the strip is cut, never spilled over the controls below.
            label.bind(size=lambda lbl, size: setattr(lbl, "text_size",
                                                      (max(0, size[0] - 8), size[1])))
            row.add_widget(label)
            if dismissable and aid == "banner.drawer":
                row.add_widget(PosButton(_("Shut (demo)"), aid="banner.drawer.shut",
                                         kind="muted", font_size=m.font(-1), size_hint_x=None,
                                         width=m.row(1.9), on_tap=self._push_drawer_shut))
            elif dismissable:
                row.add_widget(PosButton(_("OK"), aid="banner.dismiss", kind="muted",
                                         font_size=m.font(0), size_hint_x=None,
                                         width=m.row(1.6), on_tap=self.clear_error))
            b.add_widget(row)

    def _start_problem(self) -> dict[str, str] | None:
        problem = self.terminal.start_problem
        if problem is None:
            return None
        code, message = describe(problem, self.tr.gettext)
        return {"code": code, "message": message}

    # --- session --------------------------------------------------------------------------

    def logged_in(self, clerk: ClerkView) -> None:
        self.clerk = clerk
        self.clear_error()
        self.call(self.terminal.sale_snapshot, on_done=self._after_login)

    def _after_login(self, snapshot: SaleSnapshot | None) -> None:
        self.sale = snapshot
        # Training sales belong to no shift, so a clerk in training sells straight away.
        training = bool(self.clerk and self.clerk.training)
        if self.terminal.shift_state() is None and not training:
            self.show("shift_open")
        else:
            self.show("sale")

    def logout(self) -> None:
        def done(_r: Any) -> None:
            self.clerk = None
            self.sale = None
            self.show("login")

        # Logging out parks the clerk's open sale for their next login.
        self.call(self.terminal.logout, on_done=done)

    def set_sale(self, snapshot: SaleSnapshot | None) -> None:
        self.sale = snapshot
        self.screen.refresh()

    # --- input from devices and automation ------------------------------------------------

    def on_scan(self, code: str) -> None:
        self.last_input = time.monotonic()
        _ = self.tr.gettext
        if len(code) > MAX_SCAN_CHARS:
            # A stuck trigger or a scanner gone wrong: refused before any screen reads it.
            self.show_error(_("That scan was {n} characters long, longer than any barcode: it "
                              "was ignored. Scan again.").format(n=len(code)),
                            code="scan.too_long")
            return
        dialog = self.dialog
        if dialog is not None and dialog.on_scan(code):
            return
        if not self.screen.on_scan(code):
            self.show_error(_("Scan ignored on this screen: {code}").format(code=shown(code)),
                            code="scan.ignored")

    def on_key(self, key: str) -> bool:
        """A named key ("enter", "backspace", "escape", "tab") or one character, from a
        keyboard or the control channel: to an open dialog first, else the screen."""
        self.last_input = time.monotonic()
        dialog = self.dialog
        if dialog is not None:
            return bool(dialog.on_key(key))
        return bool(self.screen.on_key(key))

    def on_type(self, text: str) -> None:
        self.last_input = time.monotonic()
        dialog = self.dialog
        if dialog is not None:
            for ch in text:
                dialog.on_key(ch)
            return
        self.screen.on_type(text)

    def _key_down(self, _win: Any, key: int, _scancode: int, _text: str | None,
                  _modifiers: list[str]) -> bool:
        # Printable characters arrive through on_textinput; only the named keys are here.
        name = NAMED_KEYS.get(key)
        return self.on_key(name) if name is not None else False

    def _text_input(self, _win: Any, text: str) -> None:
        self.on_type(text)

    def find(self, aid: str) -> Any | None:
        """The visible widget carrying automation id ``aid``."""
        for w in self.root_widget.walk(restrict=True):
            if getattr(w, "aid", None) == aid:
                return w
        return None

    def automation_ids(self) -> list[str]:
        return sorted(
            {w.aid for w in self.root_widget.walk(restrict=True) if getattr(w, "aid", "")}
        )

    def _sale_dict(self) -> dict[str, Any]:
        """The control channel speaks JSON: the snapshot goes out as the core's own dict, made
        once per snapshot however often the state is read."""
        if self.sale is None:
            return {}
        if self._sale_plain[0] is not self.sale:
            self._sale_plain = (self.sale, self.sale.to_dict())
        return self._sale_plain[1]

    def state(self) -> dict[str, Any]:
        sale = self._sale_dict()
        out: dict[str, Any] = {
            "ready": self.ready,
            "screen": self.sm.current,
            "language": self.tr.language,
            "size": list(Window.size),
            "clerk": self.clerk.to_dict() if self.clerk else None,
            "shift": shift.to_dict() if (shift := self.terminal.shift_state()) else None,
            "busy": self.busy > 0,
            "last_error": self.last_error,
            "start_problem": self._start_problem(),
            "banner_height": self.banners.height,
            "printer": self.printer.to_dict(),
            "scanner": self.scanner.to_dict(),
            "drawer": self.terminal.drawer_state().to_dict(),
            "payments": {**(modes := self.terminal.payment_modes()).to_dict(),
                         "status": payments_status(modes, self.tr.gettext)},
            "sale": sale,
            "cart": sale.get("lines", []),
            "totals": {k: sale.get(k) for k in ("subtotal", "discount_total", "tax_total",
                                                "total", "paid", "balance_due", "change")},
            "balance": sale.get("balance_due"),
            "last_result": self.last_result,
        }
        out.update(self.screen.automation_state())
        out["dialog"] = self.dialog.automation_state() if self.dialog is not None else None
        return out
