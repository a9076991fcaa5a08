"""Who is at the till: card plus PIN login, first-login PIN change, lockout after wrong PINs,
idle logout and quick clerk switch with each clerk's open sale parked.

Every attempt is journaled (``login.succeeded``, ``login.failed``, ``login.locked``,
``login.logout``, ``staff.pin_changed``); a lock also posts ``alert.raised`` for the monitoring
side. Journal entries never carry a PIN or a card code: a failed card shows as ``unknown_card``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, NoReturn

from terminal.core.errors import InvalidInput, PosError
from terminal.core.pins import CardKey, PinPolicy, SecretHasher, check_pin_strength
from terminal.core.ports import Clock, Ledger
from terminal.core.staff import LockState, PinCredential, StaffDirectory, StaffMember

PINPAD = "@pinpad"
"""The lock-state key for PIN-only login, where a wrong PIN names no account."""


class LoginFailed(PosError):
    code = "login.failed"

    def __init__(self, message: str, *, remaining: int | None = None, code: str | None = None):
        super().__init__(message, code=code)
        self.remaining = remaining
        """Wrong PINs left before the account locks, when a PIN was wrong."""


class AccountLocked(LoginFailed):
    code = "login.locked"

    def __init__(self, message: str, *, until: datetime, seconds: int) -> None:
        super().__init__(message, remaining=0)
        self.until = until
        self.seconds = seconds


class PinChangeRequired(PosError):
    """The PIN was right but is an initial one: call ``change_pin`` with it and a new PIN."""

    code = "login.pin_change_required"

    def __init__(self, staff_id: str) -> None:
        super().__init__("choose your own PIN before the first sale")
        self.staff_id = staff_id


@dataclass(frozen=True, slots=True)
class AuthConfig:
    pin_only_login: bool = False
    """Allow logging in without a card: by PIN alone, or a login tile and the PIN."""
    max_failures: int = 5
    lock_base_seconds: int = 60
    """The first lock lasts this long; each further lock without a good login in between lasts
    ``lock_growth`` times the one before, up to ``lock_max_seconds``."""
    lock_growth: int = 2
    lock_max_seconds: int = 24 * 3600
    idle_logout_seconds: int = 300
    """0 turns idle logout off."""


@dataclass(frozen=True, slots=True)
class LoginTile:
    staff_id: str
    name: str
    role: str
    photo: str | None
    trainee: bool
    name_zh: str = ""


@dataclass(slots=True)
class Session:
    staff_id: str
    name: str
    role: str
    training: bool
    """Everything this clerk does is posted as training: it counts nowhere."""
    started_at: str
    last_activity: float
    parked_sale: Any = None
    """The open sale this clerk left when someone else took over, handed back at login."""
    trained_by: str | None = field(default=None)


def _tile(m: StaffMember) -> LoginTile:
    return LoginTile(m.staff_id, m.name, m.role, m.photo, m.trainee, m.name_zh)


class AuthService:
    def __init__(
        self,
        directory: StaffDirectory,
        ledger: Ledger,
        hasher: SecretHasher,
        card_key: CardKey,
        clock: Clock,
        config: AuthConfig | None = None,
        *,
        pin_policy: PinPolicy | None = None,
    ) -> None:
        self._dir = directory
        self._ledger = ledger
        self._hasher = hasher
        self._cards = card_key
        self._clock = clock
        self.config = config or AuthConfig()
        self._pin_policy = pin_policy or PinPolicy()
        self._parked: dict[str, Any] = {}
        self.current: Session | None = None

    # --- who may log in ----------------------------------------------------------------------

    def tiles(self) -> list[LoginTile]:
        """Active clerks for the login screen, by name."""
        return [_tile(m) for m in self._dir.members() if m.active]

    def identify_card(self, code: str) -> LoginTile:
        """The clerk a scanned card belongs to (to greet them on the PIN pad). A card that is
        not recognised is journaled and refused."""
        return _tile(self._member_by_card(code, purpose="login"))

    def _member_by_card(self, code: str, *, purpose: str) -> StaffMember:
        try:
            lookup = self._cards.lookup_id(code)
        except InvalidInput:
            lookup = ""
        card = self._dir.card(lookup) if lookup else None
        if card is None or not self._hasher.verify(code.strip().upper(), card.verifier):
            self._ledger.post(
                "login.failed",
                {"reason": "unknown_card", "purpose": purpose},
                staff_id=None,
            )
            raise LoginFailed("card not recognised", code="login.unknown_card")
        member = self._dir.member(card.staff_id)
        if member is None:
            raise LoginFailed("card not recognised", code="login.unknown_card")
        return member

    # --- checking a PIN ----------------------------------------------------------------------

    def verify(
        self,
        pin: str,
        *,
        card: str | None = None,
        staff_id: str | None = None,
        purpose: str = "login",
    ) -> tuple[StaffMember, PinCredential]:
        """Authenticate without opening a session (login and approval both use it).

        Counts wrong PINs toward the lock whatever the purpose, so an approval dialog cannot be
        used to guess a supervisor's PIN."""
        if card is not None:
            member = self._member_by_card(card, purpose=purpose)
        elif staff_id is not None:
            # A PIN-only store names the person by their tile, for a login or for an approval
            # alike; a store that issues cards asks for the card.
            if not self.config.pin_only_login:
                raise LoginFailed("scan your staff card first", code="login.card_required")
            found = self._dir.member(staff_id)
            if found is None:
                self._ledger.post(
                    "login.failed", {"reason": "unknown_staff", "purpose": purpose}, staff_id=None
                )
                raise LoginFailed("unknown staff account")
            member = found
        elif purpose == "login" and self.config.pin_only_login:
            member = self._member_by_pin(pin)
        else:
            raise LoginFailed("scan your staff card first", code="login.card_required")

        if not member.active:
            self._fail(member.staff_id, purpose, f"account_{member.status.value}")
            raise LoginFailed(f"this account is {member.status.value}", code="login.inactive")
        now = self._clock.now()
        state = self._dir.lock_state(member.staff_id)
        self._check_lock(state, now, member.staff_id, purpose)
        cred = self._dir.pin(member.staff_id)
        if cred is None or not cred.pin_hash:
            self._fail(member.staff_id, purpose, "no_pin")
            raise LoginFailed("no PIN issued yet: ask a manager", code="login.no_pin")
        if not self._hasher.verify(pin, cred.pin_hash):
            self._wrong_pin(member.staff_id, member.name, state, purpose, now)
        if state.failures or state.locks or state.locked_until:
            self._dir.set_lock_state(LockState(member.staff_id))
        return member, cred

    def _member_by_pin(self, pin: str) -> StaffMember:
        """PIN-only login: the one active clerk whose PIN this is. Wrong PINs count against
        the PIN pad itself (``PINPAD``), since no account was named."""
        now = self._clock.now()
        pad = self._dir.lock_state(PINPAD)
        self._check_lock(pad, now, PINPAD, "login")
        matches = []
        for m in self._dir.members():
            cred = self._dir.pin(m.staff_id) if m.active else None
            if cred is not None and cred.pin_hash and self._hasher.verify(pin, cred.pin_hash):
                matches.append(m)
        if not matches:
            self._wrong_pin(PINPAD, "PIN pad", pad, "login", now)
        if pad.failures or pad.locks or pad.locked_until:
            self._dir.set_lock_state(LockState(PINPAD))
        if len(matches) > 1:
            self._fail(None, "login", "ambiguous_pin")
            raise LoginFailed(
                "this PIN does not identify one person: scan your card", code="login.ambiguous"
            )
        return matches[0]

    def _check_lock(self, state: LockState, now: datetime, staff_id: str, purpose: str) -> None:
        if state.locked_until is None:
            return
        until = datetime.fromisoformat(state.locked_until)
        if now < until:
            left = int((until - now).total_seconds() + 0.999)
            self._fail(None if staff_id == PINPAD else staff_id, purpose, "locked")
            raise AccountLocked(
                f"locked: try again in {_duration(left)}", until=until, seconds=left
            )

    def _fail(self, staff_id: str | None, purpose: str, reason: str, **extra: Any) -> None:
        self._ledger.post(
            "login.failed", {"reason": reason, "purpose": purpose, **extra}, staff_id=staff_id
        )

    def _wrong_pin(
        self, staff_id: str, name: str, state: LockState, purpose: str, now: datetime
    ) -> NoReturn:
        cfg = self.config
        journal_id = None if staff_id == PINPAD else staff_id
        failures = state.failures + 1
        if failures < cfg.max_failures:
            self._dir.set_lock_state(replace(state, failures=failures, locked_until=None))
            remaining = cfg.max_failures - failures
            self._fail(journal_id, purpose, "wrong_pin", failures=failures)
            raise LoginFailed(
                f"wrong PIN: {remaining} more and the account locks", remaining=remaining
            )
        locks = state.locks + 1
        seconds = min(cfg.lock_base_seconds * cfg.lock_growth ** (locks - 1), cfg.lock_max_seconds)
        until = now + timedelta(seconds=seconds)
        self._dir.set_lock_state(
            LockState(staff_id, failures=0, locks=locks, locked_until=until.isoformat())
        )
        self._fail(journal_id, purpose, "wrong_pin", failures=failures)
        self._ledger.post(
            "login.locked",
            {
                "staff_id": staff_id,
                "seconds": seconds,
                "until": until.isoformat(),
                "locks": locks,
                "purpose": purpose,
            },
            staff_id=journal_id,
        )
        self._ledger.post(
            "alert.raised",
            {
                "alert": "account.locked",
                "severity": "warning",
                "staff_id": staff_id,
                "message": f"{name}: {cfg.max_failures} wrong PINs, locked for "
                f"{_duration(seconds)}",
                "seconds": seconds,
            },
            staff_id=journal_id,
        )
        raise AccountLocked(
            f"{cfg.max_failures} wrong PINs: locked for {_duration(seconds)}",
            until=until,
            seconds=seconds,
        )

    # --- sessions ----------------------------------------------------------------------------

    def login(self, pin: str, *, card: str | None = None, staff_id: str | None = None) -> Session:
        """Open a session; raises ``PinChangeRequired`` for an initial PIN. Whoever was logged
        in is logged out first (use ``switch`` to keep their open sale)."""
        member, cred = self.verify(pin, card=card, staff_id=staff_id)
        if cred.must_change:
            raise PinChangeRequired(member.staff_id)
        return self._open(member, "card" if card is not None else "pin")

    def change_pin(
        self,
        current_pin: str,
        new_pin: str,
        *,
        card: str | None = None,
        staff_id: str | None = None,
    ) -> Session:
        """Replace the clerk's PIN (required at first login) and log them in."""
        member, _ = self.verify(current_pin, card=card, staff_id=staff_id)
        check_pin_strength(new_pin, self._pin_policy)
        if new_pin == current_pin:
            raise InvalidInput("the new PIN must differ from the old one", code="pin.weak")
        previous = self._dir.pin(member.staff_id)
        self._dir.set_pin(PinCredential(member.staff_id, self._hasher.hash(new_pin), False))
        try:
            self._ledger.post(
                "staff.pin_changed",
                {"staff_id": member.staff_id, "by": member.staff_id},
                staff_id=member.staff_id,
            )
        except Exception:
            if previous is not None:
                self._dir.set_pin(previous)
            raise
        return self._open(member, "card" if card is not None else "pin")

    def _open(self, member: StaffMember, method: str) -> Session:
        if self.current is not None:
            self.logout("switch")
        session = Session(
            staff_id=member.staff_id,
            name=member.name,
            role=member.role,
            training=member.trainee,
            started_at=self._clock.now().isoformat(),
            last_activity=self._clock.monotonic(),
            parked_sale=self._parked.pop(member.staff_id, None),
        )
        self._ledger.post(
            "login.succeeded",
            {
                "method": method,
                "training": session.training,
                "resumed_sale": session.parked_sale is not None,
            },
            staff_id=member.staff_id,
        )
        self.current = session
        return session

    def logout(self, reason: str = "manual", *, open_sale: Any = None) -> None:
        """End the session; ``open_sale`` is parked for the clerk's next login."""
        session = self.current
        if session is None:
            return
        if open_sale is not None:
            self._parked[session.staff_id] = open_sale
        self.current = None
        self._ledger.post(
            "login.logout",
            {"reason": reason, "parked_sale": open_sale is not None},
            staff_id=session.staff_id,
        )

    def switch(
        self,
        pin: str,
        *,
        card: str | None = None,
        staff_id: str | None = None,
        open_sale: Any = None,
    ) -> Session:
        """Quick clerk switch: the new clerk authenticates first, then the current clerk's open
        sale is parked and the new clerk's own parked sale (if any) comes back with the session.
        A failed PIN leaves the current session as it was."""
        member, cred = self.verify(pin, card=card, staff_id=staff_id)
        if cred.must_change:
            raise PinChangeRequired(member.staff_id)
        if self.current is not None:
            self.logout("switch", open_sale=open_sale)
        return self._open(member, "card" if card is not None else "pin")

    def parked(self, staff_id: str) -> Any:
        """The sale parked for a clerk, without taking it."""
        return self._parked.get(staff_id)

    def touch(self) -> None:
        """The clerk did something: restart the idle timer."""
        if self.current is not None:
            self.current.last_activity = self._clock.monotonic()

    def idle_seconds(self) -> float:
        if self.current is None:
            return 0.0
        return self._clock.monotonic() - self.current.last_activity

    def check_idle(self, *, open_sale: Any = None) -> bool:
        """Log out after the configured idle time (call it from a timer); ``open_sale`` is
        parked. Returns True when it logged out."""
        limit = self.config.idle_logout_seconds
        if self.current is None or limit <= 0 or self.idle_seconds() < limit:
            return False
        self.logout("idle", open_sale=open_sale)
        return True


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{(seconds + 59) // 60} min"
    return f"{(seconds + 3599) // 3600} h"
