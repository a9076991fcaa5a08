"""Printable documents: sale and refund receipts, X and Z reports, as ``PrintDoc`` blocks.

Core says what a document says; the printer driver decides columns, code page or raster. English
documents are kept to ASCII so any printer code page shows them; zh_CN documents use Chinese item
names and labels and rely on the driver's GB18030 or raster path.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from terminal.core.money import format_amount, format_money, format_qty
from terminal.core.records import (
    QR,
    Block,
    Feed,
    PrintDoc,
    ReportTotals,
    Row,
    Rule,
    SaleRecord,
    Text,
)
from terminal.core.settings import StoreSettings

TRAINING_TITLE = "TRAINING - NOT A RECEIPT"
DUPLICATE_TITLE = "DUPLICATE"
REPRINT_TITLES = {"en": "REPRINT", "zh_CN": "重印"}
"""What a receipt printed again after an interrupted attempt says at its top."""

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "receipt": "Receipt",
        "refund": "REFUND",
        "subtotal": "Subtotal",
        "discount": "Discount",
        "discounts": "Discounts",
        "tax": "Tax",
        "incl": "incl.",
        "excl": "added",
        "rounding": "Rounding",
        "total": "TOTAL",
        "cash": "Cash",
        "card": "Card",
        "qr": "Mobile pay",
        "change": "Change",
        "clerk": "Clerk",
        "terminal": "Terminal",
        "time": "Time",
        "original": "Original sale",
        "approved_by": "Approved by",
        "refunded": "Refunded",
        "items": "Items",
        "x_report": "X REPORT",
        "z_report": "Z REPORT",
        "sales": "Sales",
        "refunds": "Refunds",
        "gross": "Gross",
        "net_sales": "Net sales",
        "line_voids": "Line voids",
        "sale_voids": "Sale voids",
        "no_sales": "No-sale opens",
        "cash_in": "Cash in",
        "cash_out": "Cash out",
        "float": "Opening float",
        "expected_cash": "Expected cash",
        "receipts": "Receipts",
        "shift": "Shift",
        "reason": "Reason",
    },
    "zh_CN": {
        "receipt": "小票号",
        "refund": "退货单",
        "subtotal": "小计",
        "discount": "折扣",
        "discounts": "折扣合计",
        "tax": "税",
        "incl": "含税",
        "excl": "另加",
        "rounding": "抹零",
        "total": "合计",
        "cash": "现金",
        "card": "银行卡",
        "qr": "扫码支付",
        "change": "找零",
        "clerk": "收银员",
        "terminal": "终端",
        "time": "时间",
        "original": "原销售单",
        "approved_by": "批准人",
        "refunded": "退款",
        "items": "件数",
        "x_report": "X 报表",
        "z_report": "Z 报表",
        "sales": "销售笔数",
        "refunds": "退货笔数",
        "gross": "销售额",
        "net_sales": "净销售额",
        "line_voids": "删除商品",
        "sale_voids": "取消交易",
        "no_sales": "开钱箱",
        "cash_in": "存入现金",
        "cash_out": "取出现金",
        "float": "备用金",
        "expected_cash": "应有现金",
        "receipts": "小票范围",
        "shift": "班次",
        "reason": "原因",
    },
}


def receipt_qr(terminal_id: str, sale_id: str) -> str:
    """What the receipt's QR code holds; ``refund.parse_receipt_qr`` reads it back."""
    return f"POS1:{terminal_id}:{sale_id}"


class _Writer:
    def __init__(self, settings: StoreSettings, language: str | None) -> None:
        self.settings = settings
        self.lang = language or settings.language
        self.zh = self.lang.startswith("zh")
        self.labels = _LABELS["zh_CN" if self.zh else "en"]
        self.reprint = REPRINT_TITLES["zh_CN" if self.zh else "en"]
        self.blocks: list[Block] = []

    def t(self, key: str) -> str:
        return self.labels[key]

    def s(self, text: str) -> str:
        if self.zh:
            return text
        return ascii_safe(text)

    def money(self, minor: int) -> str:
        return format_money(minor, self.settings.currency, self.lang, ascii_only=not self.zh)

    def amount(self, minor: int) -> str:
        return format_amount(minor, self.settings.currency)

    def text(self, text: str, **kw: Any) -> None:
        self.blocks.append(Text(self.s(text), **kw))

    def row(self, left: str, right: str, bold: bool = False) -> None:
        self.blocks.append(Row(self.s(left), self.s(right), bold))

    def rule(self, char: str = "-") -> None:
        self.blocks.append(Rule(char))

    def title(self, training: bool, duplicate: bool) -> None:
        if training:
            self.blocks.append(Text(TRAINING_TITLE, align="center", bold=True, size=2))
        if duplicate:
            self.blocks.append(Text(DUPLICATE_TITLE, align="center", bold=True, size=2))

    def header(self) -> None:
        st = self.settings
        name = st.store_name_zh if self.zh and st.store_name_zh else st.store_name
        self.text(name, align="center", bold=True, size=2)
        for line in st.address_lines:
            self.text(line, align="center")
        self.rule()

    def local_time(self, iso: str) -> str:
        when = datetime.fromisoformat(iso)
        return self.settings.local(when).strftime("%Y-%m-%d %H:%M:%S")


