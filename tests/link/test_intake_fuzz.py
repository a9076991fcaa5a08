"""10,000 random and mutated payloads straight into ``Intake.handle``: nothing raises, nothing
changes, and everything that is not an exact re-send of an applied message gets an error
reply."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from terminal.core.clock import ManualClock
from terminal.link import protocol as p

from .terminal_side import CLERK_ROLE, TAXES, Owner, TerminalSide, item

N = 10_000


def _mutate_bytes(rng: random.Random, raw: bytes) -> bytes:
    b = bytearray(raw)
    op = rng.randrange(6)
    if op == 0 and b:
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif op == 1 and b:
        del b[rng.randrange(len(b)) :]
    elif op == 2 and b:
        i = rng.randrange(len(b))
        del b[i : i + rng.randint(1, 20)]
    elif op == 3:
        i = rng.randrange(len(b) + 1)
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    elif op == 4 and b:
        i = rng.randrange(len(b))
        b[i:i] = rng.choice([b"{", b"}", b"[", b"]", b",", b'"', b":", b"\\", b"\x00", b"1e999"])
    else:
        b = bytearray(rng.randbytes(rng.randint(0, 300)))
    return bytes(b)


_ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**63,
    -(2**70),
    "",
    "x" * 1000,
    "😀\u0000",
    [],
    {},
    [None],
    {"": None},
    "2026-13-45T99:99:99Z",
    "SKU000001",
]


def _mutate_json(rng: random.Random, obj: Any, depth: int = 0) -> Any:
    """Change one thing somewhere in a parsed command."""
    if isinstance(obj, dict) and obj and (depth == 0 or rng.random() < 0.7):
        obj = dict(obj)
        key = rng.choice(list(obj))
        op = rng.randrange(4)
        if op == 0:
            del obj[key]
        elif op == 1:
            obj[key] = rng.choice(_ODD_VALUES)
        elif op == 2:
            obj[rng.choice(["extra", "sig2", key + "_", "V"])] = rng.choice(_ODD_VALUES)
        else:
            obj[key] = _mutate_json(rng, obj[key], depth + 1)
        return obj
    if isinstance(obj, list) and obj:
        obj = list(obj)
        i = rng.randrange(len(obj))
        if rng.random() < 0.3:
            del obj[i]
        else:
            obj[i] = _mutate_json(rng, obj[i], depth + 1)
        return obj
    if isinstance(obj, bool):
        return not obj
    if isinstance(obj, int):
        return rng.choice([obj + 1, obj - 1, -obj, str(obj), float(obj) + 0.5, 0])
    if isinstance(obj, str):
        return rng.choice([obj[:-1], obj + "x", obj.upper(), "", 5, None])
    return rng.choice(_ODD_VALUES)


def test_fuzzed_payloads_change_nothing(tmp_path: Path) -> None:
    owner = Owner(p.Signer.generate(), ManualClock())
    term = TerminalSide(tmp_path, owner.signer, owner.clock)
    bases = [
        owner.command("role.set", CLERK_ROLE),
        owner.command(
            "staff.add",
            {"staff_id": "13800000001", "name": "Li Na", "role": "clerk", "pin": "482913"},
        ),
        owner.command("catalog.snapshot", p.CatalogSnapshot(1, 0, 1, [item(1), item(2)], TAXES)),
        owner.command("card.assign", p.CardAssign("13800000001", "STF-0001")),
        owner.command("catalog.delta", p.CatalogDelta(2, prices=[p.PriceChange("SKU000001", 1)])),
        owner.command("pin.reset", p.PinReset("13800000001", pin="771234")),
        owner.command("settings.set", p.SettingsSet({"store_name": "X"})),
        owner.command("staff.suspend", p.StaffSuspend("13800000001")),
    ]
    # Every seed is applied first, so any mutation that still passes every check is an exact
    # re-send (same signed content, other JSON spelling) and must be answered "done" without
    # acting; anything else must be refused.
    for raw in bases:
        assert term.intake.handle(raw).status == "done"
    applied_ids = {json.loads(b)["id"] for b in bases}
    seeds = bases

    term.ledger.db.execute_sql("PRAGMA synchronous=OFF")  # 10,000 journal writes
    before = term.state()
    rejected_before = len(term.rejections())
    rng = random.Random(20261128)
    errors = dones = 0
    codes: set[str] = set()
    for n in range(N):
        seed = rng.choice(seeds)
        if n % 2:
            payload = _mutate_bytes(rng, seed)
        else:
            try:
                payload = json.dumps(_mutate_json(rng, json.loads(seed))).encode()
            except (ValueError, OverflowError):
                payload = _mutate_bytes(rng, seed)
        reply = term.intake.handle(payload, topic="fuzz")
        if reply.status == "done":
            # Only an exact re-send of an applied command may pass: the same signed content
            # (a mutation that only changed JSON spelling, e.g. key order).
            assert reply.id in applied_ids, payload
            dones += 1
        else:
            assert reply.error is not None and reply.error.code and reply.error.message
            codes.add(reply.error.code)
            errors += 1
    term.ledger.db.execute_sql("PRAGMA synchronous=FULL")

    assert term.state() == before
    assert len(term.rejections()) - rejected_before == errors
    assert errors + dones == N and errors > N * 0.95
    assert {"malformed", "bad_signature"} <= codes


@pytest.mark.parametrize("size", [p.MAX_COMMAND_BYTES + 1])
def test_oversized_payload_is_refused_unread(tmp_path: Path, size: int) -> None:
    owner = Owner(p.Signer.generate(), ManualClock())
    term = TerminalSide(tmp_path, owner.signer, owner.clock)
    reply = term.intake.handle(b"{" + b" " * (size - 2) + b"}")
    assert reply.status == "error" and reply.error.code == "too_large"
