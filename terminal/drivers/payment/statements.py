"""The providers' daily statements, read and matched against the journal: WeChat Pay's trade
bill (``downloadbill``, every field prefixed with a backtick) and Alipay's 业务明细 CSV (GBK,
``#`` comment lines, refunds as negative amounts). Every statement line is matched to a
journaled QR payment or refund by the merchant order number; what does not match, on either
side, is listed, and so is a number whose amounts differ."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from terminal.core.records import JournalEntry
from terminal.drivers.payment.codes import fen, yuan

_WECHAT_SUMMARY = "总交易单数"


@dataclass(frozen=True, slots=True)
class StatementLine:
    provider: str
    out_trade_no: str
    kind: str
    """"payment" or "refund"."""
    amount: int
    """Fen, positive for both kinds."""
    transaction_id: str = ""
    refund_no: str = ""
    time: str = ""


def _money(text: str) -> int:
    text = text.strip()
    negative = text.startswith("-")
    value = fen(text.lstrip("-"))
    return -value if negative else value


def parse_wechat_bill(text: str) -> list[StatementLine]:
    """A ``bill_type=ALL`` bill (or SUCCESS/REFUND): the header names the columns, then one
    line per record until the summary header."""
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if r]
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    col = {name: i for i, name in enumerate(header)}
    for needed in ("商户订单号", "交易状态"):
        if needed not in col:
            raise ValueError(f"not a WeChat Pay bill: no {needed} column")
    out: list[StatementLine] = []
    for row in rows[1:]:
        if row[0].strip().startswith(_WECHAT_SUMMARY):
            break
        cells = [c.strip().removeprefix("`") for c in row]

        def cell(name: str, cells: list[str] = cells) -> str:
            i = col.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        state = cell("交易状态")
        common = {
            "provider": "wechat",
            "out_trade_no": cell("商户订单号"),
            "transaction_id": cell("微信订单号"),
            "time": cell("交易时间"),
        }
        if state == "REFUND":
            amount = cell("申请退款金额") or cell("退款金额")
            out.append(
                StatementLine(
                    **common, kind="refund", amount=abs(_money(amount)),
                    refund_no=cell("商户退款单号"),
                )
            )  # fmt: skip
        elif state == "SUCCESS":
            amount = cell("订单金额") or cell("应结订单金额")
            out.append(StatementLine(**common, kind="payment", amount=_money(amount)))
    return out


def parse_alipay_bill(text: str) -> list[StatementLine]:
    """The 业务明细 CSV: ``#`` lines around a header and one line per 交易 or 退款."""
    body = [ln for ln in text.lstrip("\ufeff").splitlines() if ln and not ln.startswith("#")]
    rows = list(csv.reader(body))
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    col = {name: i for i, name in enumerate(header)}
    for needed in ("商户订单号", "业务类型", "订单金额（元）"):
        if needed not in col:
            raise ValueError(f"not an Alipay statement: no {needed} column")
    out: list[StatementLine] = []
    for row in rows[1:]:
        cells = [c.strip() for c in row]

        def cell(name: str, cells: list[str] = cells) -> str:
            i = col.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        kind = {"交易": "payment", "退款": "refund"}.get(cell("业务类型"))
        if kind is None:
            continue
        out.append(
            StatementLine(
                provider="alipay",
                out_trade_no=cell("商户订单号"),
                kind=kind,
                amount=abs(_money(cell("订单金额（元）"))),
                transaction_id=cell("支付宝交易号"),
                refund_no=cell("退款批次号/请求号"),
                time=cell("完成时间") or cell("创建时间"),
            )
        )
    return out


def read_alipay_zip(data: bytes) -> list[StatementLine]:
    """The downloaded zip: the detail file (not the 汇总 summary), in GBK."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            # Alipay writes GBK names without the zip UTF-8 flag: zipfile reads them as cp437.
            name = info.filename
            if not info.flag_bits & 0x800:
                name = name.encode("cp437").decode("gbk", errors="replace")
            if name.endswith(".csv") and "汇总" not in name:
                return parse_alipay_bill(z.read(info).decode("gbk"))
    raise ValueError("no detail CSV in the Alipay statement")


def journal_lines(entries: Iterable[JournalEntry]) -> list[StatementLine]:
    """The QR tenders of completed sales and refunds (training excluded), as statement lines
    keyed by the merchant order number they were paid under or went back to."""
    out: list[StatementLine] = []
    for e in entries:
        if e.training or e.kind not in ("sale.completed", "refund.completed"):
            continue
        kind = "refund" if e.kind == "refund.completed" else "payment"
        for t in e.payload.get("tenders", ()):
            if t.get("kind") == "qr" and t.get("reference"):
                out.append(
                    StatementLine(
                        provider=str(t.get("provider", "")),
                        out_trade_no=str(t["reference"]),
                        kind=kind,
                        amount=int(t["amount"]),
                        time=e.ts,
                    )
                )
    return out


@dataclass
class Reconciliation:
    matched: list[tuple[str, str, int]] = field(default_factory=list)
    """(kind, order number, amount) on both sides alike."""
    only_in_statement: list[StatementLine] = field(default_factory=list)
    only_in_journal: list[StatementLine] = field(default_factory=list)
    differing: list[tuple[str, str, int, int]] = field(default_factory=list)
    """(kind, order number, journal amount, statement amount)."""

    @property
    def clean(self) -> bool:
        return not (self.only_in_statement or self.only_in_journal or self.differing)


def reconcile(
    statement: Iterable[StatementLine], journal: Iterable[StatementLine]
) -> Reconciliation:
    """Per (kind, order number), the statement's total against the journal's: several partial
    refunds of one payment count together."""
    theirs: dict[tuple[str, str], list[StatementLine]] = defaultdict(list)
    ours: dict[tuple[str, str], list[StatementLine]] = defaultdict(list)
    for line in statement:
        theirs[(line.kind, line.out_trade_no)].append(line)
    for line in journal:
        ours[(line.kind, line.out_trade_no)].append(line)
    result = Reconciliation()
    for key in sorted(set(theirs) | set(ours)):
        kind, number = key
        if key not in ours:
            result.only_in_statement += theirs[key]
        elif key not in theirs:
            result.only_in_journal += ours[key]
        else:
            a, b = sum(x.amount for x in ours[key]), sum(x.amount for x in theirs[key])
            if a == b:
                result.matched.append((kind, number, a))
            else:
                result.differing.append((kind, number, a, b))
    return result


def render(r: Reconciliation) -> str:
    """The reconciliation as the owner reads it: one line per problem, then the count matched."""
    lines = []
    for x in r.only_in_statement:
        lines.append(
            f"only on the statement: {x.provider} {x.kind} {x.out_trade_no} {yuan(x.amount)}"
            f"{' ' + x.transaction_id if x.transaction_id else ''}"
        )
    for x in r.only_in_journal:
        lines.append(
            f"only in the journal:   {x.provider} {x.kind} {x.out_trade_no} {yuan(x.amount)}"
        )
    for kind, number, ours, theirs in r.differing:
        lines.append(
            f"amounts differ:        {kind} {number} journal {yuan(ours)}, statement {yuan(theirs)}"
        )
    lines.append(f"{len(r.matched)} matched, {len(lines)} problem(s)")
    return "\n".join(lines) + "\n"
