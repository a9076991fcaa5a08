"""A small journal for evaluation tests, with its figures worked out by hand.

Period: 2026-01-05 (UTC). Cash tolerance: 100 (¥1.00). Two clerks.

cash1
  S1  02:00:00-02:01:30 (90 s): 2 x A at 5.00 each + 0.750 kg B at 12.00/kg = 10.00 + 9.00;
      total 19.00; items 2 + 1 (a weighed line counts once) = 3.
  S2  03:00:00-03:00:30 (30 s): 1 x C at 30.00, price override, 3.00 discount; total 27.00;
      cash 17.00 + card 10.00; items 1.
  S3  04:00:00-04:02:00 (120 s): 3 x A = 15.00; items 3; a line was voided during it.
  S4  abandoned: sale.voided.
  R1  refund of S1: 1 x A = 5.00.
  no-sale drawer open x1 (a sale drawer open does not count).
  shifts opened and closed: over/short 0 (within), -150 (outside), +100 (within).
  ratings: S1 5, S2 4.
  Also: a training sale of 999.99 and a sale on 2026-01-06, both outside the figures.

  sales 3, amount 19.00 + 27.00 + 15.00 = 61.00 (6100); items 7; selling time 240 s;
  items/minute 7 / 4 = 1.75; average sale 80 s; voids 1 line + 1 sale = 2, ratio 2/3;
  refunds 1 (5.00), ratio 1/3; discounts 1 (3.00), ratio 1/3; no-sales 1, ratio 1/3;
  price overrides 1, ratio 1/3; cash accuracy 2/3; clean sales: S2 only (S1 refunded, S3 had a
  line void) = 1 of 3 completed + 1 voided = 0.25; ratings 2, average 4.5.

cash2
  S5  05:00:00-05:00:20 (20 s): 1 x D at 8.00, QR; items 1.
  S6  06:00:00-06:00:40 (40 s): 4 x E at 2.50 = 10.00; items 4.
  shift closed +50 (within). rating S5: 3.

  sales 2, amount 18.00 (1800); items 5; 60 s; items/minute 5.0; average 30 s; no voids,
  refunds, discounts, no-sales or overrides (ratios 0.0); cash accuracy 1.0; clean 2/2 = 1.0;
  ratings 1, average 3.0.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from terminal.core.clock import ManualClock

from .staff_fakes import sale_payload

SINCE = "2026-01-05T00:00:00+00:00"
UNTIL = "2026-01-06T00:00:00+00:00"
TOLERANCE = 100

EXPECTED: dict[str, dict[str, Any]] = {
    "cash1": {
        "sales_count": 3,
        "sales_amount": 6100,
        "items": 7,
        "selling_seconds": 240.0,
        "items_per_minute": 1.75,
        "avg_sale_seconds": 80.0,
        "line_voids": 1,
        "sale_voids": 1,
        "void_ratio": 2 / 3,
        "refunds": 1,
        "refunds_amount": 500,
        "refund_ratio": 1 / 3,
        "discounts": 1,
        "discounts_amount": 300,
        "discount_ratio": 1 / 3,
        "no_sales": 1,
        "no_sale_ratio": 1 / 3,
        "price_overrides": 1,
        "price_override_ratio": 1 / 3,
        "shifts_closed": 3,
        "shifts_within_tolerance": 2,
        "cash_accuracy": 2 / 3,
        "clean_sales": 1,
        "clean_sales_ratio": 0.25,
        "ratings_count": 2,
        "rating_average": 4.5,
    },
    "cash2": {
        "sales_count": 2,
        "sales_amount": 1800,
        "items": 5,
        "selling_seconds": 60.0,
        "items_per_minute": 5.0,
        "avg_sale_seconds": 30.0,
        "line_voids": 0,
        "sale_voids": 0,
        "void_ratio": 0.0,
        "refunds": 0,
        "refunds_amount": 0,
        "refund_ratio": 0.0,
        "discounts": 0,
        "discounts_amount": 0,
        "discount_ratio": 0.0,
        "no_sales": 0,
        "no_sale_ratio": 0.0,
        "price_overrides": 0,
        "price_override_ratio": 0.0,
        "shifts_closed": 1,
        "shifts_within_tolerance": 1,
        "cash_accuracy": 1.0,
        "clean_sales": 2,
        "clean_sales_ratio": 1.0,
        "ratings_count": 1,
        "rating_average": 3.0,
    },
}


def _t(hms: str, day: int = 5) -> str:
    return f"2026-01-{day:02d}T{hms}+00:00"


def load(ledger: Any, clock: ManualClock) -> None:
    """Post the fixture through ``ledger.post`` at the right clock times."""

    def at(ts: str) -> None:
        clock.set(datetime.fromisoformat(ts))

    def sale(sid: str, staff: str, start: str, end: str, **kw: Any) -> None:
        at(end)
        training = kw.get("training", False)
        ledger.post(
            "sale.completed",
            sale_payload(sid, staff, started=start, completed=end, **kw),
            staff_id=staff,
            series="receipt",
            training=training,
        )

    a2_b = [("A", 2000, "each", 500, "catalog"), ("B", 750, "kg", 1200, "catalog")]
    sale("S1", "cash1", _t("02:00:00"), _t("02:01:30"), lines=a2_b)
    sale(
        "S2",
        "cash1",
        _t("03:00:00"),
        _t("03:00:30"),
        lines=[("C", 1000, "each", 3000, "override")],
        discount=300,
        tenders=[("cash", 1700), ("card", 1000)],
    )
    at(_t("04:01:00"))
    ledger.post(
        "line.voided",
        {
            "sale_id": "S3",
            "line_no": 2,
            "sku": "A",
            "qty_milli": 1000,
            "amount": 500,
            "reason": "wrong item scanned",
            "approver_id": None,
        },
        staff_id="cash1",
    )
    sale("S3", "cash1", _t("04:00:00"), _t("04:02:00"), lines=[("A", 3000, "each", 500, "catalog")])
    at(_t("04:30:00"))
    ledger.post(
        "sale.voided",
        {
            "sale_id": "S4",
            "lines": 2,
            "total": 1200,
            "reason": "customer changed mind",
            "approver_id": "sup1",
        },
        staff_id="cash1",
    )
    at(_t("05:30:00"))
    ledger.post(
        "refund.completed",
        sale_payload(
            "R1",
            "cash1",
            kind="refund",
            original_sale_id="S1",
            lines=[("A", 1000, "each", 500, "catalog")],
            started=_t("05:29:00"),
            completed=_t("05:30:00"),
        ),
        staff_id="cash1",
        series="receipt",
    )
    at(_t("05:40:00"))
    ledger.post("drawer.opened", {"reason": "no_sale", "approver_id": "sup1"}, staff_id="cash1")
    ledger.post("drawer.opened", {"reason": "sale", "sale_id": "S3"}, staff_id="cash1")
    for minute, over_short in (("07:00:00", 0), ("07:10:00", -150), ("07:20:00", 100)):
        at(_t(minute))
        ledger.post(
            "shift.opened", {"shift_id": f"SH-{minute}", "opening_float": 10_000}, staff_id="cash1"
        )
        ledger.post(
            "shift.closed",
            {
                "shift_id": f"SH-{minute}",
                "counted": 10_000 + over_short,
                "expected": 10_000,
                "over_short": over_short,
                "totals": {},
            },
            staff_id="cash1",
        )
    at(_t("08:00:00"))
    ledger.post("sale.rated", {"sale_id": "S1", "rating": 5}, staff_id="cash1")
    ledger.post("sale.rated", {"sale_id": "S2", "rating": 4}, staff_id="cash1")
    sale(
        "T1",
        "cash1",
        _t("09:00:00"),
        _t("09:00:10"),
        lines=[("Z", 1000, "each", 99_999, "catalog")],
        training=True,
    )

    sale(
        "S5",
        "cash2",
        _t("05:00:00"),
        _t("05:00:20"),
        lines=[("D", 1000, "each", 800, "catalog")],
        tenders=[("qr", 800)],
    )
    sale("S6", "cash2", _t("06:00:00"), _t("06:00:40"), lines=[("E", 4000, "each", 250, "catalog")])
    at(_t("10:00:00"))
    ledger.post("shift.opened", {"shift_id": "SH-2", "opening_float": 5000}, staff_id="cash2")
    ledger.post(
        "shift.closed",
        {"shift_id": "SH-2", "counted": 5050, "expected": 5000, "over_short": 50, "totals": {}},
        staff_id="cash2",
    )
    ledger.post("sale.rated", {"sale_id": "S5", "rating": 3}, staff_id="cash2")
    # The next day: outside the period.
    sale("S7", "cash1", _t("01:00:00", day=6), _t("01:00:30", day=6))
