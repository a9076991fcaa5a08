"""One poison event must not stall collection: a terminal publishing, on its own events topic,
what the central database cannot hold (a lone surrogate, a seq of 2^63, an amount of 10^30)
gets those events kept aside as rejected with their reasons and an alert, and acknowledged; the
other terminals' events of the same batch are stored, and the next events flow. SQLite and
PostgreSQL, through mosquitto running posctl's configuration."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from link.test_broker_generated import STORE, wait_until

from provisioning.collector.db import CentralDB
from provisioning.collector.events import Event
from provisioning.collector.rejects import RAW_KEEP, REJECTED_ALERT
from terminal.link import protocol as wire

from . import test_collector as base
from .test_collector import Collectors, Terminal, entry

# The collector tests' fixtures: a store's broker, SQLite and PostgreSQL databases.
env = base.env
db_url = base.db_url
collectors = base.collectors

pytestmark = pytest.mark.link


def raw_event(terminal: str, seq: int, kind: str, payload: dict[str, Any]) -> bytes:
    """An event message built by hand, ASCII-escaped: the terminal's own encoder could not
    produce a lone surrogate, a hostile one can."""
    body = {
        "seq": seq,
        "uuid": f"u{seq}",
        "ts": "2026-01-05T02:00:00+00:00",
        "terminal_id": terminal,
        "kind": kind,
        "staff_id": "c1",
        "payload": payload,
        "number": None,
        "series": None,
        "training": False,
        "prev_hash": "0" * 64,
        "hash": "1" * 64,
    }
    msg = {"v": 1, "terminal": terminal, "seq": seq, "kind": kind, "entry": body}
    return json.dumps(msg, ensure_ascii=True).encode()


POISON = [
    raw_event("t1", 1, "test.event", {"note": "\ud800"}),
    raw_event("t1", 2**63, "test.event", {"n": 1}),
    raw_event(
        "t1",
        2,
        "sale.completed",
        {"sale_id": "s1", "lines": [], "tenders": [], "total": 10**30},
    ),
]


def test_poison_events_are_kept_aside_and_the_batch_is_stored(
    env: Any, collectors: Collectors, capsys: pytest.CaptureFixture[str]
) -> None:
    from provisioning.posctl import main as posctl

    # A long batch window: the six messages land in one batch, as they did in the attack.
    c = collectors.start(batch_wait=0.5)
    t1, t2 = Terminal(env, "t1"), Terminal(env, "t2")
    for poison, good in zip(POISON, (1, 2, 3), strict=True):
        assert not t1.peer.publish(wire.events_topic(STORE, "t1"), poison).is_failure
        t2.send(good)
    t2.wait_ack(lambda a: a.upto == 3)
    assert [e.seq for e in c.db.events(STORE, "t2")] == [1, 2, 3]
    assert c.db.event_count("t1") == 0
    assert c.stats.store_failures == 0, c.stats.last_error  # no batch failed, no reconnect

    rejected = c.db.rejected()
    assert len(rejected) == 3
    reasons = {r["reason"]: r["seq"] for r in rejected}
    # The wire check refuses a lone surrogate anywhere in a message before its seq is read, so
    # that one, like the seq of 2^63, is kept without a seq.
    (surrogate,) = [r for r in reasons if "lone surrogate" in r]
    (too_big,) = [r for r in reasons if "64 bits" in r and "payload.total" in r]
    (seq_range,) = [r for r in reasons if "out of range" in r]
    assert (reasons[surrogate], reasons[too_big], reasons[seq_range]) == (None, 2, None)
    alerts = [a for a in c.db.recent_alerts(100) if a["kind"] == REJECTED_ALERT]
    # The two without a seq share one alert; each is still its own rejected row.
    assert sorted(a["seq"] for a in alerts) == [0, 2]
    assert all(a["terminal_id"] == "t1" and a["detail"]["reason"] for a in alerts)
    # The owner sees them where alerts are shown.
    capsys.readouterr()
    assert posctl(["watch", "--db", collectors.url, "--once", "--limit", "20"]) == 0
    shown = capsys.readouterr().out.split("Alerts")[1]
    assert shown.count("collector.event_rejected") == 2 and "unreadable message" in shown

    # t1 is told seq 2 is done, so its relay drops it from its outbox. The surrogate message
    # names no seq the collector can trust, so seq 1 is still asked for: a real relay resends
    # its own entry, which is valid (its ledger cannot hold a lone surrogate).
    t1.wait_ack(lambda a: 2 in a.seqs)
    t1.wait_ack(lambda a: a.resend_from == 1)
    # A resend of the same poison is kept once.
    assert not t1.peer.publish(wire.events_topic(STORE, "t1"), POISON[0]).is_failure
    t1.send(1, 3)
    t1.wait_ack(lambda a: a.upto == 3)
    t2.send(4)
    t2.wait_ack(lambda a: a.upto == 4)
    assert [e.seq for e in c.db.events(STORE, "t1")] == [1, 3]
    assert len(c.db.rejected()) == 3
    assert c.stats.store_failures == 0


def _sale(seq: int, **payload: Any) -> Event:
    e = entry("t1", seq, "sale.completed", {"sale_id": f"s{seq}", "lines": [], **payload})
    return Event.from_mapping(STORE, "t1", e)


def test_an_event_the_database_refuses_is_found_and_kept_aside(db_url: str) -> None:
    """Something the screen does not foresee (here a quantity that is not a number, which only
    the projection trips over) is found by storing the batch in halves."""
    db = CentralDB(db_url).create()
    try:
        bad = _sale(3, lines=[{"line_no": 1, "qty_milli": "lots"}])
        good = [_sale(s, total=100 * s) for s in (1, 2, 4, 5, 6)]
        result = db.store([*good[:2], bad, *good[2:]])
        assert result.inserted == 5
        assert [r.seq for r in result.rejected] == [3]
        assert result.contiguous[(STORE, "t1")] == 6  # the rejected seq does not leave a hole
        assert [e.seq for e in db.events(STORE, "t1")] == [1, 2, 4, 5, 6]
        (row,) = db.rejected()
        assert row["seq"] == 3 and "ValueError" in row["reason"]
        assert [s["seq"] for s in db.recent_sales(10)] == [6, 5, 4, 2, 1]
        # The same events again: duplicates, and the rejection is not recorded twice.
        again = db.store([*good, bad])
        assert (again.inserted, again.duplicates, len(db.rejected())) == (0, 5, 1)

        # A large bad event is kept in part: junk cannot fill the central database.
        payload = {"sale_id": "s7", "lines": [], "note": "x" * 100_000 + "\ud800"}
        big = dataclasses.replace(_sale(7), payload=payload, payload_json="")
        assert [r.seq for r in db.store([big]).rejected] == [7]
        raws = [r.raw for r in db.m.Rejected.select().where(db.m.Rejected.seq == 7)]
        assert [len(r) for r in raws] == [RAW_KEEP]
    finally:
        db.close()


def test_a_real_relay_moves_past_its_poison_event(env: Any, db_url: str, tmp_path: Path) -> None:
    """A till whose journal holds an event the central database cannot hold (a clerk id longer
    than its column): its relay is told the event is done, drains its outbox, and what it sells next
    arrives."""
    from link.live_terminal import LiveTerminal

    cs = Collectors(env, db_url)
    c = cs.start(gap_grace=0.2)
    till = LiveTerminal(env, "t1", tmp_path / "t1")
    try:
        till.ledger.post("test.sale", {"n": 1, "total": 100}, staff_id="c1")
        # The till's file holds a clerk id of any length; the collector's column holds 64.
        till.ledger.post("test.sale", {"n": 2, "total": 200}, staff_id="c" * 80)
        till.ledger.post("test.sale", {"n": 3, "total": 300}, staff_id="c1")
        till.relay.wake()
        assert wait_until(lambda: till.ledger.outbox().depth() == 0, timeout=30)
        till.ledger.post("test.sale", {"n": 4, "total": 400}, staff_id="c1")
        till.relay.wake()
        assert wait_until(lambda: till.ledger.outbox().depth() == 0, timeout=30)
        assert wait_until(lambda: c.db.event_count("t1") >= 3)
        stored = [e.payload.get("n") for e in c.db.events(STORE, "t1") if e.kind == "test.sale"]
        assert stored == [1, 3, 4]
        (rejected,) = c.db.rejected()
        assert "staff_id: longer than 64" in rejected["reason"]
        assert c.stats.store_failures == 0
        state = c.db.state(STORE, "t1")
        assert state is not None and state["contiguous"] == state["max_seq"]
    finally:
        till.close()
        cs.stop_all()
