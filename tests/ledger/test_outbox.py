"""The outbox the link drains: sequence order, acknowledgement, depth, resend."""

from __future__ import annotations

import json
import threading

from terminal.core.canonical import entry_hash
from terminal.ledger.journal import entry_from_body
from terminal.ledger.ledger import SqliteLedger
from terminal.ledger.outbox import OutboxRow

from .builders import post_sale, sale


def test_pending_in_sequence_order_with_bodies(ledger: SqliteLedger) -> None:
    posted = [ledger.post("note.test", {"i": i, "名": "值"}, staff_id="u1") for i in range(5)]
    outbox = ledger.outbox()
    rows = outbox.pending(3)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert all(isinstance(r, OutboxRow) and r.kind == "note.test" for r in rows)
    assert [r.seq for r in outbox.pending(10, after_seq=3)] == [4, 5]
    body = rows[1].body
    assert entry_from_body(body) == posted[1]
    # Canonical JSON of every field: sorted, compact, raw UTF-8, the hash re-checkable.
    decoded = json.loads(body)
    assert list(decoded) == sorted(decoded)
    assert b" " not in body and "值".encode() in body
    assert entry_hash(entry_from_body(body)) == decoded["hash"]
    assert outbox.depth() == 5


def test_acknowledge_removes_only_what_was_delivered(ledger: SqliteLedger) -> None:
    for i in range(6):
        ledger.post("note.test", {"i": i}, staff_id=None)
    outbox = ledger.outbox()
    assert outbox.acknowledge([2, 1, 4, 99]) == 3
    assert outbox.acknowledge([1]) == 0
    assert [r.seq for r in outbox.pending(10)] == [3, 5, 6]
    assert outbox.depth() == 3
    assert outbox.acknowledge(range(1, 2000)) == 3
    assert outbox.depth() == 0 and outbox.pending(10) == []


def test_requeue_from_restores_delivered_rows_but_not_training(ledger: SqliteLedger) -> None:
    for i in range(4):
        ledger.post("note.test", {"i": i}, staff_id=None)
    post_sale(ledger, sale(1, training=True))  # seq 5: never sent
    ledger.post("note.test", {"i": 5}, staff_id=None)  # seq 6
    outbox = ledger.outbox()
    original = {r.seq: r.body for r in outbox.pending(10)}
    outbox.acknowledge([1, 2, 3, 4, 6])
    assert outbox.requeue_from(2) == 4
    rows = outbox.pending(10)
    assert [r.seq for r in rows] == [2, 3, 4, 6]
    assert all(r.body == original[r.seq] for r in rows)
    assert outbox.requeue_from(1) == 1  # only seq 1 was missing
    assert outbox.requeue_from(100) == 0


def test_link_thread_drains_while_checkout_posts(ledger: SqliteLedger) -> None:
    """The link reads and acknowledges on its own thread (own connection) while sales post."""
    delivered: list[int] = []
    done = threading.Event()

    def drain() -> None:
        outbox = ledger.outbox()
        last = 0
        while not (done.is_set() and outbox.depth() == 0):
            rows = outbox.pending(7, after_seq=last)
            if rows:
                delivered.extend(r.seq for r in rows)
                last = rows[-1].seq
                outbox.acknowledge(r.seq for r in rows)

    link = threading.Thread(target=drain)
    link.start()
    for _ in range(60):
        post_sale(ledger, sale(1))
    done.set()
    link.join(30)
    assert delivered == list(range(1, 61))
