"""End to end: a terminal enrolled with posctl sells (posts journal entries) while the broker is
down; its outbox relay drains over TLS to mosquitto running posctl's configuration and ACL once
the broker is back; the collector stores every event exactly once, in order, and its acks empty
the terminal's outbox. Collector restarts and training-mode holes are part of the run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from link.live_terminal import LiveTerminal
from link.test_broker_generated import STORE, StoreEnv, make_store, wait_until

from provisioning.collector.db import CentralDB
from provisioning.collector.service import BrokerConfig, Collector
from provisioning.home import collector_cn

pytestmark = pytest.mark.link


@pytest.fixture
def env(tmp_path: Path) -> Iterator[StoreEnv]:
    e = make_store(tmp_path, terminals=("t1", "t2"))
    try:
        yield e
    finally:
        e.close()


def start_collector(env: StoreEnv, url: str, n: int = 1, **kw: object) -> Collector:
    crt, key = env.cert(collector_cn(n))
    cfg = BrokerConfig(env.broker.host, env.broker.port, env.home.ca_cert, crt, key)
    return Collector(CentralDB(url), cfg, **kw).start()


def sell(t: LiveTerminal, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        t.ledger.post("test.sale", {"n": i, "total": 100 + i}, staff_id="c1")


def stored(c: Collector, terminal: str) -> list[tuple[int, int]]:
    return [
        (e.seq, e.payload["n"])
        for e in c.db.events(STORE, terminal, limit=100_000)
        if e.kind == "test.sale"
    ]


def journal(t: LiveTerminal) -> list[tuple[int, int]]:
    return [
        (e.seq, e.payload["n"])
        for e in t.ledger.entries(limit=100_000)
        if e.kind == "test.sale" and not e.training
    ]


def test_sales_made_while_the_broker_is_down_arrive_once_in_order(
    env: StoreEnv, tmp_path: Path
) -> None:
    url = str(tmp_path / "central.sqlite3")
    collector = start_collector(env, url)
    tills = {t: LiveTerminal(env, t, tmp_path / t) for t in ("t1", "t2")}
    try:
        sell(tills["t1"], 20)
        assert wait_until(lambda: len(stored(collector, "t1")) == 20)

        env.broker.kill()
        sell(tills["t1"], 150, start=20)  # the shop keeps selling
        sell(tills["t2"], 80)
        env.broker.start()

        # Mid-drain, the collector dies and a second one takes over the same database.
        assert wait_until(lambda: len(stored(collector, "t1")) > 20, timeout=30)
        collector.stop()
        collector = start_collector(env, url, 2)

        for t, live in tills.items():
            assert wait_until(
                lambda t=t, live=live: stored(collector, t) == journal(live), timeout=60
            ), (t, len(stored(collector, t)), len(journal(live)))
            assert wait_until(lambda live=live: live.ledger.outbox().depth() == 0, timeout=30)
        assert len(stored(collector, "t1")) == 170
        assert [s for s, _ in stored(collector, "t1")] == sorted(s for s, _ in journal(tills["t1"]))
        state = collector.db.state(STORE, "t1")
        assert state["contiguous"] == tills["t1"].ledger.last_entry().seq
        assert collector.db.recent_alerts(1000) == []  # hash chain whole, nothing tampered
    finally:
        collector.stop()
        for live in tills.values():
            live.close()


def test_batched_events_are_stored_once_in_order(env: StoreEnv, tmp_path: Path) -> None:
    url = str(tmp_path / "central.sqlite3")
    collector = start_collector(env, url)
    till = LiveTerminal(env, "t1", tmp_path / "t1", events_per_message=50)
    try:
        sell(till, 777)
        assert wait_until(lambda: till.ledger.outbox().depth() == 0, timeout=60)
        assert stored(collector, "t1") == journal(till)
        assert collector.stats.received < 777  # they did travel in batches
    finally:
        collector.stop()
        till.close()


def test_training_entries_leave_holes_that_are_skipped_not_chased_forever(
    env: StoreEnv, tmp_path: Path
) -> None:
    url = str(tmp_path / "central.sqlite3")
    collector = start_collector(env, url, gap_grace=0.3, gap_skip_after=0.5, tick=0.1)
    till = LiveTerminal(env, "t1", tmp_path / "t1")
    try:
        sell(till, 3)
        till.ledger.post("test.sale", {"n": 99, "total": 1}, staff_id="c1", training=True)
        sell(till, 3, start=3)
        last = till.ledger.last_entry().seq
        till.relay.publish_status_soon()
        assert wait_until(
            lambda: (collector.db.state(STORE, "t1") or {}).get("contiguous") == last, timeout=30
        ), collector.db.state(STORE, "t1")
        assert stored(collector, "t1") == journal(till)
        assert collector.stats.gaps_skipped == 1
        assert [a["kind"] for a in collector.db.recent_alerts()] == ["collector.gap_skipped"]
        assert till.ledger.outbox().depth() == 0
    finally:
        collector.stop()
        till.close()


def _collector_process(env: StoreEnv, url: str, identity: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "provisioning.collector",
            "--home",
            str(env.home.root),
            "--identity",
            identity,
            "--db",
            url,
            "--gap-grace",
            "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc


def test_collector_process_killed_mid_drain_loses_and_doubles_nothing(
    env: StoreEnv, tmp_path: Path
) -> None:
    url = str(tmp_path / "central.sqlite3")
    CentralDB(url).create().close()
    probe = CentralDB(url)
    till = LiveTerminal(env, "t1", tmp_path / "t1")
    first = _collector_process(env, url, collector_cn(1))
    second: subprocess.Popen[str] | None = None
    try:
        sell(till, 400)
        assert wait_until(lambda: probe.event_count() > 50, timeout=30), first.stdout
        first.send_signal(signal.SIGKILL)  # mid-drain, mid-batch perhaps
        first.wait(10)
        sell(till, 100, start=400)
        second = _collector_process(env, url, collector_cn(2))
        assert wait_until(lambda: till.ledger.outbox().depth() == 0, timeout=60)
        events = probe.events(STORE, "t1", limit=100_000)
        assert [(e.seq, e.payload["n"]) for e in events] == journal(till)
        assert len(events) == 500
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait(10)
        probe.close()
        till.close()


def test_enrolled_terminal_is_provisioned_sells_offline_and_the_owner_reports(
    env: StoreEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The acceptance run: enrol, provision staff and catalog with posctl, sell while the broker
    is down, reconnect; the collector holds every event once and in order, and posctl report
    adds the sales up."""
    from provisioning.posctl import main as posctl
    from terminal.core.records import SaleLine, SaleRecord, TenderRecord

    home = ["--home", str(env.home.root)]
    only_t1 = ["-t", "t1"]
    url = str(tmp_path / "central.sqlite3")
    collector = start_collector(env, url)
    till = LiveTerminal(env, "t1", tmp_path / "t1")
    try:
        assert (
            posctl([*home, "staff", "add", "c1", "--name", "Wang", "--role", "cashier", *only_t1])
            == 0
        )
        csv = tmp_path / "catalog.csv"
        csv.write_text(
            "sku,name,name_zh,price,barcodes\nTEA,Tea,茶,3.50,6901234567892\n", encoding="utf-8"
        )
        assert (
            posctl([*home, "catalog", "import", str(csv), "--tax", "standard=1300", *only_t1]) == 0
        )
        tea = till.catalog.by_barcode("6901234567892")
        assert tea is not None and till.staff.directory.member("c1") is not None

        env.broker.kill()
        for n in range(1, 31):
            qty = n % 3 + 1
            gross = tea.price * qty
            sale = SaleRecord(
                sale_id=f"sale-{n}",
                terminal_id="t1",
                shift_id=None,
                staff_id="c1",
                currency="CNY",
                started_at="2026-01-05T02:00:00+00:00",
                completed_at="2026-01-05T02:01:00+00:00",
                lines=(
                    SaleLine(
                        1,
                        tea.sku,
                        tea.name,
                        tea.name_zh,
                        qty * 1000,
                        "each",
                        tea.price,
                        gross,
                        0,
                        gross,
                        "standard",
                        1300,
                        True,
                        gross * 1300 // 11300,
                    ),
                ),
                tenders=(TenderRecord("cash", gross, gross, 0),),
                subtotal=gross,
                discount_total=0,
                tax_total=gross * 1300 // 11300,
                total=gross,
            )
            till.ledger.post("sale.completed", sale.to_payload(), staff_id="c1", series="receipt")
        env.broker.start()

        assert wait_until(lambda: till.ledger.outbox().depth() == 0, timeout=60)
        journal_all = [
            (e.seq, e.kind) for e in till.ledger.entries(limit=100_000) if not e.training
        ]
        central = [(e.seq, e.kind) for e in collector.db.events(STORE, "t1", limit=100_000)]
        assert central == journal_all  # every event, once, in order: staff, catalog, sales
        # The collector re-computes the ledger's hash chain and finds it whole.
        assert [
            a for a in collector.db.recent_alerts(1000) if a["kind"].startswith("collector.")
        ] == []
        assert {"staff.saved", "catalog.applied", "sale.completed"} <= {k for _, k in central}
    finally:
        collector.stop()
        till.close()

    capsys.readouterr()
    assert posctl([*home, "report", "--db", url, "--by", "clerk", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    expected = sum(350 * (n % 3 + 1) for n in range(1, 31))
    assert (row["staff_id"], row["sales_count"], row["net_sales"]) == ("c1", 30, expected)
    assert row["by_tender"] == {"cash": expected}

    # Each sale keeps the receipt number the till gave it (the journal entry's number in its
    # series: the payload itself is made before the number exists), and watch shows it.
    db = CentralDB(url)
    try:
        receipts = sorted(r["receipt_no"] for r in db.recent_sales(100))
    finally:
        db.close()
    assert receipts == list(range(1, 31))
    assert posctl([*home, "watch", "--db", url, "--once", "--limit", "3"]) == 0
    shown = capsys.readouterr().out
    sales = shown.split("Recent sales")[1].split("Alerts")[0]
    assert [line.split()[2] for line in sales.splitlines() if " t1 " in line] == [
        "30",
        "29",
        "28",
    ], shown
