"""The collector's tables as peewee models: the events themselves, each terminal's delivery
state, and the rows the owner's reports read (sales, lines, tenders, alerts).

Models are built per database (``build_models``) so two collectors (or a collector and a report)
in one process never share a binding.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import peewee as pw

SCHEMA_VERSION = 2
"""2: ``rejected_events``."""

# The table builders take the per-database base model as ``Any``: a class made at run time is
# a value, and mypy accepts no value as a base class.


def _event_models(base: Any) -> tuple[type[pw.Model], type[pw.Model]]:
    class EventRow(base):
        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        seq = pw.BigIntegerField()
        uuid = pw.CharField(max_length=64)
        ts = pw.CharField(max_length=40)
        kind = pw.CharField(max_length=64, index=True)
        staff_id = pw.CharField(max_length=64, null=True)
        payload = pw.TextField()
        number = pw.BigIntegerField(null=True)
        series = pw.CharField(max_length=32, null=True)
        training = pw.BooleanField(default=False)
        prev_hash = pw.CharField(max_length=80)
        hash = pw.CharField(max_length=80)
        received_at = pw.CharField(max_length=40)

        class Meta:
            table_name = "events"
            indexes = ((("store_id", "terminal_id", "seq"), True),)

    class TerminalState(base):
        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        contiguous = pw.BigIntegerField(default=0)
        max_seq = pw.BigIntegerField(default=0)
        last_event_at = pw.CharField(max_length=40, null=True)
        status = pw.TextField(null=True)
        status_at = pw.CharField(max_length=40, null=True)

        class Meta:
            table_name = "terminal_state"
            indexes = ((("store_id", "terminal_id"), True),)

    return EventRow, TerminalState


def _sale_models(
    base: Any,
) -> tuple[type[pw.Model], type[pw.Model], type[pw.Model]]:
    class Sale(base):
        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        seq = pw.BigIntegerField()
        sale_id = pw.CharField(max_length=64)
        kind = pw.CharField(max_length=16)
        receipt_no = pw.BigIntegerField(null=True)
        staff_id = pw.CharField(max_length=64)
        shift_id = pw.CharField(max_length=64, null=True)
        currency = pw.CharField(max_length=8)
        completed_at = pw.CharField(max_length=40)
        day = pw.CharField(max_length=10, index=True)
        subtotal = pw.BigIntegerField()
        discount_total = pw.BigIntegerField()
        tax_total = pw.BigIntegerField()
        total = pw.BigIntegerField()
        rounding = pw.BigIntegerField(default=0)
        training = pw.BooleanField(default=False)
        original_sale_id = pw.CharField(max_length=64, null=True)

        class Meta:
            table_name = "sales"
            indexes = ((("store_id", "terminal_id", "seq"), True),)

    class SaleLine(base):
        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        seq = pw.BigIntegerField()
        sale_id = pw.CharField(max_length=64, index=True)
        line_no = pw.IntegerField()
        sku = pw.CharField(max_length=64, index=True)
        name = pw.CharField(max_length=200)
        qty_milli = pw.BigIntegerField()
        unit_price = pw.BigIntegerField()
        gross = pw.BigIntegerField()
        discount = pw.BigIntegerField()
        net = pw.BigIntegerField()
        tax = pw.BigIntegerField()

        class Meta:
            table_name = "sale_lines"
            indexes = ((("store_id", "terminal_id", "seq", "line_no"), True),)

    class Tender(base):
        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        seq = pw.BigIntegerField()
        sale_id = pw.CharField(max_length=64, index=True)
        idx = pw.IntegerField()
        kind = pw.CharField(max_length=16)
        amount = pw.BigIntegerField()
        tendered = pw.BigIntegerField(default=0)
        change = pw.BigIntegerField(default=0)
        reference = pw.CharField(max_length=128, default="")

        class Meta:
            table_name = "tenders"
            indexes = ((("store_id", "terminal_id", "seq", "idx"), True),)

    return Sale, SaleLine, Tender


def _alert_models(base: Any) -> tuple[type[pw.Model], type[pw.Model], type[pw.Model]]:
    class Alert(base):
        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        seq = pw.BigIntegerField()
        ts = pw.CharField(max_length=40, index=True)
        kind = pw.CharField(max_length=64)
        staff_id = pw.CharField(max_length=64, null=True)
        detail = pw.TextField()

        class Meta:
            table_name = "alerts"
            indexes = ((("store_id", "terminal_id", "seq", "kind"), True),)

    class RejectedEvent(base):
        """An event the collector refused (``rejects``), kept with its reason and its text so
        the owner can see what the terminal sent."""

        store_id = pw.CharField(max_length=64)
        terminal_id = pw.CharField(max_length=64)
        seq = pw.BigIntegerField(null=True)
        reason = pw.TextField()
        raw = pw.TextField()
        digest = pw.CharField(max_length=64)
        received_at = pw.CharField(max_length=40, index=True)

        class Meta:
            table_name = "rejected_events"
            # The sender re-sends what it was not told is stored; one row per distinct event.
            indexes = ((("store_id", "terminal_id", "digest"), True),)

    class MetaRow(base):
        key = pw.CharField(max_length=64, primary_key=True)
        value = pw.TextField()

        class Meta:
            table_name = "collector_meta"

    return Alert, RejectedEvent, MetaRow


def build_models(db: pw.Database) -> SimpleNamespace:
    """Every table bound to ``db``: ``Event``, ``State``, ``Sale``, ``Line``, ``Tender``,
    ``Alert``, ``Rejected``, ``MetaRow``, and ``all`` of them for ``create_tables``."""

    class Base(pw.Model):
        class Meta:
            database = db

    event, state = _event_models(Base)
    sale, line, tender = _sale_models(Base)
    alert, rejected, meta = _alert_models(Base)
    return SimpleNamespace(
        Event=event,
        State=state,
        Sale=sale,
        Line=line,
        Tender=tender,
        Alert=alert,
        Rejected=rejected,
        MetaRow=meta,
        all=[event, state, sale, line, tender, alert, rejected, meta],
    )
