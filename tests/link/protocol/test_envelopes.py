"""Signed commands: sign, parse and verify round trip, and what a tampered command is refused
with."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from terminal.link import protocol as p

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def test_sign_parse_verify_round_trip() -> None:
    owner = p.Signer.generate()
    trusted = p.TrustedKeys([p.public_key_text(owner.public_key)])
    raw = p.sign_command(
        owner,
        type="alerts.set",
        body=p.AlertsSet([p.AlertRule("r1", "sale.total_over", 100_000)]),
        target=p.Target("S1", "T1"),
        seq=3,
        issued_at=T0,
        ttl=timedelta(hours=2),
    )
    cmd = p.parse_command(raw)
    cmd.verify(trusted)
    assert cmd.body.rules[0].threshold == 100_000
    assert (cmd.seq, cmd.target.scope, cmd.expires_at) == (
        3,
        "terminal:S1/T1",
        T0 + timedelta(hours=2),
    )
    # Key order and whitespace on the wire do not matter; values do.
    respelled = json.dumps(json.loads(raw), indent=2, sort_keys=False).encode()
    p.parse_command(respelled).verify(trusted)
    with pytest.raises(p.CommandRejected) as err:
        p.parse_command(raw).verify(p.TrustedKeys([p.Signer.generate().public_key]))
    assert err.value.code is p.RejectCode.UNKNOWN_SIGNER
    # The body is checked at signing time too.
    with pytest.raises(p.ValidationError):
        p.sign_command(
            owner, type="resend.from", body={"seq": 0}, target=p.Target("S1"), seq=1, issued_at=T0
        )
