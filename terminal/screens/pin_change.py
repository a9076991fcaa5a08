"""Staff login beyond the bare PIN pad: the staff tiles of a PIN-only store and clear messages
for a wrong PIN (attempts left), a locked account (time left) and a weak new PIN (the reason).
The login screen keeps the PIN pad, the card greeting and the first-login PIN change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.scrollview import ScrollView

from terminal.core.auth import AccountLocked, LoginFailed
from terminal.core.errors import PosError
from terminal.screens.base import PosScreen
from terminal.screens.i18n import N_
from terminal.screens.widgets import MUTED, WHITE, TapPanel, Text

PIN_MAX = 8
TILE_BG = (1, 1, 1, 1)
TILE_PICKED = (0.85, 0.92, 1.0, 1)

WEAK_PIN: dict[str, str] = {
    "a PIN is digits only": N_("A PIN is digits only."),
    "a PIN may not repeat one digit (like 0000)": N_(
        "A PIN may not repeat one digit (like 0000)."),
    "a PIN may not be a run of digits (like 1234 or 4321)": N_(
        "A PIN may not be a run of digits (like 1234 or 4321)."),
    "a PIN may not repeat a short pattern (like 1212)": N_(
        "A PIN may not repeat a short pattern (like 1212)."),
    "a PIN may not be a straight line on the keypad (like 2580)": N_(
        "A PIN may not be a straight line on the keypad (like 2580)."),
    "the new PIN must differ from the old one": N_("The new PIN must differ from the old one."),
}


LOGIN_MESSAGES: dict[str, str] = {
    "login.failed": N_("Wrong PIN."),
    "login.locked": N_("Account locked: ask a manager or wait."),
    "login.pin_change_required": N_("Choose a new PIN before you start."),
    "login.unknown_card": N_("Card not recognised."),
    "login.not_staff_card": N_("That is not a staff card."),
    "login.card_required": N_("Scan your staff card first."),
    "login.inactive": N_("This account is not active."),
    "login.no_pin": N_("No PIN issued yet: ask a manager."),
    "login.ambiguous": N_("This PIN does not identify one person: scan your card."),
}
"""Login failures by code; tries left and time still locked are said where they are known."""


def duration_text(seconds: int, _: Callable[[str], str]) -> str:
    if seconds < 120:
        return _("{n} s").format(n=seconds)
    if seconds < 7200:
        return _("{n} min").format(n=(seconds + 59) // 60)
    return _("{n} h").format(n=(seconds + 3599) // 3600)


def login_error_text(exc: BaseException, _: Callable[[str], str]) -> tuple[str, str]:
    """A login or approval failure as (code, sentence) in the current language."""
    if isinstance(exc, AccountLocked):
        return "login.locked", _("Account locked: try again in {time}.").format(
            time=duration_text(exc.seconds, _))
    if isinstance(exc, LoginFailed):
        code = exc.code
        if exc.remaining is not None and code == "login.failed":
            return code, _("Wrong PIN: {n} more tries before the account locks.").format(
                n=exc.remaining)
        if code in LOGIN_MESSAGES:
            return code, _(LOGIN_MESSAGES[code])
        return code, _("Wrong PIN: {detail}").format(detail=exc.message)
    if isinstance(exc, PosError):
        if exc.code == "pin.weak":
            message = WEAK_PIN.get(exc.message)
            text = _(message) if message else exc.message
            return exc.code, _("PIN refused: {reason}").format(reason=text)
        if exc.code == "approval.refused":
            right = getattr(exc, "right", None)
            if getattr(exc, "own", False):
                reason = _("a clerk cannot approve their own action")
            elif right is not None:
                from terminal.screens.errors import RIGHT_ACTIONS

                reason = _("the approver may not {action}").format(
                    action=_(RIGHT_ACTIONS[right]) if right in RIGHT_ACTIONS else right.value)
            else:
                reason = exc.message
            return exc.code, _("Approval refused: {reason}").format(reason=reason)
        if exc.code == "login.not_staff_card":
            return exc.code, _("That is not a staff card.")
        if exc.code in LOGIN_MESSAGES:
            return exc.code, _(LOGIN_MESSAGES[exc.code])
        if exc.code.startswith("login."):
            return exc.code, exc.message
    from terminal.screens.errors import describe

    return describe(exc, _)


class StaffLogin:
    """The staff tiles on the login screen of a PIN-only store: tapping one names the clerk the
    PIN is for (a PIN then only has to be right for that person)."""

    def __init__(self, screen: PosScreen) -> None:
        self.screen = screen
        self.app = screen.app
        self.tiles: list[dict[str, Any]] | None = None
        self.staff_id: str | None = None

    def _(self, message: str) -> str:
        return self.app.tr.gettext(message)

    def name(self, person: dict[str, Any]) -> str:
        zh = self.app.tr.language.startswith("zh")
        return (person.get("name_zh") if zh else "") or person.get("name", "")

    def render(self, box: BoxLayout, *, hidden: bool = False) -> None:
        """Fill ``box`` with the tiles (``hidden`` while a card greeting shows instead)."""
        m = self.app.metrics
        box.clear_widgets()
        box.orientation = "vertical"
        if hidden:
            return
        # Asked again at each showing: a manager may have added or suspended someone since.
        self.app.call(self.app.terminal.tiles, on_done=self._got_tiles)
        if not self.tiles:
            return
        grid = GridLayout(cols=2, spacing=m.pad, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        tile_h = m.row(0.95 if m.portrait else 1.15)
        for person in self.tiles:
            sid = person["staff_id"]
            tile = TapPanel(orientation="horizontal", aid=f"login.tile.{sid}",
                            bg=TILE_PICKED if sid == self.staff_id else TILE_BG,
                            size_hint_y=None, height=tile_h, padding=m.pad // 2,
                            spacing=m.pad, on_tap=lambda s=sid: self.pick(s))
            if person.get("photo"):
                tile.add_widget(Image(source=str(person["photo"]), size_hint_x=None,
                                      width=tile_h - m.pad, fit_mode="contain"))
            else:
                tile.add_widget(Text(self.name(person)[:1], font_size=m.font(2), bold=True,
                                     color=WHITE, halign="center", size_hint_x=None,
                                     width=tile_h - m.pad, bg=(0.15, 0.40, 0.75, 1)))
            names = BoxLayout(orientation="vertical")
            names.add_widget(Text(self.name(person), font_size=m.font(0), bold=True,
                                  shorten=True, shorten_from="right"))
            names.add_widget(Text(self._(ROLE_LABELS.get(person["role"], person["role"])),
                                  font_size=m.font(-1), color=MUTED))
            tile.add_widget(names)
            grid.add_widget(tile)
        # A store with many clerks scrolls its tiles rather than pushing the keypad away.
        scroll = ScrollView(do_scroll_x=False, bar_width=m.pad)
        scroll.add_widget(grid)
        box.add_widget(scroll)

    def _got_tiles(self, tiles: list[dict[str, Any]]) -> None:
        if tiles == self.tiles:
            return
        self.tiles = tiles
        if self.screen.manager is not None:
            self.screen.rerender()

    def pick(self, staff_id: str) -> None:
        self.staff_id = None if staff_id == self.staff_id else staff_id
        self.app.clear_error()
        self.screen.rerender()

    def automation_state(self) -> dict[str, Any]:
        return {"tiles": [t["staff_id"] for t in self.tiles or ()], "picked": self.staff_id}


ROLE_LABELS: dict[str, str] = {
    "cashier": N_("Cashier"),
    "senior_cashier": N_("Senior cashier"),
    "supervisor": N_("Supervisor"),
    "manager": N_("Manager"),
    "owner": N_("Owner"),
}
