"""The live feed on PostgreSQL, where event ids are handed out at insert and rows commit in
another order when several collectors write at once: a row whose transaction commits after a
row with a higher id is already on the feed still reaches the feed."""

from __future__ import annotations

import threading

import pytest

from provisioning.collector.db import CentralDB
from provisioning.web import queries
from provisioning.web.demo import Till

pytestmark = pytest.mark.postgres


def test_a_row_committed_late_still_reaches_the_feed(pg_database: str) -> None:
    db = CentralDB(pg_database).create()
    slow = CentralDB(pg_database)  # a second collector, with its own connection
    try:
        t1, t2 = Till(db, "shop1", "t1"), Till(slow, "shop1", "t2")
        t1.sale("c1", [("1", "before", 1000, 100)])
        cursor = queries.FeedCursor(None, queries.last_event_id(db))
        assert cursor.poll(db) == []
        holding, release = threading.Event(), threading.Event()

        def late_sale() -> None:
            with slow.db.atomic():  # the id is taken now, the row is visible at commit
                t2.sale("c2", [("2", "late", 1000, 200)])
                holding.set()
                release.wait(10)
            slow.close()

        thread = threading.Thread(target=late_sale)
        thread.start()
        assert holding.wait(10)
        t1.sale("c1", [("3", "early", 1000, 300)])
        first = cursor.poll(db)
        assert [r.text for r in first] == ["early"]
        release.set()
        thread.join(10)
        second = cursor.poll(db)
        assert [r.text for r in second] == ["late"]
        assert second[0].id < first[0].id and second[0].terminal_id == "t2"
        assert cursor.poll(db) == []  # each row once
    finally:
        release.set()
        db.close()
