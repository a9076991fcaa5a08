"""The providers' daily statements in their published layouts, matched against journaled QR
payments and refunds: missing, extra and differing lines are each listed."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from terminal.drivers.payment.statements import (
    StatementLine,
    parse_alipay_bill,
    parse_wechat_bill,
    read_alipay_zip,
    reconcile,
)

WECHAT_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
    "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)


def _wx(
    time: str, tx: str, no: str, state: str, amount: str, refund_no: str = "", refund: str = "0.00"
) -> str:
    cells = [
        time,
        "wx2421b1c4370ec43b",
        "10000100",
        "0",
        "",
        tx,
        no,
        "oUpF8uMuAJO",
        "MICROPAY",
        state,
        "CMC",
        "CNY",
        amount if state == "SUCCESS" else "0.00",
        "0.00",
        "50000" + no[-6:] if refund_no else "0",
        refund_no or "0",
        refund,
        "0.00",
        "ORIGINAL" if refund_no else "",
        "SUCCESS" if refund_no else "",
        "POS sale",
        "",
        "0.14000",
        "0.60%",
        amount,
        refund,
        "",
    ]
    return ",".join("`" + c for c in cells)  # fmt: skip


WECHAT_BILL = "\r\n".join(
    [
        WECHAT_HEADER,
        _wx("2026-12-04 10:00:01", "4200001", "WAAAA011", "SUCCESS", "23.50"),
        _wx("2026-12-04 10:05:00", "4200002", "WBBBB011", "SUCCESS", "10.00"),
        _wx("2026-12-04 11:00:00", "4200002", "WBBBB011", "REFUND", "10.00", "RONE", "3.00"),
        _wx("2026-12-04 11:10:00", "4200002", "WBBBB011", "REFUND", "10.00", "RTWO", "2.00"),
        _wx("2026-12-04 12:00:00", "4200003", "WCCCC011", "SUCCESS", "8.80"),
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
        "`5,`42.30,`5.00,`0.00,`0.25000,`42.30,`5.00",
        "",
    ]
)

ALIPAY_BILL = "\n".join(
    [
        "#支付宝业务明细查询",
        "#账号：[20880000000000000156]",
        "#起始日期：[2026年12月04日 00:00:00]   终止日期：[2026年12月05日 00:00:00]",
        "#-----------------------------------------业务明细列表----------------------------------------",
        "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,"
        "对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,"
        "商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,"
        "退款批次号/请求号,服务费（元）,分润（元）,备注",
        "2026120422001000001\t,AAAAA021\t,交易,POS sale,2026-12-04 10:00:00,2026-12-04 10:00:03,"
        ",,,,159****5620,11.75,11.75,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,-0.07,0.00,",
        "2026120422001000001\t,AAAAA021\t,退款,POS sale,2026-12-04 11:00:00,2026-12-04 11:00:01,"
        ",,,,159****5620,-4.00,-4.00,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,RXYZ\t,0.02,0.00,",
        "#-----------------------------------------业务明细列表结束------------------------------------",
        "#交易合计：1笔，商家实收共11.75元，商家优惠共0.00元",
        "#退款合计：1笔，商家实收共-4.00元，商家优惠共0.00元",
        "#导出时间：[2026年12月05日 10:00:00]",
    ]
)  # fmt: skip


def test_wechat_bill_is_read() -> None:
    lines = parse_wechat_bill(WECHAT_BILL)
    assert [(x.kind, x.out_trade_no, x.amount) for x in lines] == [
        ("payment", "WAAAA011", 2350),
        ("payment", "WBBBB011", 1000),
        ("refund", "WBBBB011", 300),
        ("refund", "WBBBB011", 200),
        ("payment", "WCCCC011", 880),
    ]
    assert lines[0].transaction_id == "4200001" and lines[2].refund_no == "RONE"


def test_alipay_bill_is_read_from_its_gbk_zip() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("20880000000000000156_20261204_业务明细(汇总).csv", "#汇总".encode("gbk"))
        z.writestr("20880000000000000156_20261204_业务明细.csv", ALIPAY_BILL.encode("gbk"))
    lines = read_alipay_zip(buf.getvalue())
    assert lines == parse_alipay_bill(ALIPAY_BILL)
    assert [(x.kind, x.out_trade_no, x.amount, x.refund_no) for x in lines] == [
        ("payment", "AAAAA021", 1175, ""),
        ("refund", "AAAAA021", 400, "RXYZ"),
    ]


def test_missing_extra_and_differing_lines_are_listed() -> None:
    statement = parse_wechat_bill(WECHAT_BILL) + parse_alipay_bill(ALIPAY_BILL)
    journal = [
        StatementLine("wechat", "WAAAA011", "payment", 2350),
        StatementLine("wechat", "WBBBB011", "payment", 1000),
        StatementLine("wechat", "WBBBB011", "refund", 300),
        StatementLine("wechat", "WBBBB011", "refund", 200),
        StatementLine("alipay", "AAAAA021", "payment", 1175),
        StatementLine("alipay", "AAAAA021", "refund", 500),  # the statement says 4.00
        StatementLine("wechat", "WDDDD011", "payment", 660),  # not on the statement
    ]
    r = reconcile(statement, journal)
    assert not r.clean
    assert [x.out_trade_no for x in r.only_in_statement] == ["WCCCC011"]
    assert [x.out_trade_no for x in r.only_in_journal] == ["WDDDD011"]
    assert r.differing == [("refund", "AAAAA021", 500, 400)]
    assert ("refund", "WBBBB011", 500) in r.matched and len(r.matched) == 4
    assert reconcile(journal, journal).clean


def test_a_file_that_is_not_a_statement_is_refused() -> None:
    with pytest.raises(ValueError, match="not a WeChat Pay bill"):
        parse_wechat_bill("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not an Alipay statement"):
        parse_alipay_bill("#x\na,b\n1,2\n")


def test_reconcile_command_on_a_ledger_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ledger.builders import post_sale, sale

    from terminal import cli
    from terminal.core.clock import ManualClock
    from terminal.core.records import TenderRecord
    from terminal.ledger.db import ledger_path, open_ledger

    config = tmp_path / "pos-terminal.toml"
    config.write_text(f'[terminal]\nid = "T01"\ndata_dir = "{tmp_path / "data"}"\n')
    led = open_ledger(ledger_path(tmp_path / "data"), "T01", ManualClock())
    paid = sale(1, tenders=[("qr", 100)])
    qr = TenderRecord("qr", paid.total, paid.total, 0, "WAAAA011", "wechat")
    post_sale(led, replace(paid, tenders=(qr,)))
    led.close()
    bill = tmp_path / "wechat.csv"
    amount = f"{paid.total // 100}.{paid.total % 100:02d}"
    bill.write_text(
        "\r\n".join(
            [
                WECHAT_HEADER,
                _wx("2026-12-04 10:00:01", "4200001", "WAAAA011", "SUCCESS", amount),
                _wx("2026-12-04 12:00:00", "4200003", "WCCCC011", "SUCCESS", "8.80"),
            ]
        ),
        encoding="utf-8",
    )
    args = ["--config", str(config), "payments", "reconcile", "--wechat", str(bill)]
    assert cli.main(args) == 1
    out = capsys.readouterr().out
    assert (
        out
        == "only on the statement: wechat payment WCCCC011 8.80 4200003\n1 matched, 1 problem(s)\n"
    )
    assert cli.main(["--config", str(config), "payments", "reconcile"]) == cli.EXIT_USAGE