def ascii_safe(text: str) -> str:
    """Accents folded (é -> e), anything else non-ASCII replaced by '?', so a printer in any
    code page prints something readable instead of garbage."""
    folded = unicodedata.normalize("NFKD", text)
    out = []
    for ch in folded:
        if ch.isascii():
            out.append(ch)
        elif unicodedata.combining(ch):
            continue
        else:
            out.append("?")
    return "".join(out)


def sale_receipt(
    record: SaleRecord,
    settings: StoreSettings,
    *,
    clerk_name: str = "",
    approver_name: str = "",
    language: str | None = None,
    duplicate: bool = False,
    copy_no: int | str = 1,
) -> PrintDoc:
    """The customer receipt for a sale or a refund. A reprint passes ``duplicate`` and a new
    ``copy_no`` so the printer treats it as a new job."""
    w = _Writer(settings, language)
    w.title(record.training, duplicate)
    w.header()
    refund = record.kind == "refund"
    if refund:
        w.text(w.t("refund"), align="center", bold=True, size=2)
    if record.receipt_no is not None:
        w.row(w.t("receipt"), str(record.receipt_no), bold=True)
    w.row(w.t("time"), w.local_time(record.completed_at))
    w.row(w.t("terminal"), record.terminal_id)
    w.row(w.t("clerk"), clerk_name or record.staff_id)
    if refund and record.original_sale_id:
        w.row(w.t("original"), record.original_sale_id[:8])
    w.rule()
    for line in record.lines:
        name = line.name_zh if w.zh and line.name_zh else line.name
        w.text(name)
        qty = format_qty(line.qty_milli, line.unit)
        w.row(f"  {qty} x {w.amount(line.unit_price)}", w.amount(line.gross))
        if line.discount:
            w.row(f"  {w.t('discount')}", w.amount(-line.discount))
    w.rule()
    w.row(w.t("subtotal"), w.amount(record.subtotal))
    if record.discount_total:
        w.row(w.t("discounts"), w.amount(-record.discount_total))
    for code, rate, inclusive, tax in _tax_summary(record):
        mode = w.t("incl") if inclusive else w.t("excl")
        pct = f"{rate // 100}" if rate % 100 == 0 else f"{rate // 100}.{rate % 100:02d}".rstrip("0")
        w.row(f"{w.t('tax')} {code} {pct}% ({mode})", w.amount(tax))
    if record.rounding:
        w.row(w.t("rounding"), w.amount(record.rounding))
    label = w.t("refunded") if refund else w.t("total")
    w.row(label, w.money(record.total), bold=True)
    w.rule()
    for tender in record.tenders:
        kind = w.t(tender.kind) if tender.kind in ("cash", "card", "qr") else tender.kind
        shown = tender.tendered if tender.kind == "cash" else tender.amount
        w.row(kind, w.amount(shown))
        if tender.reference:
            w.row(f"  {tender.provider or 'ref'}", tender.reference)
    if record.change:
        w.row(w.t("change"), w.money(record.change), bold=True)
    if record.approver_id:
        w.row(w.t("approved_by"), approver_name or record.approver_id)
    if refund and record.reason:
        w.row(w.t("reason"), record.reason)
    w.rule()
    w.blocks.append(QR(receipt_qr(record.terminal_id, record.sale_id)))
    for footer_line in settings.receipt_footer:
        w.text(footer_line, align="center")
    if record.training:
        w.blocks.append(Text(TRAINING_TITLE, align="center", bold=True))
    w.blocks.append(Feed(2))
    number = record.receipt_no if record.receipt_no is not None else record.sale_id
    key = receipt_key(number, record.training) + (f":dup{copy_no}" if duplicate else "")
    return PrintDoc(key=key, kind="receipt", blocks=tuple(w.blocks), reprint_title=w.reprint)


def receipt_key(number: int | str, training: bool) -> str:
    """The print job key of a sale's or refund's receipt (its first copy)."""
    return f"{'training:' if training else ''}receipt:{number}"


