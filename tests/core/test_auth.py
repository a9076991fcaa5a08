"""Login, first-login PIN change, lockout with growing delay, idle logout and clerk switch."""

from __future__ import annotations

import pytest

from terminal.core.auth import AccountLocked, LoginFailed, PinChangeRequired
from terminal.core.pins import WeakPin

from .staff_fakes import CARDS, PINS, StaffEnv


@pytest.fixture
def env() -> StaffEnv:
    return StaffEnv()


def test_card_and_pin_open_a_session(env: StaffEnv) -> None:
    tile = env.auth.identify_card(CARDS["cash1"])
    assert (tile.staff_id, tile.name) == ("cash1", "Chen Jing")
    session = env.auth.login(PINS["cash1"], card=CARDS["cash1"])
    assert session.staff_id == "cash1" and not session.training
    assert env.auth.current is session
    last = env.ledger.journal[-1]
    assert last.kind == "login.succeeded" and last.staff_id == "cash1"
    assert last.payload["method"] == "card"


def test_card_reader_case_and_whitespace_do_not_matter(env: StaffEnv) -> None:
    session = env.auth.login(PINS["cash2"], card="  " + CARDS["cash2"].lower() + "\n")
    assert session.staff_id == "cash2"


def test_unknown_card_is_refused_and_journaled_without_the_code(env: StaffEnv) -> None:
    with pytest.raises(LoginFailed) as caught:
        env.auth.login(PINS["cash1"], card="NOT-A-CARD-123")
    assert caught.value.code == "login.unknown_card"
    last = env.ledger.journal[-1]
    assert last.kind == "login.failed" and last.staff_id is None
    assert "NOT-A-CARD-123" not in repr(last)


def test_pin_only_login_needs_the_store_setting() -> None:
    strict = StaffEnv()
    with pytest.raises(LoginFailed) as caught:
        strict.auth.login(PINS["cash1"], staff_id="cash1")
    assert caught.value.code == "login.card_required"
    relaxed = StaffEnv(pin_only=True)
    assert relaxed.auth.login(PINS["cash1"], staff_id="cash1").staff_id == "cash1"
    assert [t.staff_id for t in relaxed.auth.tiles()][:2] == ["cash2", "cash1"]


def test_initial_pin_must_be_changed_at_first_login(env: StaffEnv) -> None:
    pin = env.staff.reset_pin("cash1", by="mgr1")
    with pytest.raises(PinChangeRequired):
        env.auth.login(pin, card=CARDS["cash1"])
    assert env.auth.current is None
    with pytest.raises(WeakPin):
        env.auth.change_pin(pin, "1234", card=CARDS["cash1"])
    with pytest.raises(LoginFailed):
        env.auth.change_pin("999999", "583920", card=CARDS["cash1"])
    session = env.auth.change_pin(pin, "583920", card=CARDS["cash1"])
    assert session.staff_id == "cash1"
    assert "staff.pin_changed" in env.ledger.kinds()
    env.auth.logout()
    assert env.auth.login("583920", card=CARDS["cash1"]).staff_id == "cash1"
    with pytest.raises(LoginFailed):
        env.auth.login(pin, card=CARDS["cash1"])


def test_five_wrong_pins_lock_with_a_growing_delay(env: StaffEnv) -> None:
    card = CARDS["cash1"]
    for remaining in (4, 3, 2, 1):
        with pytest.raises(LoginFailed) as caught:
            env.auth.login("000111", card=card)
        assert caught.value.remaining == remaining
        assert not isinstance(caught.value, AccountLocked)
    with pytest.raises(AccountLocked) as locked:
        env.auth.login("000111", card=card)
    assert locked.value.seconds == 60
    kinds = env.ledger.kinds()
    assert kinds[-3:] == ["login.failed", "login.locked", "alert.raised"]
    alert = env.ledger.journal[-1].payload
    assert alert["alert"] == "account.locked" and alert["staff_id"] == "cash1"
    # Even the right PIN is refused while locked, and a locked attempt does not extend it.
    with pytest.raises(AccountLocked) as still:
        env.auth.login(PINS["cash1"], card=card)
    assert still.value.seconds == 60
    env.clock.advance(59)
    with pytest.raises(AccountLocked):
        env.auth.login(PINS["cash1"], card=card)
    env.clock.advance(1)
    # After the lock: five more wrong PINs lock for twice as long.
    for _ in range(4):
        with pytest.raises(LoginFailed):
            env.auth.login("000111", card=card)
    with pytest.raises(AccountLocked) as second:
        env.auth.login("000111", card=card)
    assert second.value.seconds == 120
    env.clock.advance(120)
    assert env.auth.login(PINS["cash1"], card=card).staff_id == "cash1"
    # A good login resets the growth.
    env.auth.logout()
    for _ in range(4):
        with pytest.raises(LoginFailed):
            env.auth.login("000111", card=card)
    with pytest.raises(AccountLocked) as third:
        env.auth.login("000111", card=card)
    assert third.value.seconds == 60


