"""In-memory stand-ins for the ports, for fast unit tests of core services. The real SQLite
ledger has its own tests and one integration test runs a sale through it."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

from terminal.core.clock import ManualClock
from terminal.core.pending import PendingSale, fold
from terminal.core.ports import (
    DeviceHealth,
    LedgerFull,
    PaymentOutcome,
    PaymentResult,
    PrinterStatus,
)
from terminal.core.records import JournalEntry, PrintDoc, ReportTotals, SaleRecord
from terminal.core.rights import Decision, Right, Verdict


class FakeLedger:
    """A journal in a list with the report queries computed by scanning it.

    It keeps the journal's contract the services rely on: sequence and per-series numbers,
    payloads stored as JSON, the training flag, an outbox of real entries only, projectors run
    on post and nothing stored when one raises. ``full`` makes every post fail like a full disk;
    ``fail_next`` fails only the next one.
    """

    def __init__(self, clock: ManualClock | None = None, terminal_id: str = "T1") -> None:
        self.clock = clock or ManualClock()
        self.terminal_id = terminal_id
        self.journal: list[JournalEntry] = []
        self.counters: dict[str, int] = {}
        self.outbox: list[int] = []
        self.projectors: dict[str, Callable[[JournalEntry], None]] = {}
        self.full = False
        self.fail_next: Exception | None = None

    def post(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        staff_id: str | None,
        series: str | None = None,
        training: bool = False,
    ) -> JournalEntry:
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        if self.full:
            raise LedgerFull("database or disk is full")
        # Round-trip through JSON like the real journal, so non-JSON payloads fail here too.
        body = json.loads(json.dumps(dict(payload), allow_nan=False))
        key = f"{'training:' if training else ''}{series}"
        number = self.counters.get(key, 0) + 1 if series else None
        prev = self.journal[-1].hash if self.journal else "0" * 64
        entry = JournalEntry(
            seq=len(self.journal) + 1,
            uuid=str(uuid.uuid4()),
            ts=self.clock.now().astimezone(UTC).isoformat(timespec="microseconds"),
            terminal_id=self.terminal_id,
            kind=kind,
            staff_id=staff_id,
            payload=body,
            number=number,
            series=series,
            training=training,
            prev_hash=prev,
            hash=hashlib.sha256((prev + json.dumps(body, sort_keys=True)).encode()).hexdigest(),
        )
        projector = self.projectors.get(kind)
        if projector is not None:
            projector(copy.deepcopy(entry))
        self.journal.append(entry)
        if number is not None:
            self.counters[key] = number
        if not training:
            self.outbox.append(entry.seq)
        return entry

    def kinds(self) -> list[str]:
        return [e.kind for e in self.journal]

    def of_kind(self, kind: str) -> list[JournalEntry]:
        return [e for e in self.journal if e.kind == kind]

    def entries(self, after_seq: int = 0, limit: int = 1000) -> list[JournalEntry]:
        return [e for e in self.journal if e.seq > after_seq][:limit]

    def last_entry(self) -> JournalEntry | None:
        return self.journal[-1] if self.journal else None

    def _records(self) -> list[tuple[JournalEntry, SaleRecord]]:
        out = []
        for e in self.journal:
            if e.kind in ("sale.completed", "refund.completed"):
                out.append((e, SaleRecord.from_payload({**e.payload, "receipt_no": e.number})))
        return out

    def pending_sales(self, training: bool = False) -> list[PendingSale]:
        return [p for p in fold(self.journal) if p.training == training]

    def find_sale(
        self, *, sale_id: str | None = None, receipt_no: int | None = None, training: bool = False
    ) -> SaleRecord | None:
        for e, rec in self._records():
            if sale_id is not None:
                if rec.sale_id == sale_id:
                    return rec
            elif e.number == receipt_no and e.training == training:
                return rec
        return None

    def refunded_milli(self, sale_id: str) -> dict[int, int]:
        out: dict[int, int] = {}
        for _, rec in self._records():
            if rec.kind == "refund" and rec.original_sale_id == sale_id:
                for line in rec.lines:
                    out[line.line_no] = out.get(line.line_no, 0) + line.qty_milli
        return out

    def totals(
        self,
        *,
        shift_id: str | None = None,
        since_last_z: bool = False,
        staff_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> ReportTotals:
        after = 0
        if since_last_z:
            z = self.last_z()
            after = int(z["to_seq"]) if z else 0
        t: dict[str, Any] = {
            k: 0
            for k in (
                "sales_count",
                "refunds_count",
                "items_milli",
                "gross",
                "discounts",
                "tax",
                "net_sales",
                "refunds_total",
                "rounding",
                "line_voids",
                "sale_voids",
                "no_sales",
                "cash_in",
                "cash_out",
                "opening_float",
            )
        }
        by_tender: dict[str, int] = {}
        first = last = first_r = last_r = None
        for e in self.journal:
            if e.training or e.seq <= after:
                continue
            if staff_id is not None and e.staff_id != staff_id:
                continue
            if since is not None and e.ts < since:
                continue
            if until is not None and e.ts >= until:
                continue
            p = e.payload
            if shift_id is not None and p.get("shift_id") != shift_id:
                continue
            first = first or e.seq
            last = e.seq
            if e.kind in ("sale.completed", "refund.completed"):
                first_r = first_r or e.number
                last_r = e.number
                _add_record(t, by_tender, SaleRecord.from_payload(p))
            elif e.kind == "line.voided":
                t["line_voids"] += 1
            elif e.kind == "sale.voided":
                t["sale_voids"] += 1
            elif e.kind == "drawer.opened" and p.get("reason") == "no_sale":
                t["no_sales"] += 1
            elif e.kind == "shift.cash_in":
                t["cash_in"] += p["amount"]
            elif e.kind == "shift.cash_out":
                t["cash_out"] += p["amount"]
            elif e.kind == "shift.opened":
                t["opening_float"] += p["opening_float"]
        return ReportTotals(
            **t,
            by_tender=by_tender,
            first_seq=first,
            last_seq=last,
            first_receipt=first_r,
            last_receipt=last_r,
        )

    def current_shift(self) -> Mapping[str, Any] | None:
        shift = None
        for e in self.journal:
            if e.training:
                continue
            if e.kind == "shift.opened":
                shift = {**e.payload, "staff_id": e.staff_id, "opened_at": e.ts}
            elif e.kind == "shift.closed" and shift and e.payload["shift_id"] == shift["shift_id"]:
                shift = None
        return shift

    def _zs(self) -> list[dict[str, Any]]:
        return [
            {**e.payload, "number": e.number, "ts": e.ts, "staff_id": e.staff_id}
            for e in self.journal
            if e.kind == "report.z" and not e.training
        ]

    def last_z(self) -> Mapping[str, Any] | None:
        zs = self._zs()
        return zs[-1] if zs else None

    def z_report(self, number: int) -> Mapping[str, Any] | None:
        for z in self._zs():
            if z["number"] == number:
                return z
        return None


def _add_record(t: dict[str, Any], by_tender: dict[str, int], rec: SaleRecord) -> None:
    sign = 1 if rec.kind == "sale" else -1
    for tender in rec.tenders:
        by_tender[tender.kind] = by_tender.get(tender.kind, 0) + sign * tender.amount
    if rec.kind == "sale":
        t["sales_count"] += 1
        t["items_milli"] += sum(x.qty_milli for x in rec.lines)
        t["gross"] += rec.subtotal
        t["discounts"] += rec.discount_total
        t["tax"] += rec.tax_total
        t["net_sales"] += rec.total
        t["rounding"] += rec.rounding
    else:
        t["refunds_count"] += 1
        t["refunds_total"] += rec.total


class FakeGate:
    """Grants per staff id: ``{right: (verdict, limit)}``; unknown rights are denied."""

    def __init__(self, grants: dict[str, dict[Right, tuple[Verdict, int | None]]]) -> None:
        self.grants = grants
        self.calls: list[tuple[str, Right, int | None, bool]] = []

    def check(
        self, staff_id: str, right: Right, *, amount: int | None = None, training: bool = False
    ) -> Decision:
        self.calls.append((staff_id, right, amount, training))
        verdict, limit = self.grants.get(staff_id, {}).get(right, (Verdict.DENY, None))
        if verdict is Verdict.DENY:
            return Decision(Verdict.DENY, right, f"you may not {right.value}")
        if limit is not None and amount is not None and amount > limit:
            return Decision(Verdict.APPROVAL, right, f"over your limit of {limit}", limit)
        if verdict is Verdict.APPROVAL:
            return Decision(Verdict.APPROVAL, right, f"{right.value} needs a supervisor", limit)
        return Decision(Verdict.ALLOW, right, "", limit)


def full_rights(**limits: int) -> dict[Right, tuple[Verdict, int | None]]:
    out: dict[Right, tuple[Verdict, int | None]] = {r: (Verdict.ALLOW, None) for r in Right}
    for name, value in limits.items():
        out[Right[name]] = (Verdict.ALLOW, value)
    return out


class FakePrinter:
    def __init__(self) -> None:
        self.docs: list[PrintDoc] = []
        self.broken: Exception | None = None

    def submit(self, doc: PrintDoc) -> None:
        if self.broken:
            raise self.broken
        self.docs.append(doc)

    def status(self) -> PrinterStatus:
        return PrinterStatus(DeviceHealth.OK, online=True)


class FakeDrawer:
    def __init__(self) -> None:
        self.opens = 0

    def open(self) -> None:
        self.opens += 1

    def is_open(self) -> bool | None:
        return None


class FakePayments:
    """Answers charges from a script of outcomes (approve when the script is empty)."""

    def __init__(self, *outcomes: PaymentOutcome) -> None:
        self.script = list(outcomes)
        self.charges: list[tuple[str, int, str, str]] = []
        self.cancels: list[tuple[str, str]] = []
        self.refunds: list[tuple[str, int, str]] = []

    def charge(
        self, payment_code: str, amount: int, currency: str, sale_id: str, tender_no: int = 1
    ) -> PaymentResult:
        self.charges.append((payment_code, amount, currency, sale_id))
        outcome = self.script.pop(0) if self.script else PaymentOutcome.APPROVED
        n = len(self.charges)
        message = {"declined": "insufficient balance", "timeout": "no answer"}.get(
            outcome.value, ""
        )
        return PaymentResult(outcome, reference=f"QR{n:06d}", message=message, provider="simqr")

    def cancel(self, sale_id: str, reference: str) -> None:
        self.cancels.append((sale_id, reference))

    def refund(self, sale_id: str, reference: str, amount: int) -> PaymentResult:
        self.refunds.append((sale_id, amount, reference))
        return PaymentResult(PaymentOutcome.APPROVED, reference=f"RF-{reference}", provider="simqr")


class FakeCard:
    def __init__(self, *outcomes: PaymentOutcome) -> None:
        self.script = list(outcomes)
        self.charges: list[tuple[int, str, str]] = []
        self.reversals: list[tuple[str, str, int]] = []
        self.reverse_outcome = PaymentOutcome.APPROVED

    def charge(self, amount: int, currency: str, sale_id: str) -> PaymentResult:
        self.charges.append((amount, currency, sale_id))
        outcome = self.script.pop(0) if self.script else PaymentOutcome.APPROVED
        return PaymentResult(
            outcome,
            reference=f"AUTH{len(self.charges):04d}",
            message="" if outcome is PaymentOutcome.APPROVED else "declined",
            provider="simcard",
        )

    def reverse(self, sale_id: str, reference: str, amount: int) -> PaymentResult:
        self.reversals.append((sale_id, reference, amount))
        ok = self.reverse_outcome is PaymentOutcome.APPROVED
        return PaymentResult(self.reverse_outcome, reference, "" if ok else "refused", "simcard")
