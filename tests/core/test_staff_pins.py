"""PIN strength rules, scrypt hashing and card lookup ids."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from terminal.core.errors import InvalidInput
from terminal.core.pins import (
    CardKey,
    PinPolicy,
    ScryptParams,
    SecretHasher,
    WeakPin,
    check_pin_strength,
    generate_pin,
)


@pytest.mark.parametrize(
    "pin",
    [
        "1234",
        "4321",
        "0123",
        "7890",
        "9876",
        "123456",
        "0000",
        "1111",
        "99999",
        "1212",
        "121212",
        "123123",
        "2580",
        "0852",
        "123",
        "12a4",
        "",
        "１２３４",
        "123456789",
    ],
)
def test_weak_pins_are_refused(pin: str) -> None:
    with pytest.raises(WeakPin):
        check_pin_strength(pin)


@pytest.mark.parametrize("pin", ["2847", "583920", "1357", "9051", "40918273"])
def test_reasonable_pins_pass(pin: str) -> None:
    check_pin_strength(pin)


def test_policy_length_is_configurable() -> None:
    with pytest.raises(WeakPin, match="at least 6"):
        check_pin_strength("2847", PinPolicy(min_length=6))


def test_generated_pins_are_strong_and_differ() -> None:
    pins = {generate_pin() for _ in range(20)}
    assert len(pins) > 15
    for pin in pins:
        check_pin_strength(pin)
        assert len(pin) == 6


def test_hash_is_salted_and_verifies() -> None:
    h = SecretHasher(ScryptParams(n=2**8))
    a, b = h.hash("583920"), h.hash("583920")
    assert a != b
    assert "583920" not in a
    assert a.startswith("scrypt$256$8$1$")
    assert h.verify("583920", a) and h.verify("583920", b)
    assert not h.verify("583921", a)
    assert not h.verify("583920", "garbage")
    assert not h.verify("583920", "")
    # Hashes made with other parameters stay verifiable.
    assert SecretHasher().verify("583920", a)


def test_card_lookup_id_needs_the_key_and_normalises() -> None:
    k1, k2 = CardKey(b"a" * 32), CardKey(b"b" * 32)
    assert k1.lookup_id("04a1b2c3d4") == k1.lookup_id(" 04A1B2C3D4\n")
    assert k1.lookup_id("04A1B2C3D4") != k2.lookup_id("04A1B2C3D4")
    assert "04A1B2C3D4" not in k1.lookup_id("04A1B2C3D4")
    with pytest.raises(InvalidInput):
        k1.lookup_id("   ")
    with pytest.raises(ValueError):
        CardKey(b"short")


def test_card_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "card.key"
    first = CardKey.load_or_create(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = CardKey.load_or_create(path)
    assert first.lookup_id("BADGE-001") == again.lookup_id("BADGE-001")
