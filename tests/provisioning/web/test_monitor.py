"""The monitoring page, the staff list and the live feed against a real collector SQLite file
filled through the collector's own ingest (``CentralDB.store`` of hash-chained entries, and
``set_status`` for the terminals' retained status)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

from provisioning.collector.db import CentralDB

from .conftest import client_for, till

XSS = "<script>alert(1)</script>"


def test_every_store_and_terminal_with_state_version_outbox_and_sales_by_method(
    owner: Any, central_db: CentralDB
) -> None:
    t1, t2, t3 = (till(central_db, s, t) for s, t in
                  (("shopA", "t1"), ("shopA", "t2"), ("shopB", "t9")))
    t1.sale("c1", [("1", "Cola", 2000, 350)], "cash")  # 7.00
    t1.sale("c1", [("2", "Milk", 1000, 300), ("3", "Tea", 1000, 1234)], "qr")  # 15.34
    t1.sale("c1", [("1", "Cola", 1000, 350)], "cash", kind="refund")  # -3.50
    t2.sale("c2", [("4", "Soap", 1000, 990)], "card")
    t3.sale("c3", [("5", "Rice", 1000, 5000)], "cash")
    t1.post("shift.opened", {"shift_id": "s1", "opening_float": 20000}, staff_id="c0")
    t1.post("shift.closed", {"shift_id": "s1", "counted": 0, "expected": 0, "over_short": 0},
            staff_id="c0")
    t1.post("shift.opened", {"shift_id": "s2", "opening_float": 20000}, staff_id="c1")
    t2.post("shift.opened", {"shift_id": "s3", "opening_float": 20000}, staff_id="c2")
    t2.post("shift.closed", {"shift_id": "s3", "counted": 0, "expected": 0, "over_short": 0},
            staff_id="c2")
    t1.status("online", outbox=3, version="1.2.3")
    t2.status("offline", outbox=0, version="1.2.0")
    # t3 reports events but no status yet
    page = client_for(owner).get("/monitor/").content.decode()
    row1 = _row(page, "shopA", "t1")
    assert "1.2.3" in row1 and ">3<" in row1 and "state-online" in row1
    assert "3.50" in row1 and "15.34" in row1  # cash 7.00 - 3.50, mobile pay 15.34
    assert ">2<" in row1  # two sales today; the refund is not a sale
    assert re.search(r"<td>c1 <span", row1) and "c0" not in row1  # the open shift's clerk
    row2 = _row(page, "shopA", "t2")
    assert "c2" not in row2  # its shift is closed
    assert "state-offline" in row2 and "9.90" in row2
    assert "state-unknown" in _row(page, "shopB", "t9")
    assert '<span class="health-ok">printer ok</span>' in _row(
        client_for(owner, HTTP_ACCEPT_LANGUAGE="en").get("/monitor/").content.decode(),
        "shopA", "t1",
    )


def _row(page: str, store: str, terminal: str) -> str:
    m = re.search(rf'<tr id="term-{store}-{terminal}">(.*?)</tr>', page, re.S)
    assert m, f"no row for {store}/{terminal}"
    return m.group(1)


def test_names_are_shown_as_text_never_as_markup(owner: Any, central_db: CentralDB) -> None:
    t = till(central_db, "shopA", "t1")
    t.staff_saved({"staff_id": "c1", "name": XSS, "role": "cashier"})
    t.sale("c1", [("1", XSS, 1000, 100)])
    t.status()
    c = client_for(owner)
    for url in ("/monitor/", "/stores/shopA/staff/"):
        page = c.get(url).content.decode()
        assert XSS not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_staff_list_is_the_newest_record_each_terminal_reported(
    owner: Any, central_db: CentralDB
) -> None:
    t1, t2 = till(central_db, "shopA", "t1"), till(central_db, "shopA", "t2")
    t1.staff_saved({"staff_id": "1001", "name": "Li Na", "role": "cashier"})
    t2.staff_saved({"staff_id": "1001", "name": "Li Na", "role": "cashier"})
    t2.staff_saved({"staff_id": "1001", "name": "Li Na", "role": "supervisor"}, "role")
    t1.staff_saved({"staff_id": "1002", "name": "Wang Wei", "role": "cashier",
                    "status": "suspended"}, "suspended")
    page = client_for(owner, HTTP_ACCEPT_LANGUAGE="en").get("/stores/shopA/staff/")
    text = page.content.decode()
    li = re.search(r"<tr><td>1001</td>(.*?)</tr>", text, re.S)
    assert li and "supervisor" in li.group(1) and "t1, t2" in li.group(1)
    wang = re.search(r"<tr><td>1002</td>(.*?)</tr>", text, re.S)
    assert wang and "suspended" in wang.group(1)


def _events(stream: Iterator[bytes], want: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Read the SSE stream until ``want`` rows came (the stream polls every 50 ms)."""
    rows: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    buf = b""
    while len(rows) < want and time.monotonic() < deadline:
        buf += next(stream)
        while b"\n\n" in buf:
            block, buf = buf.split(b"\n\n", 1)
            lines = block.decode().split("\n")
            if "event: row" in lines:
                data = next(x for x in lines if x.startswith("data: "))[6:]
                ids = [x for x in lines if x.startswith("id: ")]
                row = json.loads(data)
                assert ids == [f"id: {row['id']}"]
                rows.append(row)
    return rows


