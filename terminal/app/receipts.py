"""Wiring the receipt desk between the ledger and the printer (``core/receipt_desk.py``).

Kept apart from ``wiring.py`` so a tool or a crash test can wire receipts exactly as the
terminal does without importing the facade and the screens' seam.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from terminal.core.receipt_desk import ReceiptDesk

log = logging.getLogger("terminal")


def wire_receipts(
    ledger: Any, printer: Any, settings: Any, name_of: Callable[[str], str] | None
) -> ReceiptDesk:
    """Every committed sale and refund gets its receipt spooled: after each commit, and now
    for whatever the last run left owed (``core/receipt_desk.py``)."""
    desk = ReceiptDesk(ledger, printer, settings, name_of)
    printer.on_settled = desk.on_settled
    ledger.subscribe(desk.on_entry)
    try:
        caught = desk.catch_up()
    except Exception:  # the terminal must still sell; the receipts stay owed for next start
        log.exception("owed receipts were not spooled")
    else:
        if caught:
            log.info("spooled %d receipt(s) owed from before the restart", caught)
    return desk
