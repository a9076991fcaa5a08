"""Staff records, roles, training records and customer ratings, projected from the journal.

The record logic is core's ``apply_staff_entry``, shared with the in-memory directory; this
module only binds it to the ledger's transaction. Tables and the store that reads them are in
``terminal/ledger/staff_store.py``.
"""

from __future__ import annotations

from typing import Any

from terminal.core.records import JournalEntry
from terminal.core.staff import STAFF_KINDS, apply_staff_entry
from terminal.ledger.projections import ProjectionArea
from terminal.ledger.staff_store import MIGRATIONS, ProjectionSink, project_rating


def project_staff(entry: JournalEntry, db: Any) -> None:
    apply_staff_entry(entry, ProjectionSink(db, entry))


AREA = ProjectionArea(
    name="staff",
    projectors={**dict.fromkeys(STAFF_KINDS, project_staff), "sale.rated": project_rating},
    migrations=MIGRATIONS,
    # PIN and card hashes and lockouts are never journaled, so they cannot be rebuilt.
    state_tables=("staff_pin", "staff_card", "staff_lock"),
)
