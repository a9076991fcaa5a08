"""Random and mutated real commands straight into ``Intake.handle`` (1,000 in the default suite,
100,000 in the slow one, a fixed seed): half mangled bytes, a quarter mutated JSON under the
original signature, a quarter mutated and signed again with the owner's key so they reach the
handlers. Nothing raises, every message is answered, and a refused one changes nothing: the
catalog, staff, settings and journal are dumped before and after each."""

from __future__ import annotations

import base64
import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest

from terminal.core.clock import ManualClock
from terminal.link import protocol as p

from .terminal_side import CLERK_ROLE, TAXES, Owner, TerminalSide, item


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


def _sign_raw(owner: Owner, obj: dict[str, Any]) -> bytes:
    """Sign whatever ``obj`` is, unchecked: what an owner's key (or a bug in posctl) could
    sign, so the mutation reaches the handlers instead of stopping at the signature."""
    unsigned = {k: v for k, v in obj.items() if k != "sig"}
    try:
        data = p.dumps_canonical(unsigned)
    except (TypeError, ValueError, UnicodeEncodeError):
        data = json.dumps(unsigned).encode()
    sig = base64.b64encode(owner.signer.sign(data)).decode()
    return json.dumps({**unsigned, "sig": sig}).encode()


def _bases(owner: Owner) -> list[bytes]:
    return [
        owner.command("role.set", CLERK_ROLE),
        owner.command(
            "staff.add",
            {"staff_id": "13800000001", "name": "Li Na", "role": "clerk"},
            secrets={"pin": "482913"},
        ),
        owner.command("catalog.snapshot", p.CatalogSnapshot(1, 0, 1, [item(1), item(2)], TAXES)),
        owner.command("card.assign", p.CardAssign("13800000001"), secrets={"code": "STF-0001"}),
        owner.command("catalog.delta", p.CatalogDelta(2, prices=[p.PriceChange("SKU000001", 1)])),
        owner.command("pin.reset", p.PinReset("13800000001"), secrets={"pin": "771234"}),
        owner.command("settings.set", p.SettingsSet({"store_name": "X", "timezone": "UTC"})),
        owner.command(
            "staff.update", p.StaffUpdate("13800000001", {"name": "Li Lei", "role": "clerk"})
        ),
        owner.command(
            "report.request",
            p.ReportRequest("range", since="2026-01-01T00:00:00Z", until="2026-02-01T00:00:00Z"),
        ),
        owner.command("staff.suspend", p.StaffSuspend("13800000001")),
    ]


def _fuzz(tmp_path: Path, n: int) -> None:
    owner = Owner(p.Signer.generate(), ManualClock())
    term = TerminalSide(tmp_path, owner.signer, owner.clock, owner)
    bases = _bases(owner)
    # Every seed is applied first, so any unsigned mutation that still passes every check is an
    # exact re-send (same signed content, other JSON spelling) and must be answered "done"
    # without acting. Re-signed mutations may apply; refused ones must change nothing.
    for raw in bases:
        assert term.intake.handle(raw).status == "done", raw
    applied_ids = {json.loads(b)["id"] for b in bases}

    term.ledger.db.execute_sql("PRAGMA synchronous=OFF")
    rng = random.Random(20261204)
    errors = dones = resigned_dones = 0
    codes: set[str] = set()
    for i in range(n):
        seed = rng.choice(bases)
        kind = i % 4
        if kind in (0, 1):
            payload = _mutate_bytes(rng, seed)
        else:
            obj = _mutate_json(rng, json.loads(seed))
            if kind == 3 and isinstance(obj, dict):
                # A fresh id and the next sequence number, signed by the owner's key.
                obj["id"] = str(uuid.uuid4())
                owner.seq += 1
                obj["seq"] = owner.seq if rng.random() < 0.9 else obj.get("seq")
                payload = _sign_raw(owner, obj)
            else:
                try:
                    payload = json.dumps(obj).encode()
                except (ValueError, OverflowError):
                    payload = _mutate_bytes(rng, seed)
        last = term.ledger.last_entry()
        before = term.state(since=last.seq if last else 0)
        reply = term.intake.handle(payload, topic="fuzz")
        # Every message is answered, and the reply can be published.
        assert reply is not None and p.encode_reply(reply)
        if reply.status == "done":
            dones += 1
            if reply.id not in applied_ids:
                assert kind == 3, payload  # only a message signed just now may act
                resigned_dones += 1
                applied_ids.add(reply.id)
            continue
        assert reply.error is not None and reply.error.code and reply.error.message
        codes.add(reply.error.code)
        errors += 1
        after = term.state(since=last.seq if last else 0)
        assert after == before, (payload, reply)
    term.ledger.db.execute_sql("PRAGMA synchronous=FULL")

    assert term.intake.stats["crashes"] == 0
    assert errors + dones == n and errors > n * 0.5
    assert {"malformed", "bad_signature"} <= codes
    # The re-signed mutations reached the handlers: some were refused there, some applied.
    assert codes & {"invalid", "failed", "bad_seal", "clear_secret"}
    assert resigned_dones > 0


def test_fuzzed_commands_change_nothing_when_refused(tmp_path: Path) -> None:
    _fuzz(tmp_path, 1_000)


@pytest.mark.slow
@pytest.mark.timeout(7200)
def test_fuzzed_commands_long_run(tmp_path: Path) -> None:
    _fuzz(tmp_path, 100_000)


@pytest.mark.parametrize("size", [p.MAX_COMMAND_BYTES + 1])
def test_oversized_payload_is_refused_unread(tmp_path: Path, size: int) -> None:
    owner = Owner(p.Signer.generate(), ManualClock())
    term = TerminalSide(tmp_path, owner.signer, owner.clock, owner)
    reply = term.intake.handle(b"{" + b" " * (size - 2) + b"}")
    assert reply.status == "error" and reply.error.code == "too_large"
