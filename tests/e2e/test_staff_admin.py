"""A manager on the terminal, end to end: adds a clerk (the PIN to hand over is shown once),
assigns them a card; the new clerk logs in with the card and that PIN and must choose their own;
the manager suspends them and their login is refused; a cashier cannot see the staff list."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_staff import journal, open_shift_if_asked, pin_of, seed_cards
from tests.e2e.test_staff_switch import tile_login

pytestmark = pytest.mark.ui

NEW_CARD = "STF-ZHAO-2001"


def test_manager_adds_a_clerk_with_a_card_then_suspends_them(launch_app,
                                                              tmp_path: Path) -> None:
    data = tmp_path / "store"
    seed_cards(data)
    app = launch_app(language="en", data_dir=data)
    c = app.c

    tile_login(c, "1001", pin_of("manager"))
    open_shift_if_asked(c)
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.staff")
    st = c.wait_screen("staff")
    assert [m["staff_id"] for m in st["staff"]["members"]] == ["1001", "1002"]

    c.tap("staff.add")
    c.type("zhao min")
    c.tap("staff.field.id")
    c.type("2001")
    c.tap("staff.role.cashier")
    c.tap("staff.create")
    c.wait_idle()
    st = c.state()
    notice = st["staff"]["notice"]
    assert notice is not None and notice["staff_id"] == "2001", st["last_error"]
    issued = notice["pin"]
    assert len(issued) == 6 and issued.isdigit()
    added = next(m for m in st["staff"]["members"] if m["staff_id"] == "2001")
    assert added["name"] == "Zhao Min" and added["role"] == "cashier"

    c.tap("staff.assign_card")
    c.scan(NEW_CARD)
    c.wait_idle()
    st = c.state()
    assert st["staff"]["notice"]["tag"], st["last_error"]
    c.tap("staff.topic.1")
    c.tap("staff.record.passed")
    c.wait_idle()
    member = next(m for m in c.state()["staff"]["members"] if m["staff_id"] == "2001")
    assert member["cards"] == 1
    assert member["training"][-1]["content"] == "Refunds and approvals"

    # The new clerk: card, the issued PIN, then a PIN of their own.
    c.tap("header.logout")
    c.wait_screen("login")
    assert c.state()["tiles"] == ["1001", "1002", "2001"]
    c.scan(NEW_CARD)
    c.wait_idle()
    assert c.state()["card_holder"] == "Zhao Min"
    c.tap_keys(issued)
    c.tap("login.ok")
    c.wait_idle()
    assert c.state()["login_step"] == "new"
    for _twice in range(2):
        c.tap_keys("6150")
        c.tap("login.ok")
    c.wait_idle()
    st = c.state()
    assert st["clerk"] is not None and st["clerk"]["staff_id"] == "2001", st["last_error"]

    # A cashier may not manage staff: the list itself is refused.
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.staff")
    c.wait_idle()
    st = c.state()
    assert st["staff"]["members"] is None
    assert st["last_error"]["code"] == "permission.denied"
    c.tap("banner.dismiss")

    # The manager suspends the new clerk; their card and PIN no longer open the till.
    c.tap("header.logout")
    tile_login(c, "1001", pin_of("manager"))
    c.wait_idle()
    c.tap("header.menu")
    c.wait_screen("menu")
    c.tap("menu.staff")
    c.wait_screen("staff")
    c.tap("staff.member.2001")
    c.tap("staff.suspend")
    c.wait_idle()
    st = c.state()
    assert st["staff"]["notice"]["status"] == "suspended", st["last_error"]
    c.tap("header.logout")
    c.wait_screen("login")
    assert c.state()["tiles"] == ["1001", "1002"]
    c.scan(NEW_CARD)
    c.wait_idle()
    c.tap_keys("6150")
    c.tap("login.ok")
    c.wait_idle()
    st = c.state()
    assert st["clerk"] is None and st["last_error"]["code"] == "login.inactive"
    app.stop()

    entries = journal(data)
    saved = [(e.payload["change"], e.payload["by"]) for e in entries
             if e.kind == "staff.saved" and e.payload["staff"]["staff_id"] == "2001"]
    assert saved == [("added", "1001"), ("suspended", "1001")]
    kinds = [e.kind for e in entries]
    assert "staff.card_assigned" in kinds and "training.recorded" in kinds
    assert "staff.pin_changed" in kinds
    # The card code is nowhere in the database file.
    assert NEW_CARD.encode() not in (data / "ledger.sqlite3").read_bytes()