def _tax_summary(record: SaleRecord) -> list[tuple[str, int, bool, int]]:
    acc: dict[tuple[str, int, bool], int] = {}
    for line in record.lines:
        k = (line.tax_class, line.tax_rate_bp, line.tax_inclusive)
        acc[k] = acc.get(k, 0) + line.tax
    return [(c, r, i, v) for (c, r, i), v in sorted(acc.items())]


def report_doc(
    report: str,
    totals: ReportTotals,
    settings: StoreSettings,
    *,
    printed_at: datetime,
    number: int | None = None,
    duplicate: bool = False,
    copy_no: int | str = 1,
    clerk_name: str = "",
    shift_id: str | None = None,
    language: str | None = None,
    training: bool = False,
) -> PrintDoc:
    """An X (``report="x"``, mid-shift, not numbered) or Z (``"z"``, numbered) report."""
    if report not in ("x", "z"):
        raise ValueError(f"unknown report {report!r}")
    w = _Writer(settings, language)
    w.title(training, duplicate)
    w.header()
    title = w.t("x_report") if report == "x" else w.t("z_report")
    if number is not None:
        title = f"{title} #{number}"
    w.text(title, align="center", bold=True, size=2)
    w.row(w.t("time"), settings.local(printed_at).strftime("%Y-%m-%d %H:%M:%S"))
    w.row(w.t("terminal"), settings.terminal_id)
    if shift_id:
        w.row(w.t("shift"), shift_id[:8])
    if clerk_name:
        w.row(w.t("clerk"), clerk_name)
    w.rule()
    w.row(w.t("sales"), str(totals.sales_count))
    w.row(w.t("items"), format_qty(totals.items_milli, "kg" if totals.items_milli % 1000 else ""))
    w.row(w.t("gross"), w.amount(totals.gross))
    w.row(w.t("discounts"), w.amount(-totals.discounts))
    w.row(w.t("tax"), w.amount(totals.tax))
    if totals.rounding:
        w.row(w.t("rounding"), w.amount(totals.rounding))
    w.row(w.t("net_sales"), w.money(totals.net_sales), bold=True)
    w.row(w.t("refunds"), f"{totals.refunds_count} / {w.amount(totals.refunds_total)}")
    w.rule()
    for kind, amount in sorted(totals.by_tender.items()):
        label = w.t(kind) if kind in ("cash", "card", "qr") else kind
        w.row(label, w.amount(amount))
    w.rule()
    w.row(w.t("float"), w.amount(totals.opening_float))
    w.row(w.t("cash_in"), w.amount(totals.cash_in))
    w.row(w.t("cash_out"), w.amount(totals.cash_out))
    w.row(w.t("expected_cash"), w.money(totals.expected_cash), bold=True)
    w.rule()
    w.row(w.t("line_voids"), str(totals.line_voids))
    w.row(w.t("sale_voids"), str(totals.sale_voids))
    w.row(w.t("no_sales"), str(totals.no_sales))
    if totals.first_receipt is not None:
        w.row(w.t("receipts"), f"{totals.first_receipt}-{totals.last_receipt}")
    w.blocks.append(Feed(2))
    stamp = printed_at.strftime("%Y%m%dT%H%M%S%f")
    dup = f":dup{copy_no}" if duplicate else ""
    key = f"z:{number}{dup}" if report == "z" else f"x:{stamp}"
    if training:
        key = "training:" + key
    return PrintDoc(key=key, kind="report", blocks=tuple(w.blocks), reprint_title=w.reprint)


def shift_close_doc(
    result: Mapping[str, Any],
    settings: StoreSettings,
    *,
    printed_at: datetime,
    clerk_name: str = "",
    language: str | None = None,
) -> PrintDoc:
    """The slip printed when a shift closes: counted, expected, over/short."""
    w = _Writer(settings, language)
    w.header()
    w.text("SHIFT CLOSE" if not w.zh else "交班", align="center", bold=True, size=2)
    w.row(w.t("time"), settings.local(printed_at).strftime("%Y-%m-%d %H:%M:%S"))
    w.row(w.t("shift"), str(result["shift_id"])[:8])
    if clerk_name:
        w.row(w.t("clerk"), clerk_name)
    w.rule()
    w.row(w.t("expected_cash"), w.money(int(result["expected"])))
    w.row("Counted" if not w.zh else "实点现金", w.money(int(result["counted"])))
    w.row("Over/short" if not w.zh else "长短款", w.money(int(result["over_short"])), bold=True)
    w.blocks.append(Feed(2))
    return PrintDoc(
        key=f"shift:{result['shift_id']}:close",
        kind="report",
        blocks=tuple(w.blocks),
        reprint_title=w.reprint,
    )
