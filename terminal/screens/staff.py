"""Staff management on the terminal, for holders of ``staff.manage`` or ``training.supervise``:
the staff list, adding a clerk, resetting a PIN, status, cards, training records and
graduation."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from terminal.screens.base import PosScreen
from terminal.screens.i18n import N_
from terminal.screens.port import StaffNotice, StaffRow
from terminal.screens.presenters import item_name
from terminal.screens.tiles import ROLE_LABELS
from terminal.screens.training import DONE_INK
from terminal.screens.widgets import MUTED, WHITE, Panel, PosButton, Text

ROLES = ("cashier", "senior_cashier", "supervisor", "manager")
TRAINING_TOPICS = (N_("Checkout and payments"), N_("Refunds and approvals"),
                   N_("Cash handling and shift close"))
KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
STATUS_LABELS = {"active": N_("active"), "suspended": N_("suspended"), "left": N_("left")}


class StaffScreen(PosScreen):
    """A manager on the terminal: add a clerk (with a PIN to hand over), reset a PIN, suspend
    or reactivate, assign a card, record training, sign off a trainee. The staff service decides
    whether the clerk at the till may do each of these."""

    title = "staff"

    def __init__(self, app: Any, **kw: Any) -> None:
        super().__init__(app, **kw)
        self.members: list[StaffRow] | None = None
        self.selected: str | None = None
        self.mode = "view"
        """"view", "add" (the new-clerk form) or "card" (waiting for a card scan)."""
        self.form = {"name": "", "id": "", "role": "cashier"}
        self.field = "name"
        self.topic = 0
        self.notice: StaffNotice | None = None

    def on_enter_screen(self, **params: Any) -> None:
        # Nothing from an earlier clerk's visit stays on screen: the list is read again, as
        # the clerk at the till now.
        self.members = None
        self.selected = None
        self.mode = "view"
        self.notice = None
        self.rerender()
        self.load()

    def load(self) -> None:
        self.app.call(self.app.terminal.staff_list, on_done=self._got)

    def _got(self, members: list[StaffRow]) -> None:
        self.members = members
        if self.selected not in {m.staff_id for m in members}:
            self.selected = None
        if self.manager is not None:
            self.rerender()

    def _name(self, m: StaffRow) -> str:
        return item_name(m, self.app.tr.language)

    def _member(self) -> StaffRow | None:
        return next((m for m in self.members or () if m.staff_id == self.selected), None)

    # --- layout ---------------------------------------------------------------------------

    def render(self) -> None:
        _ = self._
        m = self.m
        body = BoxLayout(orientation="vertical" if m.portrait else "horizontal",
                         padding=m.pad, spacing=m.pad)
        left = Panel(orientation="vertical", bg=WHITE, padding=m.pad, spacing=m.pad // 2)
        if not m.portrait:
            left.size_hint_x = 0.7
        grid = GridLayout(cols=1, spacing=1, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        from kivy.uix.scrollview import ScrollView

        from terminal.screens.widgets import TapPanel

        for i, person in enumerate(self.members or ()):
            sid = person.staff_id
            picked = sid == self.selected
            row = TapPanel(orientation="vertical", aid=f"staff.member.{sid}",
                           bg=(0.85, 0.92, 1.0, 1) if picked else
                           (WHITE if i % 2 == 0 else (0.96, 0.97, 0.98, 1)),
                           size_hint_y=None, height=m.row(1.0), padding=(m.pad, 2),
                           on_tap=partial(self.pick, sid))
            row.add_widget(Text(f"{self._name(person)}  ·  {sid}", font_size=m.font(0),
                                bold=True, shorten=True, shorten_from="right"))
            detail = _(ROLE_LABELS.get(person.role, person.role))
            detail += "  ·  " + _(STATUS_LABELS.get(person.status, person.status))
            if person.trainee:
                detail += "  ·  " + _("trainee")
            row.add_widget(Text(detail, font_size=m.font(-1), color=MUTED))
            grid.add_widget(row)
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(grid)
        left.add_widget(scroll)
        left.add_widget(PosButton(_("Add clerk"), aid="staff.add", kind="primary",
                                  font_size=m.font(0), size_hint_y=None, height=m.row(0.9),
                                  on_tap=self.start_add))
        body.add_widget(left)
        right = BoxLayout(orientation="vertical", spacing=m.pad)
        if self.notice is not None:
            right.add_widget(self._notice())
        if self.mode == "add":
            self._render_form(right)
        else:
            self._render_actions(right)
        body.add_widget(right)
        self.add_widget(body)

    def _notice(self) -> Text:
        _ = self._
        m = self.m
        n = self.notice
        text = ""
        if n is None:
            pass
        elif n.pin:
            text = _("New PIN for {id}: {pin}. Hand it over; it must be changed at first "
                     "login.").format(id=n.staff_id, pin=n.pin)
        elif n.tag:
            text = _("Card {tag} assigned to {id}.").format(tag=n.tag, id=n.staff_id)
        elif n.record:
            text = _("Training recorded for {id}.").format(id=n.staff_id)
        elif n.status:
            text = _("{id} is now {status}.").format(
                id=n.staff_id, status=_(STATUS_LABELS.get(n.status, n.status)))
        elif n.signed_off:
            text = _("{id} has been signed off.").format(id=n.staff_id)
        return Text(text, aid="staff.notice", font_size=m.font(0), bold=True, color=DONE_INK,
                    bg=(0.90, 0.97, 0.92, 1), size_hint_y=None, height=m.row(1.1),
                    padding=(m.pad, 0))

    def _render_actions(self, box: BoxLayout) -> None:
        _ = self._
        m = self.m
        person = self._member()
        if person is None:
            box.add_widget(Text(_("Pick a clerk on the left, or add one."), color=MUTED,
                                font_size=m.font(0), valign="top"))
            box.add_widget(PosButton(_("Back to sale"), aid="staff.back", kind="muted",
                                     font_size=m.font(0), size_hint_y=None, height=m.row(0.9),
                                     on_tap=lambda: self.app.show("sale")))
            return
        sid = person.staff_id
        box.add_widget(Text(self._name(person), aid="staff.selected", font_size=m.font(1),
                            bold=True, size_hint_y=None, height=m.row(0.7)))
        if self.mode == "card":
            box.add_widget(Text(_("Scan the new staff card now."), aid="staff.card_wait",
                                font_size=m.font(0), color=MUTED, size_hint_y=None,
                                height=m.row(0.6)))
        grid = GridLayout(cols=2, spacing=m.pad, size_hint_y=None,
                          height=m.row(0.9) * 2 + m.pad)
        active = person.status == "active"
        grid.add_widget(PosButton(_("Reset PIN"), aid="staff.reset_pin", kind="accent",
                                  font_size=m.font(-1), disabled=not active,
                                  on_tap=lambda: self._do("staff_reset_pin", sid)))
        if active:
            grid.add_widget(PosButton(_("Suspend"), aid="staff.suspend", kind="danger",
                                      font_size=m.font(-1),
                                      on_tap=lambda: self._do("staff_status", sid,
                                                              "suspended")))
        else:
            grid.add_widget(PosButton(_("Reactivate"), aid="staff.reactivate", kind="accent",
                                      font_size=m.font(-1),
                                      disabled=person.status == "left",
                                      on_tap=lambda: self._do("staff_status", sid, "active")))
        grid.add_widget(PosButton(_("Assign card"), aid="staff.assign_card", kind="accent",
                                  font_size=m.font(-1), disabled=not active,
                                  on_tap=self.wait_card))
        grid.add_widget(PosButton(_("Sign off training"), aid="staff.graduate", kind="accent",
                                  font_size=m.font(-1), disabled=not person.trainee,
                                  on_tap=lambda: self._do("staff_graduate", sid)))
        box.add_widget(grid)
        box.add_widget(Text(_("Training record"), font_size=m.font(-1), bold=True,
                            size_hint_y=None, height=m.row(0.45)))
        topics = BoxLayout(orientation="horizontal", spacing=m.pad // 2, size_hint_y=None,
                           height=m.row(0.9))
        for i, topic in enumerate(TRAINING_TOPICS):
            topics.add_widget(PosButton(_(topic), aid=f"staff.topic.{i}",
                                        kind="accent" if i == self.topic else "muted",
                                        font_size=m.font(-1),
                                        on_tap=partial(self.pick_topic, i)))
        box.add_widget(topics)
        results = BoxLayout(orientation="horizontal", spacing=m.pad // 2, size_hint_y=None,
                            height=m.row(0.8))
        for key, label in (("passed", N_("passed")), ("practice", N_("needs practice"))):
            results.add_widget(PosButton(_("Record: {result}").format(result=_(label)),
                                         aid=f"staff.record.{key}", kind="key",
                                         font_size=m.font(-1),
                                         on_tap=partial(self._record_training, sid, label)))
        box.add_widget(results)
        records = person.training
        if records:
            last = records[-1]
            box.add_widget(Text(f"{last.get('date', '')}  {last.get('content', '')}: "
                                f"{last.get('result', '')}", aid="staff.last_training",
                                font_size=m.font(-1), color=MUTED, size_hint_y=None,
                                height=m.row(0.5), shorten=True, shorten_from="right"))
        box.add_widget(BoxLayout())
        box.add_widget(PosButton(_("Back to sale"), aid="staff.back", kind="muted",
                                 font_size=m.font(0), size_hint_y=None, height=m.row(0.9),
                                 on_tap=lambda: self.app.show("sale")))

    def _render_form(self, box: BoxLayout) -> None:
        _ = self._
        m = self.m

        fields = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                           height=m.row(0.8))
        for key, label in (("name", _("Name")), ("id", _("Account id"))):
            value = self.form[key]
            fields.add_widget(PosButton(f"{label}: {value}" if value else label,
                                        aid=f"staff.field.{key}",
                                        kind="accent" if key == self.field else "key",
                                        font_size=m.font(-1),
                                        on_tap=partial(self.pick_field, key)))
        box.add_widget(fields)
        roles = BoxLayout(orientation="horizontal", spacing=m.pad // 2, size_hint_y=None,
                          height=m.row(0.75))
        for role in ROLES:
            roles.add_widget(PosButton(_(ROLE_LABELS[role]), aid=f"staff.role.{role}",
                                       kind="accent" if role == self.form["role"] else "muted",
                                       font_size=m.font(-1),
                                       on_tap=partial(self.pick_role, role)))
        box.add_widget(roles)
        kb = BoxLayout(orientation="vertical", spacing=2)
        for row in KEYBOARD_ROWS:
            line = BoxLayout(orientation="horizontal", spacing=2)
            for ch in row:
                line.add_widget(PosButton(ch.upper(), aid=f"staff.kb.{ch}", font_size=m.font(-1),
                                          on_tap=partial(self.type_key, ch)))
            kb.add_widget(line)
        last = BoxLayout(orientation="horizontal", spacing=2)
        last.add_widget(PosButton(_("Space"), aid="staff.kb.space", font_size=m.font(-1),
                                  size_hint_x=3, on_tap=lambda: self.type_key(" ")))
        last.add_widget(PosButton(_("Del"), aid="staff.kb.back", kind="muted",
                                  font_size=m.font(-1), on_tap=lambda: self.type_key("back")))
        kb.add_widget(last)
        box.add_widget(kb)
        row = BoxLayout(orientation="horizontal", spacing=m.pad, size_hint_y=None,
                        height=m.row(0.9))
        row.add_widget(PosButton(_("Cancel"), aid="staff.add_cancel", kind="muted",
                                 font_size=m.font(0), on_tap=self.cancel_add))
        row.add_widget(PosButton(_("Add"), aid="staff.create", kind="primary",
                                 font_size=m.font(0), on_tap=self.create))
        box.add_widget(row)

    # --- input ----------------------------------------------------------------------------

    def pick(self, staff_id: str) -> None:
        self.selected = staff_id
        self.mode = "view"
        self.notice = None
        self.rerender()

    def pick_topic(self, i: int) -> None:
        self.topic = i
        self.rerender()

    def start_add(self) -> None:
        self.mode = "add"
        self.form = {"name": "", "id": "", "role": "cashier"}
        self.field = "name"
        self.notice = None
        self.rerender()

    def cancel_add(self) -> None:
        self.mode = "view"
        self.rerender()

    def pick_field(self, key: str) -> None:
        self.field = key
        self.rerender()

    def pick_role(self, role: str) -> None:
        self.form["role"] = role
        self.rerender()

    def type_key(self, ch: str) -> None:
        value = self.form[self.field]
        if ch == "back":
            value = value[:-1]
        elif self.field == "id":
            if ch.isalnum() or ch in "._+-":
                value = (value + ch)[:40]
        else:
            value = (value + (ch.upper() if not value or value.endswith(" ") else ch))[:40]
        self.form[self.field] = value
        self.rerender()

    def on_key(self, key: str) -> bool:
        if self.mode != "add":
            return False
        if key == "backspace":
            self.type_key("back")
        elif key == "tab":
            self.pick_field("id" if self.field == "name" else "name")
        elif key == "enter":
            self.create()
        elif len(key) == 1:
            self.type_key(key)
        else:
            return False
        return True

    def create(self) -> None:
        name, sid = self.form["name"].strip(), self.form["id"].strip()
        if not name or not sid:
            self.app.show_error(self._("Type the name and the account id first."),
                                code="input.missing")
            return
        self.selected = sid
        self._do("staff_add", name, sid, self.form["role"])

    def wait_card(self) -> None:
        self.mode = "card"
        self.notice = None
        self.rerender()

    def on_scan(self, code: str) -> bool:
        if self.mode != "card" or self.selected is None:
            return False
        self._do("staff_assign_card", self.selected, code)
        return True

    def _record_training(self, sid: str, result: str) -> None:
        # The topic is read at the tap, not when the button was built.
        self._do("staff_record_training", sid, TRAINING_TOPICS[self.topic], result)

    def _do(self, method: str, *args: Any) -> None:
        self.app.call(getattr(self.app.terminal, method), *args, on_done=self._done)

    def _done(self, result: StaffNotice) -> None:
        self.app.clear_error()
        self.notice = result
        self.mode = "view"
        self.load()

    def automation_state(self) -> dict[str, Any]:
        members = None if self.members is None else [m.to_dict() for m in self.members]
        return {"staff": {"members": members, "selected": self.selected, "mode": self.mode,
                          "form": self.form,
                          "notice": self.notice.to_dict() if self.notice else None}}
