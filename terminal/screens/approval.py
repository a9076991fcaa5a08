"""The supervisor dialog, and the one mechanism that turns any ``ApprovalRequired`` from the core
into an approval: it shows what needs approving and why, takes a reason from the store's list
and a supervisor's card and PIN, gets a ``rights.Approval`` from the approval service, and
retries the very call that raised it with ``approval=``. The same dialog, without reasons,
switches a clerk into training.

The dialog lies over the whole window (it is a child of the app's root, so the control channel
sees and taps its widgets); scans go to it while it is open.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from terminal.core.rights import ApprovalRequired, Right
from terminal.screens.errors import RIGHT_ACTIONS, limit_text, login_error_text
from terminal.screens.i18n import N_
from terminal.screens.port import LoginTile
from terminal.screens.presenters import apply_key, item_name, mask_pin
from terminal.screens.widgets import MUTED, WHITE, Keypad, Panel, PosButton, Text

if TYPE_CHECKING:
    from terminal.screens.shell import PosApp

SCRIM = (0.05, 0.07, 0.1, 0.55)
CARD_BG = (1, 1, 1, 1)
TITLE_BG = (0.96, 0.62, 0.10, 1)
ERROR_INK = (0.78, 0.20, 0.20, 1)
OK_INK = (0.11, 0.55, 0.32, 1)
KEYS_BG = (0.90, 0.91, 0.93, 1)
PIN_MAX = 8

RIGHT_LABELS: dict[str, str] = {
    Right.SALE_MAX_AMOUNT.value: N_("Sale above your single-sale limit"),
    Right.DAILY_COLLECTION.value: N_("Collection above your daily limit"),
    Right.DISCOUNT.value: N_("Discount"),
    Right.PRICE_OVERRIDE.value: N_("Price override"),
    Right.OPEN_PRICE.value: N_("Open price"),
    Right.VOID_LINE.value: N_("Void a line"),
    Right.VOID_SALE.value: N_("Void the sale"),
    Right.SUSPEND_SALE.value: N_("Suspend the sale"),
    Right.REFUND_WITH_RECEIPT.value: N_("Refund with receipt"),
    Right.REFUND_WITHOUT_RECEIPT.value: N_("Refund without receipt"),
    Right.NO_SALE.value: N_("Open the drawer (no sale)"),
    Right.CASH_MOVE.value: N_("Cash in / cash out"),
    Right.SHIFT_OPEN.value: N_("Open shift"),
    Right.SHIFT_CLOSE.value: N_("Close shift"),
    Right.REPORT_X.value: N_("X report"),
    Right.REPORT_Z.value: N_("Z report (end of day)"),
    Right.MEMBER_POINTS.value: N_("Adjust member points"),
    Right.TENDER_CASH.value: N_("Take cash"),
    Right.TENDER_CARD.value: N_("Take card payment"),
    Right.TENDER_QR.value: N_("Take mobile QR payment"),
    Right.REPORT_STORE.value: N_("See the whole store's figures"),
    Right.MEMBER_LOOKUP.value: N_("Look up members"),
    Right.MEMBER_ENROLL.value: N_("Enroll members"),
    Right.SETTINGS.value: N_("Change settings"),
    Right.STAFF_MANAGE.value: N_("Manage staff"),
    Right.TRAINING_SUPERVISE.value: N_("Supervise training"),
}

REASON_LABELS: dict[str, str] = {
    "customer changed mind": N_("customer changed mind"),
    "wrong item scanned": N_("wrong item scanned"),
    "damaged goods": N_("damaged goods"),
    "price mismatch": N_("price mismatch"),
    "manager discount": N_("manager discount"),
    "change for the float": N_("change for the float"),
    "other": N_("other"),
}


def _takes_approval(fn: Callable[..., Any]) -> bool:
    """Whether the call can be retried with ``approval=`` (otherwise the refusal is shown)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "approval" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def offer_approval(
    app: PosApp,
    exc: BaseException,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    on_done: Callable[[Any], None] | None,
    on_error: Callable[[BaseException], Any] | None,
) -> bool:
    """When ``exc`` asks for approval, open the dialog and return True; the approved retry is
    ``fn(*args, approval=..., **kwargs)`` with the same callbacks. Anything else: False."""
    if not isinstance(exc, ApprovalRequired) or app.clerk is None or not _takes_approval(fn):
        return False
    rest = {k: v for k, v in kwargs.items() if k != "approval"}

    def retry(approval: Any) -> None:
        app.call(fn, *args, on_done=on_done, on_error=on_error, approval=approval, **rest)

    SupervisorDialog.open(app, mode="approval", decision=exc.decision, on_granted=retry,
                          reason=_given_reason(fn, args, rest))
    return True


