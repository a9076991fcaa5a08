"""PIN and staff-card secrets: strength rules, salted slow hashes, and card lookup ids.

Nothing here ever returns or stores the secret itself. A PIN is kept as an scrypt hash with its
own random salt. A card code is kept twice, neither time in the clear: as a lookup id (HMAC-SHA256
under a per-terminal card key that lives outside the database) so a scan finds its card with one
indexed read, and as an scrypt hash that must also verify. Someone holding only the database
file can test card guesses neither quickly (scrypt) nor at all (no card key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from terminal.core.errors import InvalidInput


class WeakPin(InvalidInput):
    code = "pin.weak"


@dataclass(frozen=True, slots=True)
class ScryptParams:
    n: int = 2**14
    """CPU/memory cost: 2**14 with r=8 needs 16 MiB and tens of milliseconds on a Pi 4."""
    r: int = 8
    p: int = 1


@dataclass(frozen=True, slots=True)
class PinPolicy:
    min_length: int = 4
    max_length: int = 8


# Keypad columns and rows people pick because they are easy to type.
_KEYPAD_RUNS = ("2580", "0852", "1470", "0741", "3690", "0963", "1590", "3570")


def check_pin_strength(pin: str, policy: PinPolicy | None = None) -> None:
    """Raise :class:`WeakPin` with the reason a clerk can act on."""
    policy = policy or PinPolicy()
    if not pin.isdigit() or not pin.isascii():
        raise WeakPin("a PIN is digits only")
    if len(pin) < policy.min_length:
        raise WeakPin(f"a PIN needs at least {policy.min_length} digits")
    if len(pin) > policy.max_length:
        raise WeakPin(f"a PIN has at most {policy.max_length} digits")
    if len(set(pin)) == 1:
        raise WeakPin("a PIN may not repeat one digit (like 0000)")
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if steps in ({1}, {9}):
        raise WeakPin("a PIN may not be a run of digits (like 1234 or 4321)")
    for period in (2, 3):
        if len(pin) >= 2 * period and all(pin[i] == pin[i % period] for i in range(len(pin))):
            raise WeakPin("a PIN may not repeat a short pattern (like 1212)")
    if pin in _KEYPAD_RUNS:
        raise WeakPin("a PIN may not be a straight line on the keypad (like 2580)")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class SecretHasher:
    """scrypt with a fresh 16-byte salt per hash; the encoded hash names its own parameters, so
    raising them later keeps old hashes verifiable."""

    def __init__(self, params: ScryptParams | None = None) -> None:
        self.params = params or ScryptParams()

    def hash(self, secret: str) -> str:
        salt = os.urandom(16)
        digest = self._derive(secret, salt, self.params)
        p = self.params
        return f"scrypt${p.n}${p.r}${p.p}${_b64(salt)}${_b64(digest)}"

    def verify(self, secret: str, encoded: str) -> bool:
        try:
            scheme, n, r, p, salt, digest = encoded.split("$")
            if scheme != "scrypt":
                return False
            params = ScryptParams(int(n), int(r), int(p))
            expected = base64.b64decode(digest)
            actual = self._derive(secret, base64.b64decode(salt), params)
        except ValueError:
            return False
        return hmac.compare_digest(expected, actual)

    @staticmethod
    def _derive(secret: str, salt: bytes, params: ScryptParams) -> bytes:
        return hashlib.scrypt(
            secret.encode("utf-8"),
            salt=salt,
            n=params.n,
            r=params.r,
            p=params.p,
            maxmem=256 * params.n * params.r + 2**20,
            dklen=32,
        )


def normalize_card_code(code: str) -> str:
    """Readers differ in case and trailing whitespace for the same badge or RFID UID."""
    cleaned = code.strip().upper()
    if not cleaned:
        raise InvalidInput("empty card code")
    if len(cleaned) < 6:
        raise InvalidInput("a staff card code has at least 6 characters")
    return cleaned


class CardKey:
    """The per-terminal key for card lookup ids."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a card key needs at least 16 bytes")
        self._key = key

    def lookup_id(self, code: str) -> str:
        return hmac.new(self._key, normalize_card_code(code).encode("utf-8"), "sha256").hexdigest()

    @classmethod
    def load_or_create(cls, path: Path) -> CardKey:
        """Read the key file, or create it (mode 0600) on first start.

        The key lives beside the database, not in it: a copied database file alone gives no way
        to test card guesses."""
        path = Path(path)
        if path.exists():
            raw = path.read_bytes()
            return cls(bytes.fromhex(raw.decode("ascii").strip()))
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key.hex() + "\n")
        return cls(key)


def card_tag(lookup_id: str) -> str:
    """A short, non-secret handle for a card in journal entries and lists (the lookup id's first
    eight hex digits): enough to tell a clerk's cards apart, useless for finding the code."""
    return lookup_id[:8]


def generate_pin(length: int = 6, policy: PinPolicy | None = None) -> str:
    """A random initial PIN that passes the strength rules."""
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(length))
        try:
            check_pin_strength(pin, policy)
        except WeakPin:
            continue
        return pin