def test_lock_survives_a_restart_of_the_service(env: StaffEnv) -> None:
    from terminal.core.auth import AuthService

    for _ in range(5):
        with pytest.raises(LoginFailed):
            env.auth.login("000111", card=CARDS["cash1"])
    fresh = AuthService(env.directory, env.ledger, env.hasher, env.card_key, env.clock)
    with pytest.raises(AccountLocked):
        fresh.login(PINS["cash1"], card=CARDS["cash1"])


def test_manager_pin_reset_clears_a_lock(env: StaffEnv) -> None:
    for _ in range(5):
        with pytest.raises(LoginFailed):
            env.auth.login("000111", card=CARDS["cash1"])
    env.staff.reset_pin("cash1", by="mgr1", pin="602913", must_change=False)
    assert env.auth.login("602913", card=CARDS["cash1"]).staff_id == "cash1"


def test_suspended_and_left_cannot_log_in(env: StaffEnv) -> None:
    env.staff.suspend("cash1", by="mgr1", reason="investigation")
    with pytest.raises(LoginFailed) as caught:
        env.login("cash1")
    assert caught.value.code == "login.inactive"
    env.staff.reactivate("cash1", by="mgr1")
    assert env.login("cash1").staff_id == "cash1"
    env.staff.leave("cash2", by="mgr1")
    # Leaving revokes the cards, so the card is simply unknown now.
    with pytest.raises(LoginFailed) as gone:
        env.login("cash2")
    assert gone.value.code == "login.unknown_card"


def test_idle_logout_parks_the_open_sale(env: StaffEnv) -> None:
    env.login("cash1")
    env.clock.advance(100)
    env.auth.touch()
    env.clock.advance(119)
    assert env.auth.check_idle(open_sale="SALE-A") is False
    env.clock.advance(1)
    assert env.auth.check_idle(open_sale="SALE-A") is True
    assert env.auth.current is None
    assert env.ledger.journal[-1].kind == "login.logout"
    assert env.ledger.journal[-1].payload == {"reason": "idle", "parked_sale": True}
    assert env.login("cash1").parked_sale == "SALE-A"
    assert env.auth.parked("cash1") is None


def test_quick_switch_keeps_each_clerks_sale(env: StaffEnv) -> None:
    env.login("cash1")
    with pytest.raises(LoginFailed):
        env.auth.switch("000111", card=CARDS["cash2"], open_sale="SALE-1")
    # A failed switch leaves the first clerk at the till with their sale.
    assert env.auth.current is not None and env.auth.current.staff_id == "cash1"
    s2 = env.auth.switch(PINS["cash2"], card=CARDS["cash2"], open_sale="SALE-1")
    assert s2.staff_id == "cash2" and s2.parked_sale is None
    s1 = env.auth.switch(PINS["cash1"], card=CARDS["cash1"], open_sale="SALE-2")
    assert s1.parked_sale == "SALE-1"
    assert env.auth.switch(PINS["cash2"], card=CARDS["cash2"]).parked_sale == "SALE-2"


def test_trainee_logs_in_to_training(env: StaffEnv) -> None:
    session = env.login("trainee1")
    assert session.training is True
    assert env.ledger.journal[-1].payload["training"] is True


def test_no_pin_issued_yet(env: StaffEnv) -> None:
    env.staff.add({"staff_id": "new1", "name": "New Clerk", "role": "cashier"}, by="mgr1")
    env.staff.assign_card("new1", "NEWCARD-0001", by="mgr1")
    with pytest.raises(LoginFailed) as caught:
        env.auth.login("583920", card="NEWCARD-0001")
    assert caught.value.code == "login.no_pin"


def test_pin_alone_identifies_the_clerk_when_the_store_allows() -> None:
    env = StaffEnv(pin_only=True)
    assert env.auth.login(PINS["cash2"]).staff_id == "cash2"
    strict = StaffEnv()
    with pytest.raises(LoginFailed) as caught:
        strict.auth.login(PINS["cash2"])
    assert caught.value.code == "login.card_required"


def test_pin_alone_wrong_five_times_locks_the_pin_pad() -> None:
    env = StaffEnv(pin_only=True)
    for _ in range(4):
        with pytest.raises(LoginFailed):
            env.auth.login("50391827")
    with pytest.raises(AccountLocked):
        env.auth.login("50391827")
    # The pad is locked for everyone typing PINs alone; a card still works.
    with pytest.raises(AccountLocked):
        env.auth.login(PINS["cash1"])
    assert env.login("cash1").staff_id == "cash1"
    assert env.ledger.of_kind("alert.raised")[-1].payload["staff_id"] == "@pinpad"
    env.clock.advance(60)
    assert env.auth.login(PINS["cash2"]).staff_id == "cash2"


def test_shared_pin_is_refused_without_a_card() -> None:
    env = StaffEnv(pin_only=True)
    env.staff.reset_pin("cash2", by="mgr1", pin=PINS["cash1"], must_change=False)
    with pytest.raises(LoginFailed) as caught:
        env.auth.login(PINS["cash1"])
    assert caught.value.code == "login.ambiguous"
    assert env.login("cash1").staff_id == "cash1"
