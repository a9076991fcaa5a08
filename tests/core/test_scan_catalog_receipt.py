"""Read classification, catalog lookup rules, receipts and small pieces (clock, settings)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from terminal.core.barcodes import VariableMeasureLayout, make_variable_measure, with_check_digit
from terminal.core.catalog import MemoryCatalog, resolve_scan
from terminal.core.clock import ManualClock, SystemClock
from terminal.core.errors import BarcodeError, MoneyFormatError, NotFound
from terminal.core.receipt import ascii_safe, report_doc, sale_receipt
from terminal.core.records import (
    QR,
    Item,
    ReportTotals,
    Row,
    SaleLine,
    SaleRecord,
    TaxClass,
    TenderRecord,
    Text,
)
from terminal.core.scan import ReadKind, classify
from terminal.core.settings import ScanRules, StoreSettings

LAYOUT = VariableMeasureLayout()
RULES = ScanRules()


@pytest.mark.parametrize(
    ("code", "kind", "value"),
    [
        ("6901285000010", ReadKind.PRODUCT, "6901285000010"),
        ("036000291452", ReadKind.PRODUCT, "036000291452"),
        ("96385074", ReadKind.PRODUCT, "96385074"),
        (
            make_variable_measure("10001", 1250, LAYOUT, kind="weight"),
            ReadKind.VARIABLE_MEASURE,
            None,
        ),
        ("STF1001", ReadKind.STAFF_CARD, "1001"),
        ("MBR88888", ReadKind.MEMBER_CARD, "88888"),
        ("POS1:T1:abc", ReadKind.RECEIPT_QR, "T1:abc"),
        ("134567890123456789", ReadKind.WECHAT_PAY, None),
        ("104567890123456789", ReadKind.WECHAT_PAY, None),
        ("2834567890123456", ReadKind.ALIPAY, None),
        ("301234567890123456789012", ReadKind.ALIPAY, None),
        ("6901285000010\r\n", ReadKind.PRODUCT, "6901285000010"),
    ],
)
def test_classify(code: str, kind: ReadKind, value: str | None) -> None:
    read = classify(code, RULES, LAYOUT)
    assert read.kind is kind
    if value is not None:
        assert read.value == value


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("6901285000011", "barcode.check_digit"),
        ("164567890123456789", "scan.unknown"),  # 18 digits but not 10-15
        ("2512345012507", "barcode.check_digit"),  # scale label with a bad check digit
        ("hello world", "scan.unknown"),
        ("", "scan.empty"),
        ("12345", "scan.unknown"),
    ],
)
def test_unknown_reads_say_why(code: str, error: str) -> None:
    read = classify(code, RULES, LAYOUT)
    assert read.kind is ReadKind.UNKNOWN and read.error_code == error and read.message


def test_rules_are_configurable() -> None:
    rules = ScanRules(staff_prefix="EMP-", member_prefix="", wechat_starts=("16",))
    assert classify("EMP-7", rules, LAYOUT).kind is ReadKind.STAFF_CARD
    assert classify("STF7", rules, LAYOUT).kind is ReadKind.UNKNOWN
    assert classify("164567890123456789", rules, LAYOUT).kind is ReadKind.WECHAT_PAY
    assert classify("134567890123456789", rules, LAYOUT).kind is ReadKind.UNKNOWN


def _catalog() -> MemoryCatalog:
    return MemoryCatalog(
        [
            Item("UPC", "Imported soda", "进口汽水", 500, ("036000291452",)),
            Item("UPCE", "Gum", "口香糖", 300, ("0042100005264",)),
            Item("BAN", "Bananas", "香蕉", 798, ("10001",), unit="kg"),
            Item("PIE", "Pie", "派", 0, (), category="bakery"),
            Item("OLD", "Old", "旧", 100, ("6901285000010",), active=False),
        ],
        [TaxClass("standard", 1300)],
    )


def test_lookup_rules() -> None:
    cat = _catalog()
    assert resolve_scan(cat, "0036000291452", LAYOUT).item.sku == "UPC"
    assert resolve_scan(cat, "042100005264", LAYOUT).item.sku == "UPCE"
    assert resolve_scan(cat, "04252614", LAYOUT).item.sku == "UPCE"
    w = resolve_scan(cat, make_variable_measure("10001", 1234, LAYOUT, kind="weight"), LAYOUT)
    assert (w.item.sku, w.qty_milli, w.price) == ("BAN", 1234, None)
    p = resolve_scan(cat, make_variable_measure("10001", 999, LAYOUT), LAYOUT)
    # A price label on goods sold by weight: the weight its price stands for at 7.98/kg.
    assert (p.price, p.qty_milli) == (798, 1252)
    with pytest.raises(NotFound):
        resolve_scan(cat, make_variable_measure("99999", 100, LAYOUT), LAYOUT)
    with pytest.raises(BarcodeError):
        resolve_scan(
            cat, make_variable_measure("10002", 100, LAYOUT, kind="weight")[:-1] + "0", LAYOUT
        )
    with pytest.raises(NotFound):
        resolve_scan(cat, "6901285000010", LAYOUT)  # inactive
    assert cat.by_sku("OLD") is not None  # still there for refunds


def test_weight_label_for_piece_item_is_refused() -> None:
    cat = MemoryCatalog([Item("X", "X", "X", 100, ("12345",))], [TaxClass("standard", 1300)])
    with pytest.raises(BarcodeError) as e:
        resolve_scan(cat, make_variable_measure("12345", 500, LAYOUT, kind="weight"), LAYOUT)
    assert e.value.code == "barcode.weight_for_piece_item"


def test_memory_catalog_search_quick_keys_and_conflicts() -> None:
    cat = _catalog()
    assert [i.sku for i in cat.search("ban")] == ["BAN"]
    assert [i.sku for i in cat.search("香蕉")] == ["BAN"]
    assert [i.sku for i in cat.search("0360")] == ["UPC"]
    assert cat.search("  ") == []
    cat.set_quick_keys(["BAN", "UPC"])
    assert [i.sku for i in cat.quick_keys()] == ["BAN", "UPC"]
    with pytest.raises(ValueError):
        cat.set_quick_keys(["NOPE"])
    with pytest.raises(ValueError):
        cat.upsert_items([Item("Y", "Y", "Y", 1, ("10001",))])
    cat.upsert_items([Item("BAN", "Bananas", "香蕉", 898, ("10009",), unit="kg")])
    assert cat.by_barcode("10001") is None and cat.by_barcode("10009").price == 898
    with pytest.raises(NotFound):
        cat.tax_class("nope")


def _record(**kw) -> SaleRecord:
    lines = (
        SaleLine(
            1, "COLA", "Cola", "可乐", 2000, "each", 350, 700, 70, 630, "standard", 1300, True, 72
        ),
        SaleLine(2, "BAN", "Bananas", "香蕉", 1250, "kg", 798, 998, 0, 998, "agri", 900, True, 82),
    )
    base = dict(
        sale_id="abc123",
        terminal_id="T1",
        shift_id="S1",
        staff_id="1002",
        currency="CNY",
        started_at="2026-01-05T02:00:00+00:00",
        completed_at="2026-01-05T02:01:30+00:00",
        lines=lines,
        tenders=(TenderRecord("cash", 1628, 2000, 372),),
        subtotal=1698,
        discount_total=70,
        tax_total=154,
        total=1628,
        receipt_no=42,
    )
    base.update(kw)
    return SaleRecord(**base)


def test_receipt_english_is_ascii_and_complete() -> None:
    st = StoreSettings(
        store_name="Corner Café",
        address_lines=("1 Main St",),
        language="en",
        receipt_footer=("Thank you",),
    )
    doc = sale_receipt(_record(), st, clerk_name="Wang Wei")
    texts = [b.text for b in doc.blocks if isinstance(b, Text)]
    rows = [(b.left, b.right) for b in doc.blocks if isinstance(b, Row)]
    assert doc.key == "receipt:42" and doc.kind == "receipt"
    assert "Corner Cafe" in texts and "Cola" in texts and "Bananas" in texts
    assert ("  2 x 3.50", "7.00") in rows
    assert ("  1.250 kg x 7.98", "9.98") in rows
    assert ("  Discount", "-0.70") in rows
    assert ("TOTAL", "CNY 16.28") in rows
    assert ("Cash", "20.00") in rows and ("Change", "CNY 3.72") in rows
    assert ("Clerk", "Wang Wei") in rows and ("Receipt", "42") in rows
    assert ("Time", "2026-01-05 10:01:30") in rows  # Asia/Shanghai
    assert ("Tax standard 13% (incl.)", "0.72") in rows
    assert QR("POS1:T1:abc123") in doc.blocks
    for b in doc.blocks:
        for f in ("text", "left", "right"):
            assert str(getattr(b, f, "")).isascii()


def test_receipt_chinese_uses_chinese_names() -> None:
    doc = sale_receipt(_record(), StoreSettings(store_name="S", store_name_zh="街角小店"))
    texts = [b.text for b in doc.blocks if isinstance(b, Text)]
    rows = [(b.left, b.right) for b in doc.blocks if isinstance(b, Row)]
    assert "街角小店" in texts and "可乐" in texts and "香蕉" in texts
    assert ("合计", "¥16.28") in rows and ("找零", "¥3.72") in rows


def test_training_and_duplicate_titles() -> None:
    st = StoreSettings(language="en")
    doc = sale_receipt(_record(training=True), st)
    assert doc.blocks[0].text == "TRAINING - NOT A RECEIPT"
    assert doc.blocks[-2].text == "TRAINING - NOT A RECEIPT"
    assert doc.key.startswith("training:")
    dup = sale_receipt(_record(), st, duplicate=True, copy_no=3)
    assert dup.blocks[0].text == "DUPLICATE" and dup.key == "receipt:42:dup3"


def test_refund_receipt() -> None:
    st = StoreSettings(language="en")
    doc = sale_receipt(
        _record(kind="refund", original_sale_id="orig9999", reason="broken", approver_id="1001"),
        st,
        approver_name="Li Na",
    )
    rows = [(b.left, b.right) for b in doc.blocks if isinstance(b, Row)]
    texts = [b.text for b in doc.blocks if isinstance(b, Text)]
    assert "REFUND" in texts
    assert ("Original sale", "orig9999") in rows and ("Refunded", "CNY 16.28") in rows
    assert ("Approved by", "Li Na") in rows and ("Reason", "broken") in rows


def test_report_doc() -> None:
    totals = ReportTotals(
        sales_count=3,
        net_sales=5000,
        by_tender={"cash": 3000, "qr": 2000},
        opening_float=10000,
        first_receipt=1,
        last_receipt=3,
    )
    st = StoreSettings(language="en")
    when = datetime(2026, 1, 5, 14, tzinfo=UTC)
    z = report_doc("z", totals, st, printed_at=when, number=7)
    rows = [(b.left, b.right) for b in z.blocks if isinstance(b, Row)]
    assert z.key == "z:7"
    assert ("Expected cash", "CNY 130.00") in rows and ("Receipts", "1-3") in rows
    assert ("Mobile pay", "20.00") in rows
    x = report_doc("x", totals, st, printed_at=when)
    assert x.key.startswith("x:")
    with pytest.raises(ValueError):
        report_doc("q", totals, st, printed_at=when)


def test_ascii_safe() -> None:
    assert ascii_safe("Crème brûlée") == "Creme brulee"
    assert ascii_safe("可乐") == "??"


def test_clocks() -> None:
    c = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    m = c.monotonic()
    c.advance(90)
    assert c.now() == datetime(2026, 3, 1, 0, 1, 30, tzinfo=UTC) and c.monotonic() == m + 90
    with pytest.raises(ValueError):
        c.advance(-1)
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 3, 1))
    s = SystemClock()
    assert s.now().tzinfo is not None and s.monotonic() <= s.monotonic()


def test_business_day() -> None:
    st = StoreSettings(timezone="Asia/Shanghai", business_day_start_hour=4)
    # 02:00 local on Jan 5 belongs to the business day that began 04:00 local on Jan 4.
    when = datetime(2026, 1, 4, 18, tzinfo=UTC)
    assert st.business_day_start(when) == datetime(2026, 1, 3, 20, tzinfo=UTC)
    when = datetime(2026, 1, 4, 21, tzinfo=UTC)  # 05:00 local Jan 5
    assert st.business_day_start(when) == datetime(2026, 1, 4, 20, tzinfo=UTC)
    with pytest.raises(MoneyFormatError):
        StoreSettings(currency="XXX")
    with pytest.raises(ValueError):
        StoreSettings(timezone="Mars/Base").tz()
    assert with_check_digit("690128500001") == "6901285000010"
