"""How each clerk does, over any period, computed from the journal.

Definitions (all training entries are left out; ``since`` is inclusive, ``until`` exclusive,
both compared with the journal entry's UTC time):

* sales: ``sale.completed`` entries by the clerk; amount is the sum of their totals.
* items: pieces for per-piece lines (quantity / 1000), one per weighed line.
* items per minute: items over the summed first-scan-to-tender-complete time of those sales
  (``completed_at - started_at``); average sale seconds is that time over the sales count.
* voids (``line.voided`` plus ``sale.voided``), refunds (``refund.completed``), discounts (sales
  with a discount), no-sales (``drawer.opened`` with reason ``no_sale``) and price overrides
  (lines priced by override): counts, and ratios per completed sale.
* cash accuracy: share of the clerk's ``shift.closed`` whose over/short is within the tolerance.
* clean sales: share of sales begun (completed plus voided) that were completed with no line
  void and not refunded within the period.
* satisfaction: ``sale.rated`` (1-5) entries for the clerk's sales: count and average.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from terminal.core.errors import InvalidInput, NotFound
from terminal.core.permissions import Permissions
from terminal.core.ports import Ledger
from terminal.core.records import QTY_ONE, JournalEntry
from terminal.core.rights import Decision, PermissionDenied, Right, Verdict
from terminal.core.staff import StaffDirectory

EVALUATION_KINDS = (
    "sale.completed",
    "refund.completed",
    "sale.voided",
    "line.voided",
    "drawer.opened",
    "shift.closed",
    "sale.rated",
)


class StaffJournal(Protocol):
    """The journal reads staff features need; the ledger's staff store answers with indexed
    SQL, :class:`LedgerScan` by paging through any ``Ledger``."""

    def staff_entries(
        self,
        *,
        kinds: Sequence[str],
        since: str | None = None,
        until: str | None = None,
        training: bool | None = False,
        staff_id: str | None = None,
    ) -> Iterable[JournalEntry]:
        """Entries of ``kinds`` in seq order; ``training`` None means both."""


def _when(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def in_period(ts: str, since: str | None, until: str | None) -> bool:
    t = _when(ts)
    if since is not None and t < _when(since):
        return False
    return not (until is not None and t >= _when(until))


class LedgerScan:
    def __init__(self, ledger: Ledger, page: int = 1000) -> None:
        self._ledger = ledger
        self._page = page

    def staff_entries(
        self,
        *,
        kinds: Sequence[str],
        since: str | None = None,
        until: str | None = None,
        training: bool | None = False,
        staff_id: str | None = None,
    ) -> Iterator[JournalEntry]:
        wanted = set(kinds)
        after = 0
        while True:
            batch = self._ledger.entries(after_seq=after, limit=self._page)
            if not batch:
                return
            for e in batch:
                if e.kind not in wanted:
                    continue
                if training is not None and e.training != training:
                    continue
                if staff_id is not None and e.staff_id != staff_id:
                    continue
                if in_period(e.ts, since, until):
                    yield e
            after = batch[-1].seq


@dataclass(slots=True)
class ClerkFigures:
    staff_id: str
    name: str = ""
    sales_count: int = 0
    sales_amount: int = 0
    items: int = 0
    selling_seconds: float = 0.0
    items_per_minute: float | None = None
    avg_sale_seconds: float | None = None
    line_voids: int = 0
    sale_voids: int = 0
    refunds: int = 0
    refunds_amount: int = 0
    discounts: int = 0
    discounts_amount: int = 0
    no_sales: int = 0
    price_overrides: int = 0
    void_ratio: float | None = None
    refund_ratio: float | None = None
    discount_ratio: float | None = None
    no_sale_ratio: float | None = None
    price_override_ratio: float | None = None
    shifts_closed: int = 0
    shifts_within_tolerance: int = 0
    cash_accuracy: float | None = None
    clean_sales: int = 0
    clean_sales_ratio: float | None = None
    ratings_count: int = 0
    rating_average: float | None = None
    _rating_sum: int = field(default=0, repr=False)
    _sales: dict[str, bool] = field(default_factory=dict, repr=False)
    """sale_id -> still clean."""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("_rating_sum")
        d.pop("_sales")
        return d


CSV_COLUMNS = tuple(k for k in ClerkFigures.__dataclass_fields__ if not k.startswith("_"))


def _ratio(n: int, d: int) -> float | None:
    return n / d if d else None


def compute_figures(
    entries: Iterable[JournalEntry], *, cash_tolerance: int = 0
) -> dict[str, ClerkFigures]:
    """Per-clerk figures from non-training entries already limited to the period."""
    figs: dict[str, ClerkFigures] = {}
    refunded: set[str] = set()
    line_voided: set[str] = set()

    def fig(staff_id: str | None) -> ClerkFigures | None:
        if not staff_id:
            return None
        return figs.setdefault(staff_id, ClerkFigures(staff_id))

    for e in entries:
        if e.training:
            continue
        p = e.payload
        if e.kind == "sale.completed":
            f = fig(p.get("staff_id") or e.staff_id)
            if f is None or p.get("training"):
                continue
            _count_sale(f, p)
        elif e.kind == "refund.completed":
            f = fig(p.get("staff_id") or e.staff_id)
            if f is None:
                continue
            f.refunds += 1
            f.refunds_amount += int(p["total"])
            if p.get("original_sale_id"):
                refunded.add(p["original_sale_id"])
        elif e.kind == "sale.voided":
            f = fig(e.staff_id)
            if f is not None:
                f.sale_voids += 1
        elif e.kind == "line.voided":
            f = fig(e.staff_id)
            if f is not None:
                f.line_voids += 1
                line_voided.add(p.get("sale_id", ""))
        elif e.kind == "drawer.opened":
            f = fig(e.staff_id)
            if f is not None and p.get("reason") == "no_sale":
                f.no_sales += 1
        elif e.kind == "shift.closed":
            f = fig(e.staff_id)
            if f is not None:
                f.shifts_closed += 1
                if abs(int(p.get("over_short", 0))) <= cash_tolerance:
                    f.shifts_within_tolerance += 1
        elif e.kind == "sale.rated":
            rating = int(p["rating"])
            f = fig(e.staff_id)
            if f is not None and 1 <= rating <= 5:
                f.ratings_count += 1
                f._rating_sum += rating

    for f in figs.values():
        _derive_ratios(f, refunded | line_voided)
    return figs


def _count_sale(f: ClerkFigures, p: Mapping[str, Any]) -> None:
    f.sales_count += 1
    f.sales_amount += int(p["total"])
    for line in p.get("lines", ()):
        if line.get("unit") == "kg":
            f.items += 1
        else:
            f.items += int(line["qty_milli"]) // QTY_ONE
        if line.get("price_source") == "override":
            f.price_overrides += 1
    if int(p.get("discount_total", 0)) > 0:
        f.discounts += 1
        f.discounts_amount += int(p["discount_total"])
    seconds = (_when(p["completed_at"]) - _when(p["started_at"])).total_seconds()
    f.selling_seconds += max(seconds, 0.0)
    f._sales[p["sale_id"]] = True


def _derive_ratios(f: ClerkFigures, unclean: set[str]) -> None:
    """Speeds and ratios from the counts; ``unclean`` are sales later refunded or with a
    voided line."""
    n = f.sales_count
    if f.selling_seconds > 0:
        f.items_per_minute = f.items / (f.selling_seconds / 60)
    f.avg_sale_seconds = f.selling_seconds / n if n else None
    f.void_ratio = _ratio(f.line_voids + f.sale_voids, n)
    f.refund_ratio = _ratio(f.refunds, n)
    f.discount_ratio = _ratio(f.discounts, n)
    f.no_sale_ratio = _ratio(f.no_sales, n)
    f.price_override_ratio = _ratio(f.price_overrides, n)
    f.cash_accuracy = _ratio(f.shifts_within_tolerance, f.shifts_closed)
    f.clean_sales = sum(1 for sid in f._sales if sid not in unclean)
    f.clean_sales_ratio = _ratio(f.clean_sales, n + f.sale_voids)
    f.rating_average = _ratio(f._rating_sum, f.ratings_count)


def figures_csv(figures: Sequence[ClerkFigures]) -> str:
    """CSV with a header row; ratios and speeds with four decimals, empty when undefined."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for f in figures:
        row = []
        for k in CSV_COLUMNS:
            v = getattr(f, k)
            if v is None:
                row.append("")
            elif isinstance(v, float):
                row.append(f"{v:.4f}")
            else:
                row.append(v)
        w.writerow(row)
    return out.getvalue()


