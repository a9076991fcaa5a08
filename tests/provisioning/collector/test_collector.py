"""The collector, on SQLite and on PostgreSQL (same tests, parameterised): events arrive from
terminals through mosquitto running posctl's configuration and ACL, are stored once each,
acknowledged with the highest contiguous sequence, holes are asked for again, and two collectors
on one shared subscription split the stream without storing anything twice."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from link.test_broker_generated import STORE, Peer, StoreEnv, make_store, wait_until

from provisioning.collector.chain import event_hash
from provisioning.collector.db import CentralDB
from provisioning.collector.events import Event
from provisioning.collector.service import BrokerConfig, Collector
from provisioning.home import collector_cn
from terminal.link import protocol as wire

pytestmark = pytest.mark.link


def _pg_admin(url: str) -> Any:
    try:
        import psycopg2
    except ImportError:
        pytest.skip("psycopg2 is not installed: pip install 'pos-terminal[postgres]'")
    try:
        conn = psycopg2.connect(url, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server answers at {url} (POS_TEST_PG_URL): {exc}")
    conn.autocommit = True
    return conn


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh central database: a SQLite file, or a temporary PostgreSQL database dropped
    afterwards."""
    if request.param == "sqlite":
        yield str(tmp_path / "central.sqlite3")
        return
    pg_url = request.getfixturevalue("pg_url")
    admin = _pg_admin(pg_url)
    name = f"pos_collector_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    base = pg_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[StoreEnv]:
    e = make_store(tmp_path, terminals=("t1", "t2"))
    try:
        yield e
    finally:
        e.close()


class Collectors:
    def __init__(self, env: StoreEnv, url: str) -> None:
        self.env = env
        self.url = url
        self.running: list[Collector] = []

    def start(self, n: int = 1, **kw: Any) -> Collector:
        crt, key = self.env.cert(collector_cn(n))
        cfg = BrokerConfig(
            self.env.broker.host, self.env.broker.port, self.env.home.ca_cert, crt, key
        )
        c = Collector(CentralDB(self.url), cfg, **kw).start()
        self.running.append(c)
        return c

    def stop_all(self) -> None:
        for c in self.running:
            c.stop()
        self.running.clear()


@pytest.fixture
def collectors(env: StoreEnv, db_url: str) -> Iterator[Collectors]:
    cs = Collectors(env, db_url)
    try:
        yield cs
    finally:
        cs.stop_all()


GENESIS = "0" * 64


def entry(
    terminal: str,
    seq: int,
    kind: str = "test.event",
    payload: Any = None,
    prev_hash: str | None = None,
) -> dict:
    """A journal entry hashed as the ledger hashes it. Without ``prev_hash`` it chains onto the
    default entry at ``seq - 1``, so default entries form a valid chain in any arrival order."""
    if prev_hash is None:
        prev_hash = GENESIS if seq == 1 else _default_hash(terminal, seq - 1)
    e = {
        "seq": seq,
        "uuid": str(uuid.UUID(int=seq)),
        "ts": f"2026-01-05T02:{seq // 60 % 60:02d}:{seq % 60:02d}+00:00",
        "terminal_id": terminal,
        "kind": kind,
        "staff_id": "c1",
        "payload": payload if payload is not None else {"n": seq},
        "number": None,
        "series": None,
        "training": False,
        "prev_hash": prev_hash,
        "hash": "",
    }
    ev = Event.from_mapping(STORE, terminal, e)
    e["hash"] = event_hash(ev)
    return e


_HASHES: dict[tuple[str, int], str] = {}


def _default_hash(terminal: str, seq: int) -> str:
    start = seq
    while start > 1 and (terminal, start - 1) not in _HASHES:
        start -= 1
    for n in range(start, seq + 1):
        if (terminal, n) not in _HASHES:
            prev = GENESIS if n == 1 else _HASHES[(terminal, n - 1)]
            _HASHES[(terminal, n)] = entry(terminal, n, prev_hash=prev)["hash"]
    return _HASHES[(terminal, seq)]