def test_live_feed_streams_new_sales_refunds_voids_no_sales_and_approvals(
    owner: Any, manager_a: Any, central_db: CentralDB
) -> None:
    t, other = till(central_db, "shopA", "t1"), till(central_db, "shopB", "t2")
    t.sale("c1", [("1", "before the page opened", 1000, 100)])
    r = client_for(owner).get("/feed/?after=0")
    assert r["Content-Type"] == "text/event-stream"
    stream = iter(r.streaming_content)
    mine = None
    try:
        assert next(stream).startswith(b"retry:")
        assert next(x["text"] for x in _events(stream, 1)).startswith("before the page opened")
        t.sale("c1", [("2", XSS, 2000, 250)], "card")
        t.post("drawer.opened", {"reason": "no_sale", "approver_id": "1001"}, staff_id="c1")
        t.post("drawer.opened", {"reason": "sale"}, staff_id="c1")  # not a feed row
        t.post("sale.voided", {"sale_id": "s", "lines": 2, "total": 800, "reason": "customer"},
               staff_id="c1")
        t.post("approval.granted", {"clerk_id": "c1", "approver_id": "1001",
                                    "right": "refund.with_receipt", "amount": 500},
               staff_id="c1")
        other.sale("c9", [("9", "another store", 1000, 100)], "cash", kind="refund")
        rows = _events(stream, 5)
        kinds = [x["kind"] for x in rows]
        assert kinds == ["sale.completed", "drawer.opened", "sale.voided", "approval.granted",
                         "refund.completed"]
        assert rows[0]["text"] == XSS and rows[0]["tenders"] == ["card"]
        assert rows[0]["amount"] == 500
        assert rows[0]["store_id"] == "shopA" and rows[0]["terminal_id"] == "t1"
        assert rows[4]["store_id"] == "shopB" and rows[4]["amount"] == 100
        assert [x["id"] for x in rows] == sorted(x["id"] for x in rows)
        # The manager of shopA sees shopA's rows only, from the cursor given on.
        mine = client_for(manager_a).get(f"/feed/?after={rows[1]['id']}")
        mine_stream = iter(mine.streaming_content)
        t.sale("c1", [("3", "for the manager", 1000, 100)])
        seen = _events(mine_stream, 3)
        assert [x["kind"] for x in seen] == ["sale.voided", "approval.granted", "sale.completed"]
        assert seen[2]["text"] == "for the manager"
        assert {x["store_id"] for x in seen} == {"shopA"}
    finally:
        r.close()
        if mine is not None:
            mine.close()


def test_feed_resumes_after_the_last_event_id(owner: Any, central_db: CentralDB) -> None:
    t = till(central_db, "shopA", "t1")
    t.sale("c1", [("1", "one", 1000, 100)])
    t.sale("c1", [("1", "two", 1000, 100)])
    c = client_for(owner)
    first = c.get("/feed/?after=0")
    rows = _events(iter(first.streaming_content), 2)
    first.close()
    t.sale("c1", [("1", "three", 1000, 100)])
    again = c.get("/feed/", HTTP_LAST_EVENT_ID=str(rows[0]["id"]))
    try:
        texts = [x["text"] for x in _events(iter(again.streaming_content), 2)]
        assert texts == ["two", "three"]
    finally:
        again.close()


def test_times_are_shown_on_the_shops_clock() -> None:
    from zoneinfo import ZoneInfo

    from provisioning.web.queries import local

    shanghai = ZoneInfo("Asia/Shanghai")
    assert local("2026-01-05T23:30:00+00:00", shanghai, "%Y-%m-%d %H:%M") == "2026-01-06 07:30"
    assert local("2026-01-05T23:30:00", None, "%H:%M") == "23:30"  # no offset: UTC
    assert local("not a time", shanghai, "%H:%M") == ""