class EvaluationService:
    """Figures on the terminal: everyone may see their own; seeing others needs the store-scope
    report right."""

    def __init__(
        self,
        journal: StaffJournal,
        permissions: Permissions,
        directory: StaffDirectory,
        *,
        cash_tolerance: int = 0,
    ) -> None:
        self._journal = journal
        self._perm = permissions
        self._dir = directory
        self.cash_tolerance = cash_tolerance

    def store_scope(self, viewer_id: str) -> bool:
        return self._perm.check(viewer_id, Right.REPORT_STORE).verdict is Verdict.ALLOW

    def figures(
        self,
        viewer_id: str,
        *,
        staff_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[ClerkFigures]:
        """One clerk's figures (``staff_id``), or everyone's when ``staff_id`` is None and the
        viewer has store scope; a viewer without it gets only their own row."""
        viewer = self._dir.member(viewer_id)
        if viewer is None:
            raise NotFound(f"no staff account {viewer_id}")
        store = self.store_scope(viewer_id)
        if staff_id is not None and staff_id != viewer_id and not store:
            raise PermissionDenied(
                Decision(Verdict.DENY, Right.REPORT_STORE, "you may see only your own figures")
            )
        if since and until and _when(since) >= _when(until):
            raise InvalidInput("the period ends before it starts")
        target = staff_id if staff_id is not None else (None if store else viewer_id)
        entries = self._journal.staff_entries(
            kinds=EVALUATION_KINDS, since=since, until=until, training=False
        )
        figs = compute_figures(entries, cash_tolerance=self.cash_tolerance)
        if target is not None:
            wanted = [target]
        else:
            wanted = sorted(set(figs) | {m.staff_id for m in self._dir.members() if m.active})
        rows = []
        for sid in wanted:
            f = figs.get(sid) or ClerkFigures(sid)
            member = self._dir.member(sid)
            f.name = member.name if member else ""
            rows.append(f)
        return rows

    def export_csv(
        self,
        viewer_id: str,
        *,
        staff_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> str:
        return figures_csv(self.figures(viewer_id, staff_id=staff_id, since=since, until=until))


class RatingService:
    """The customer's optional one-tap 1-5 rating after payment, credited to the sale's clerk."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def rate(self, sale_id: str, clerk_id: str, rating: int, *, training: bool = False) -> None:
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise InvalidInput("a rating is a whole number from 1 to 5", code="rating.invalid")
        if not sale_id:
            raise InvalidInput("a rating needs the sale it rates", code="rating.invalid")
        self._ledger.post(
            "sale.rated",
            {"sale_id": sale_id, "rating": rating},
            staff_id=clerk_id,
            training=training,
        )