def integrity_alerts(db: CentralDB) -> list[dict]:
    return [
        a
        for a in db.recent_alerts(1000)
        if a["kind"] in ("collector.hash_mismatch", "collector.chain_broken")
    ]


def event_bytes(terminal: str, seq: int, kind: str = "test.event", payload: Any = None) -> bytes:
    body = wire.canonical_json(entry(terminal, seq, kind, payload))
    return wire.encode_event(terminal, seq, kind, body)


class Terminal:
    """A terminal's side of the wire: publishes events, collects the acks it is sent."""

    def __init__(self, env: StoreEnv, terminal: str) -> None:
        self.id = terminal
        self.peer: Peer = env.client(terminal)
        self.peer.subscribe(wire.ack_topic(STORE, terminal))

    def send(self, *seqs: int, kind: str = "test.event", payload: Any = None) -> None:
        for s in seqs:
            rc = self.peer.publish(
                wire.events_topic(STORE, self.id), event_bytes(self.id, s, kind, payload)
            )
            assert not rc.is_failure, str(rc)

    def acks(self) -> list[wire.Ack]:
        with self.peer._cv:
            msgs = list(self.peer.messages)
        return [wire.decode_ack(m.payload) for m in msgs]

    def wait_ack(self, cond: Any, timeout: float = 15.0) -> wire.Ack:
        found: list[wire.Ack] = []

        def check() -> bool:
            found[:] = [a for a in self.acks() if cond(a)]
            return bool(found)

        assert wait_until(check, timeout), f"no such ack; got {self.acks()}"
        return found[0]


# --- the database layer alone ----------------------------------------------------------------


def test_store_is_idempotent_and_tracks_contiguous(db_url: str) -> None:
    db = CentralDB(db_url).create()
    try:
        evs = [Event.from_mapping(STORE, "t1", entry("t1", s)) for s in (1, 2, 3, 5)]
        r = db.store(evs)
        assert (r.inserted, r.duplicates) == (4, 0)
        assert r.contiguous[(STORE, "t1")] == 3 and r.max_seq[(STORE, "t1")] == 5
        r = db.store([*evs[:2], Event.from_mapping(STORE, "t1", entry("t1", 4))])
        assert (r.inserted, r.duplicates) == (1, 2)
        assert r.contiguous[(STORE, "t1")] == 5
        assert [e.seq for e in db.events(STORE, "t1")] == [1, 2, 3, 4, 5]
        # Same seq from another terminal or another store is another event.
        r = db.store(
            [
                Event.from_mapping("other", "t1", entry("t1", 1)),
                Event.from_mapping(STORE, "t2", entry("t2", 1)),
            ]
        )
        assert r.inserted == 2
        assert db.gaps() == {}
    finally:
        db.close()


