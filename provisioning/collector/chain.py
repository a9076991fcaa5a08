"""Tamper evidence on the collector: each entry's hash must match its content (recomputed with
the journal's own definition, ``terminal.core.canonical``), and must be the ``prev_hash`` of the
entry after it. A mismatch is stored anyway (refusing it would only make the terminal send it
forever) and raised as an alert for the owner."""

from __future__ import annotations

import json

from provisioning.collector.events import Event, payload_json
from terminal.core.canonical import entry_hash


def event_hash(ev: Event) -> str:
    """The journal's hash of ``ev``, reusing the payload text already made for storing it."""
    return entry_hash(ev, payload_json(ev))


def chain_alerts(
    key: tuple[str, str],
    new: list[Event],
    stored: dict[int, tuple[str, str]],
    now: str,
) -> list[tuple]:
    """Alert rows (``projection.ALERT_COLUMNS``) for the newly stored events ``new`` of one
    terminal ``key``. ``stored`` maps seq -> (hash, prev_hash) of the stored neighbours, from
    just below the first new event to just above the last."""
    alerts: list[tuple] = []
    for ev in new:
        computed = event_hash(ev)
        if computed != ev.hash:
            detail = {"seq": ev.seq, "hash": ev.hash, "computed": computed}
            alerts.append((*key, ev.seq, now, "collector.hash_mismatch", None, detail))
        before = stored.get(ev.seq - 1)
        if before is not None and before[0] != ev.prev_hash:
            detail = {"seq": ev.seq, "prev_hash": ev.prev_hash, "stored": before[0]}
            alerts.append((*key, ev.seq, now, "collector.chain_broken", None, detail))
        after = stored.get(ev.seq + 1)
        if after is not None and after[1] != ev.hash:
            detail = {"seq": ev.seq + 1, "prev_hash": after[1], "stored": ev.hash}
            alerts.append((*key, ev.seq + 1, now, "collector.chain_broken", None, detail))
    return [(*a[:6], json.dumps(a[6], sort_keys=True)) for a in alerts]