def _given_reason(fn: Callable[..., Any], args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> str | None:
    """The reason the clerk already chose for the action (a refund's), so the dialog does not
    ask for it a second time."""
    try:
        bound = inspect.signature(fn).bind_partial(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    reason = bound.arguments.get("reason")
    return reason if isinstance(reason, str) and reason else None


class SupervisorDialog(AnchorLayout):
    """A supervisor's card and PIN (and, for an approval, a reason), over the current screen.
    In a PIN-only store the supervisor taps their own tile instead of scanning a card; the clerk
    asking is never offered as a tile."""

    def __init__(self, app: PosApp, *, mode: str, decision: Any = None,
                 on_granted: Callable[[Any], None] | None = None, reason: str | None = None,
                 **kw: Any) -> None:
        super().__init__(anchor_x="center", anchor_y="center", **kw)
        self.app = app
        self.mode = mode
        self.decision = decision
        self.on_granted = on_granted
        self.reasons: list[str] = []
        self.reason: str | None = reason
        self.reason_given = reason is not None
        """The action came with its reason already chosen: it is shown, not asked again."""
        self.tiles: list[LoginTile] = []
        self.approver: str | None = None
        """The tile tapped (a staff id), in a PIN-only store."""
        self.card: str | None = None
        self.card_holder: str = ""
        self.pin = ""
        self.error: dict[str, str] | None = None
        self.busy = False
        self._rendered: Any = None
        with self.canvas.before:
            from kivy.graphics import Color, Rectangle

            Color(*SCRIM)
            self._scrim = Rectangle(pos=self.pos, size=self.size)
        self.bind(pos=self._sync, size=self._sync)

    # --- opening and closing ----------------------------------------------------------------

    @classmethod
    def open(cls, app: PosApp, *, mode: str, decision: Any = None,
             on_granted: Callable[[Any], None] | None = None,
             reason: str | None = None) -> SupervisorDialog:
        if app.dialog is not None:
            app.dialog.close()
        dialog = cls(app, mode=mode, decision=decision, on_granted=on_granted, reason=reason)
        # The app redraws whichever dialog it holds when the language changes.
        app.dialog = dialog
        app.root_widget.add_widget(dialog)
        dialog.render()
        if mode == "approval":
            app.call(app.terminal.reasons, on_done=dialog._got_reasons)
        # Tiles only in a PIN-only store (the core answers none where cards are required).
        app.call(app.terminal.tiles, on_done=dialog._got_tiles)
        return dialog

    def close(self) -> None:
        self.pin = ""
        self.card = None
        if self.parent is not None:
            self.parent.remove_widget(self)
        if self.app.dialog is self:
            self.app.dialog = None

    def _sync(self, *_a: Any) -> None:
        self._scrim.pos = self.pos
        self._scrim.size = self.size
        if self.parent is not None and self.app.metrics != self._rendered:
            # The window was resized (or turned): lay the dialog out again for it.
            Clock.schedule_once(lambda _dt: self.render() if self.parent else None, 0)

    def on_touch_down(self, touch: Any) -> bool:
        # Modal: nothing under the dialog can be touched while it is open.
        super().on_touch_down(touch)
        return True

    def on_touch_move(self, touch: Any) -> bool:
        super().on_touch_move(touch)
        return True

    def on_touch_up(self, touch: Any) -> bool:
        super().on_touch_up(touch)
        return True

    # --- layout -------------------------------------------------------------------------------

    def _(self, message: str) -> str:
        return self.app.tr.gettext(message)

    def render(self) -> None:
        _ = self._
        m = self.app.metrics
        self._rendered = m
        self.clear_widgets()
        w = min(m.width - 2 * m.pad, max(m.width * 0.9, m.row(10)), m.row(15))
        h = min(m.height - 2 * m.pad, max(m.height * 0.92, m.row(7)),
                m.row(14 if m.portrait else 10))
        card = Panel(orientation="vertical", bg=CARD_BG, size_hint=(None, None), width=w,
                     height=h, spacing=m.pad, padding=(0, 0, 0, m.pad))
        title = _("Supervisor approval needed") if self.mode == "approval" else _(
            "Switch into training mode")
        card.add_widget(Text(title, aid="approval.title", bg=TITLE_BG, color=WHITE, bold=True,
                             font_size=m.font(1), halign="center", size_hint_y=None,
                             height=m.row(0.9)))
        body = BoxLayout(orientation="vertical" if m.portrait else "horizontal",
                         spacing=m.pad * 2, padding=(m.pad * 2, 0))
        left = BoxLayout(orientation="vertical", spacing=m.pad)
        left.add_widget(Text(self._what(), aid="approval.what", font_size=m.font(0), bold=True,
                             size_hint_y=None, height=m.row(0.7)))
        left.add_widget(Text(self._why(), aid="approval.why", font_size=m.font(-1),
                             color=MUTED, size_hint_y=None, height=m.row(0.9)))
        if self.mode == "approval":
            self._reason_box(left)
        else:
            left.add_widget(Text(_("Everything sold in training is kept out of the totals, "
                                   "reports and the drawer."), font_size=m.font(-1),
                                 color=MUTED))
        right = Panel(orientation="vertical", spacing=m.pad, bg=KEYS_BG, padding=m.pad)
        if m.portrait:
            right.size_hint_y = 1.3
        else:
            right.size_hint_x = 0.8
        self._who_box(right)
        self.pin_label = Text(mask_pin(self.pin) or _("Supervisor PIN"), aid="approval.pin",
                              font_size=m.font(1), halign="center", bg=WHITE,
                              color=MUTED if not self.pin else (0.1, 0.12, 0.15, 1),
                              size_hint_y=None, height=m.row(0.8))
        right.add_widget(self.pin_label)
        right.add_widget(Keypad(m, self.key, labels={"clear": _("Clear"), "back": _("Del")},
                                prefix="approval.keypad"))
        body.add_widget(left)
        body.add_widget(right)
        card.add_widget(body)
        self.error_label = Text(self.error["message"] if self.error else "",
                                aid="approval.error", color=ERROR_INK, font_size=m.font(-1),
                                bold=True, size_hint_y=None, height=m.row(0.55),
                                padding=(m.pad * 2, 0))
        card.add_widget(self.error_label)
        buttons = BoxLayout(orientation="horizontal", spacing=m.pad * 2, size_hint_y=None,
                            height=m.row(0.95), padding=(m.pad * 2, 0))
        buttons.add_widget(PosButton(_("Cancel"), aid="approval.cancel", kind="muted",
                                     font_size=m.font(0), on_tap=self.cancel))
        buttons.add_widget(PosButton(_("Approve") if self.mode == "approval" else _("Start"),
                                     aid="approval.ok", kind="primary", font_size=m.font(0),
                                     disabled=self.busy, on_tap=self.submit))
        card.add_widget(buttons)
        self.add_widget(card)

    def _reason_box(self, left: BoxLayout) -> None:
        _ = self._
        m = self.app.metrics
        if self.reason_given and self.reason:
            left.add_widget(Text(_("Reason: {reason}").format(
                reason=_(REASON_LABELS.get(self.reason, self.reason))), aid="approval.reason",
                font_size=m.font(-1), bold=True, size_hint_y=None, height=m.row(0.6)))
            left.add_widget(BoxLayout())
            return
        left.add_widget(Text(_("Reason"), font_size=m.font(-1), bold=True,
                             size_hint_y=None, height=m.row(0.45)))
        rows = (len(self.reasons) + 1) // 2
        grid = GridLayout(cols=2, spacing=m.pad // 2, size_hint_y=None,
                          height=rows * m.row(0.72) + (rows - 1) * (m.pad // 2))
        for i, reason in enumerate(self.reasons):
            grid.add_widget(PosButton(
                _(REASON_LABELS.get(reason, reason)), aid=f"approval.reason.{i}",
                kind="accent" if reason == self.reason else "muted", font_size=m.font(-1),
                on_tap=partial(self.pick_reason, reason)))
        left.add_widget(grid)
        left.add_widget(BoxLayout())

    def _others(self) -> list[LoginTile]:
        me = self.app.clerk.staff_id if self.app.clerk else None
        return [t for t in self.tiles if t.staff_id != me]

    def _who_box(self, right: Panel) -> None:
        """Who approves: their tile in a PIN-only store, else (or on a scan) their card."""
        _ = self._
        m = self.app.metrics
        others = self._others()
        if others and not self.card:
            row = GridLayout(rows=1, spacing=m.pad // 2, size_hint_y=None, height=m.row(0.75))
            for person in others[:4]:
                row.add_widget(PosButton(
                    item_name(person, self.app.tr.language), aid=f"approval.tile.{person.staff_id}",
                    kind="accent" if person.staff_id == self.approver else "muted",
                    font_size=m.font(-1), shorten=True, shorten_from="right",
                    on_tap=partial(self.pick_approver, person.staff_id)))
            right.add_widget(row)
            return
        if self.card:
            card_text = _("Card: {name}").format(name=self.card_holder or "…")
        else:
            card_text = _("Scan the supervisor's staff card")
        right.add_widget(Text(card_text, aid="approval.card", font_size=m.font(-1),
                              color=OK_INK if self.card else MUTED, bold=bool(self.card),
                              size_hint_y=None, height=m.row(0.55)))

    def _what(self) -> str:
        if self.decision is None:
            name = self.app.clerk.name if self.app.clerk else ""
            return self._("{name} will sell in training mode").format(name=name)
        right = self.decision.right
        label = RIGHT_LABELS.get(right.value) or RIGHT_ACTIONS.get(right)
        return self._(label) if label else right.value

    def _why(self) -> str:
        _ = self._
        if self.decision is None:
            if self._others() and not self.card:
                return _("A supervisor other than you taps their name and types their PIN.")
            return _("A supervisor other than you scans their card and types their PIN.")
        # Money, a percentage or days, as the decision's limit says.
        limit = limit_text(self.decision, self.app.terminal.currency, _)
        if limit:
            why = _("Over your limit of {limit}.").format(limit=limit)
        else:
            why = _("Your role needs a supervisor's approval for this.")
        return why + " " + _("Another person who holds this right approves.")

    # --- input --------------------------------------------------------------------------------

    def _got_reasons(self, reasons: list[str]) -> None:
        self.reasons = reasons
        if self.reason not in reasons:
            # A reason the approval list does not know is asked for from the list.
            self.reason, self.reason_given = None, False
        self.render()

    def _got_tiles(self, tiles: list[LoginTile]) -> None:
        self.tiles = tiles
        if self.parent is not None:
            self.render()

    def pick_approver(self, staff_id: str) -> None:
        self.approver = None if staff_id == self.approver else staff_id
        self.error = None
        self.render()

    def pick_reason(self, reason: str) -> None:
        self.reason = reason
        self.error = None
        self.render()

    def key(self, key: str) -> None:
        if key == "enter":
            self.submit()
            return
        self.pin = apply_key(self.pin, key, max_len=PIN_MAX, decimals=0)
        self.pin_label.text = mask_pin(self.pin) or self._("Supervisor PIN")
        self.pin_label.color = MUTED if not self.pin else (0.1, 0.12, 0.15, 1)

    def on_key(self, key: str) -> bool:
        if key == "escape":
            self.cancel()
        elif key == "enter":
            self.submit()
        elif key == "backspace":
            self.key("back")
        elif key.isdigit():
            self.key(key)
        else:
            return False
        return True

    def on_scan(self, code: str) -> bool:
        self.card = code
        self.approver = None
        self.card_holder = ""
        self.error = None
        self.render()
        self.app.call(self.app.terminal.identify, code, on_done=self._identified,
                      on_error=self._card_failed)
        return True

    def _identified(self, tile: LoginTile) -> None:
        if self.card is None:
            return
        self.card_holder = item_name(tile, self.app.tr.language)
        self.render()

    def _card_failed(self, exc: BaseException) -> bool:
        self.card = None
        self._show_error(exc)
        return True

    def _show_error(self, exc: BaseException | str, code: str = "error") -> None:
        if isinstance(exc, str):
            self.error = {"code": code, "message": exc}
        else:
            code, message = login_error_text(exc, self._)
            self.error = {"code": code, "message": message}
        self.render()

    def cancel(self) -> None:
        self.close()
        if self.mode == "approval" and self.decision is not None:
            self.app.show_error(self._("Not done: the supervisor's approval was cancelled."),
                                code="approval.cancelled")

    def submit(self) -> None:
        _ = self._
        if self.busy:
            return
        if self.mode == "approval" and not self.reason:
            self._show_error(_("Pick a reason first."), "approval.reason")
            return
        if not self.card and not self.approver:
            if self._others():
                self._show_error(_("Tap the supervisor's name first."), "approval.who")
            else:
                self._show_error(_("Scan the supervisor's staff card first."), "approval.card")
            return
        if not self.pin:
            self._show_error(_("Type the supervisor's PIN."), "approval.pin")
            return
        pin, self.pin = self.pin, ""
        self.busy = True
        self.error = None
        self.render()
        terminal = self.app.terminal
        if self.mode == "approval":
            self.app.call(terminal.approve, self.decision.right.value, self.card, pin, self.reason,
                          staff_id=self.approver, on_done=self._granted, on_error=self._failed)
        else:
            self.app.call(terminal.enter_training, self.card, pin, staff_id=self.approver,
                          on_done=self._granted, on_error=self._failed)

    def _granted(self, result: Any) -> None:
        self.busy = False
        self.close()
        if self.on_granted is not None:
            self.on_granted(result)

    def _failed(self, exc: BaseException) -> bool:
        self.busy = False
        self._show_error(exc)
        return True

    def automation_state(self) -> dict[str, Any]:
        d = self.decision
        return {
            "mode": self.mode,
            "right": d.right.value if d is not None else None,
            "limit": d.limit if d is not None else None,
            "why": d.reason if d is not None else "",
            "reasons": self.reasons,
            "reason": self.reason,
            "reason_given": self.reason_given,
            "tiles": [t.staff_id for t in self._others()],
            "approver": self.approver,
            "card_read": self.card is not None,
            "card_holder": self.card_holder,
            "pin_length": len(self.pin),
            "busy": self.busy,
            "error": self.error,
        }


def watch_idle(app: PosApp) -> None:
    """Idle auto-logout: no touch, key, scan or action for the configured time logs the clerk
    out with their sale parked. Installed once; the limit is read from the staff settings."""
    if app.idle_watch is not None:
        return
    from kivy.core.window import Window

    app.last_input = time.monotonic()

    def touched(*_a: Any) -> None:
        app.last_input = time.monotonic()

    Window.bind(on_touch_down=touched, on_key_down=touched)
    limit: int | None = None
    """The configured idle limit (s), asked of the terminal once."""
    asking = False
    """A question to the worker is out: do not ask again until it answers."""

    def got_limit(value: int) -> None:
        nonlocal limit, asking
        limit, asking = value, False

    def answered(_r: object = None) -> None:
        nonlocal asking
        asking = False

    def check(_dt: float) -> None:
        nonlocal asking
        if app.clerk is None or asking:
            return
        if limit is None:
            asking = True
            app.worker.submit(app.terminal.idle_limit, on_done=got_limit)
            return
        idle = time.monotonic() - app.last_input
        if not limit or idle < limit or app.busy:
            return
        asking = True

        def done(logged_out: bool) -> None:
            answered()
            if logged_out:
                if app.dialog is not None:
                    app.dialog.close()
                app.clerk = None
                app.sale = None
                app.show("login")
                app.show_error(app.tr.gettext("Logged out after being idle; the open sale is "
                                              "kept for you."), code="login.idle")

        app.call(app.terminal.idle_logout, idle, on_done=done, on_error=answered)

    app.idle_watch = Clock.schedule_interval(check, 1.0)