def test_concurrent_writers_store_each_event_once(db_url: str) -> None:
    """Two writers (as two collector processes would) racing over overlapping events."""
    CentralDB(db_url).create().close()
    seqs = list(range(1, 301))
    results: list[Any] = []
    errors: list[BaseException] = []

    def writer(order: list[int]) -> None:
        db = CentralDB(db_url)
        try:
            for i in range(0, len(order), 25):
                batch = [Event.from_mapping(STORE, "t1", entry("t1", s)) for s in order[i : i + 25]]
                results.append(db.store(batch))
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(o,)) for o in (seqs, seqs[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert sum(r.inserted for r in results) == 300
    assert sum(r.duplicates for r in results) == 300
    db = CentralDB(db_url)
    try:
        assert db.event_count() == 300
        (state,) = db.states()
        assert (state["contiguous"], state["max_seq"]) == (300, 300)
    finally:
        db.close()


def test_sales_feed_the_report_tables(db_url: str) -> None:
    db = CentralDB(db_url, tz="Asia/Shanghai").create()
    try:

        def sale(
            seq: int,
            staff: str,
            total: int,
            kind: str = "sale",
            training: bool = False,
            when: str = "2026-01-05T15:30:00+00:00",
        ) -> Event:
            p = {
                "sale_id": f"s{seq}",
                "terminal_id": "t1",
                "shift_id": "sh1",
                "staff_id": staff,
                "currency": "CNY",
                "started_at": when,
                "completed_at": when,
                "lines": [
                    {
                        "line_no": 1,
                        "sku": "A1",
                        "name": "Tea",
                        "name_zh": "茶",
                        "qty_milli": 2000,
                        "unit": "each",
                        "unit_price": total // 2,
                        "gross": total,
                        "discount": 0,
                        "net": total,
                        "tax_class": "standard",
                        "tax_rate_bp": 1300,
                        "tax_inclusive": True,
                        "tax": total // 10,
                    }
                ],
                "tenders": [
                    {
                        "kind": "cash" if seq % 2 else "qr",
                        "amount": total,
                        "tendered": total,
                        "change": 0,
                        "reference": "",
                        "provider": "",
                    }
                ],
                "subtotal": total,
                "discount_total": 0,
                "tax_total": total // 10,
                "total": total,
                "rounding": 0,
                "training": training,
                "receipt_no": seq,
                "kind": kind,
                "original_sale_id": None,
                "approver_id": None,
                "reason": "",
            }
            k = "refund.completed" if kind == "refund" else "sale.completed"
            return chained(seq, k, p)

        chain = [GENESIS]

        def chained(seq: int, kind: str, payload: dict) -> Event:
            e = entry("t1", seq, kind, payload, prev_hash=chain[-1])
            chain.append(e["hash"])
            return Event.from_mapping(STORE, "t1", e)

        db.store(
            [
                sale(1, "c1", 1000),
                sale(2, "c1", 2000),
                sale(3, "c2", 500),
                sale(4, "c2", 500, kind="refund"),
                sale(5, "c2", 9999, training=True),
                sale(6, "c1", 300, when="2026-01-05T16:30:00+00:00"),  # 00:30 next day in Shanghai
                chained(7, "drawer.left_open", {"seconds": 90}),
            ]
        )
        by_clerk = {r["staff_id"]: r for r in db.report(by="clerk")}
        assert by_clerk["c1"]["net_sales"] == 3300 and by_clerk["c1"]["sales_count"] == 3
        assert by_clerk["c2"]["net_sales"] == 500 and by_clerk["c2"]["refunds_total"] == 500
        # 500 taken in cash (seq 3), 500 paid back by QR (seq 4)
        assert by_clerk["c2"]["by_tender"] == {"cash": 500, "qr": -500}
        by_day = {r["day"]: r["net_sales"] for r in db.report(by="day")}
        assert by_day == {"2026-01-05": 3500, "2026-01-06": 300}
        (store_total,) = db.report(by="store", day="2026-01-05")
        assert store_total["store_id"] == STORE and store_total["sales_count"] == 3
        assert [a["kind"] for a in db.recent_alerts()] == ["drawer.left_open"]  # chain intact
    finally:
        db.close()


def test_tampered_or_unchained_entries_raise_alerts_but_are_stored(db_url: str) -> None:
    db = CentralDB(db_url).create()
    try:
        good = [Event.from_mapping(STORE, "t1", entry("t1", s)) for s in (1, 2, 3, 5)]
        db.store(good)
        assert integrity_alerts(db) == []
        # seq 4 arrives last with its payload changed after hashing: caught by its own hash.
        forged = entry("t1", 4)
        forged["payload"] = {"n": 4, "total": 1}
        db.store([Event.from_mapping(STORE, "t1", forged)])
        (alert,) = integrity_alerts(db)
        assert (alert["kind"], alert["seq"]) == ("collector.hash_mismatch", 4)
        # seq 6 hashed correctly but chained onto something that is not the stored seq 5.
        db.store([Event.from_mapping(STORE, "t1", entry("t1", 6, prev_hash="f" * 64))])
        kinds = sorted((a["kind"], a["seq"]) for a in integrity_alerts(db))
        assert kinds == [("collector.chain_broken", 6), ("collector.hash_mismatch", 4)]
        assert db.event_count() == 6
    finally:
        db.close()


# --- the collector on the broker ----------------------------------------------------------


def test_events_are_stored_once_and_acknowledged(env: StoreEnv, collectors: Collectors) -> None:
    c = collectors.start()
    t1 = Terminal(env, "t1")
    t1.send(1, 2, 3)
    t1.wait_ack(lambda a: a.upto == 3)
    t1.send(2, 3)  # a relay re-sending after a lost ack
    assert wait_until(lambda: c.stats.duplicates == 2)
    t1.wait_ack(lambda a: a.upto == 3 and not a.seqs)
    assert c.db.event_count() == 3
    assert [e.payload for e in c.db.events(STORE, "t1")] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert all(a.terminal == "t1" for a in t1.acks())


def test_gap_is_acknowledged_around_and_asked_for_again(
    env: StoreEnv, collectors: Collectors
) -> None:
    c = collectors.start(gap_grace=0.3, tick=0.1)
    t1 = Terminal(env, "t1")
    t1.send(1, 2, 4, 5)
    ack = t1.wait_ack(lambda a: 5 in a.seqs)
    assert ack.upto == 2 and ack.seqs == [4, 5]
    resend = t1.wait_ack(lambda a: a.resend_from is not None)
    assert (resend.upto, resend.resend_from) == (2, 3)
    assert c.stats.resend_requests >= 1
    t1.send(3)
    t1.wait_ack(lambda a: a.upto == 5)
    assert c.db.gaps() == {}


def test_an_unfillable_hole_is_skipped_once_the_terminal_has_drained(
    env: StoreEnv, collectors: Collectors
) -> None:
    c = collectors.start(gap_grace=0.2, gap_skip_after=0.5, tick=0.1)
    t1 = Terminal(env, "t1")
    t1.send(1, 2, 4)  # 3 was a training entry: never sent
    t1.wait_ack(lambda a: a.resend_from == 3)
    status = wire.Status(
        terminal="t1",
        store=STORE,
        state="online",
        version="t",
        ts="2026-01-05T02:00:00Z",
        last_seq=4,
        outbox_depth=0,
    )
    t1.peer.publish(wire.status_topic(STORE, "t1"), wire.encode_status(status), retain=True)
    t1.wait_ack(lambda a: a.upto == 4 and a.resend_from is None)
    assert c.stats.gaps_skipped == 1
    (alert,) = c.db.recent_alerts()
    assert alert["kind"] == "collector.gap_skipped"
    assert alert["detail"] == {"from_seq": 3, "to_seq": 3}


def test_no_skip_while_the_terminal_still_has_events_to_send(
    env: StoreEnv, collectors: Collectors
) -> None:
    c = collectors.start(gap_grace=0.2, gap_skip_after=0.3, tick=0.1)
    t1 = Terminal(env, "t1")
    t1.send(1, 3)
    t1.wait_ack(lambda a: a.resend_from == 2)
    status = wire.Status(
        terminal="t1",
        store=STORE,
        state="online",
        version="t",
        ts="2026-01-05T02:00:00Z",
        last_seq=3,
        outbox_depth=1,
    )
    t1.peer.publish(wire.status_topic(STORE, "t1"), wire.encode_status(status))
    assert wait_until(lambda: (c.db.state(STORE, "t1") or {}).get("status") is not None)
    assert not wait_until(lambda: c.stats.gaps_skipped > 0, timeout=1.5)
    t1.send(2)
    t1.wait_ack(lambda a: a.upto == 3)


def test_malformed_messages_are_rejected_without_harm(
    env: StoreEnv, collectors: Collectors
) -> None:
    c = collectors.start()
    t1 = Terminal(env, "t1")
    topic = wire.events_topic(STORE, "t1")
    bad = [
        b"",
        b"not json",
        b"[]",
        b'{"v": 1}',
        event_bytes("t2", 1),  # names another terminal than its topic
        wire.encode_event("t1", 2, "test.event", wire.canonical_json(entry("t1", 3))),
        b'{"v": 9, "terminal": "t1", "seq": 1, "kind": "x", "entry": {}}',
        b"\xff\xfe",
    ]
    for payload in bad:
        assert not t1.peer.publish(topic, payload).is_failure
    t1.send(1)
    # t1's own (bad) events at seqs 1 and 2 are acknowledged as rejected; the good seq 1
    # is stored all the same.
    t1.wait_ack(lambda a: a.upto == 2)
    assert c.stats.rejected == len(bad)
    assert c.db.event_count() == 1
    assert len(c.db.rejected()) == len(bad)


def test_two_collectors_share_the_stream_and_store_each_event_once(
    env: StoreEnv, collectors: Collectors
) -> None:
    a = collectors.start(1)
    b = collectors.start(2)
    t1, t2 = Terminal(env, "t1"), Terminal(env, "t2")
    n = 150
    for s in range(1, n + 1):
        t1.send(s)
        t2.send(s)
    t1.wait_ack(lambda ack: ack.upto == n, timeout=30)
    t2.wait_ack(lambda ack: ack.upto == n, timeout=30)
    # Every message went to exactly one of the two: none lost, none delivered twice.
    assert a.stats.received > 0 and b.stats.received > 0
    assert a.stats.received + b.stats.received == 2 * n
    assert a.stats.inserted + b.stats.inserted == 2 * n
    assert a.stats.duplicates + b.stats.duplicates == 0
    assert a.db.event_count() == 2 * n
    for t in ("t1", "t2"):
        assert [e.seq for e in a.db.events(STORE, t, limit=10_000)] == list(range(1, n + 1))


def test_a_failed_store_is_retried_after_a_reconnect(
    env: StoreEnv, collectors: Collectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = collectors.start()
    real_store = c.db.store
    failures = [RuntimeError("database is down")]

    def flaky_store(events: Any, rejected: Any = ()) -> Any:
        if failures:
            raise failures.pop()
        return real_store(events, rejected)

    monkeypatch.setattr(c.db, "store", flaky_store)
    t1 = Terminal(env, "t1")
    t1.send(1, 2, 3)
    assert wait_until(lambda: c.stats.store_failures == 1)
    assert not [a for a in t1.acks() if a.upto >= 1]

    # Nothing was acknowledged, so the terminal sends again, as a relay does after its ack
    # timeout, until it is stored: a resend that lands while the collector is still
    # reconnecting reaches no one, exactly as it would for a real relay.
    def resend_and_stored() -> bool:
        t1.send(1, 2, 3)
        return wait_until(lambda: any(a.upto == 3 for a in t1.acks()), timeout=2.0)

    assert wait_until(resend_and_stored, timeout=30.0)
    assert c.db.event_count() == 3


def test_a_lone_collector_keeping_its_session_loses_nothing_while_restarting(
    env: StoreEnv, collectors: Collectors
) -> None:
    c = collectors.start(session_expiry=3600)
    t1 = Terminal(env, "t1")
    t1.send(*range(1, 21))
    t1.wait_ack(lambda a: a.upto == 20)
    collectors.stop_all()
    # Published while no collector runs: the broker queues them in the kept session.
    t1.send(*range(21, 41))
    c = collectors.start(session_expiry=3600)
    t1.wait_ack(lambda a: a.upto == 40)
    assert c.db.event_count() == 40


def test_a_stopped_collector_leaves_the_shared_subscription(
    env: StoreEnv, collectors: Collectors
) -> None:
    a = collectors.start(1)
    b = collectors.start(2)
    t1 = Terminal(env, "t1")
    t1.send(1)
    t1.wait_ack(lambda ack: ack.upto == 1)
    a.stop()
    # Nothing is parked in a queue for the stopped collector: the other one gets every event.
    t1.send(*range(2, 31))
    t1.wait_ack(lambda ack: ack.upto == 30)
    assert b.db.event_count() == 30
