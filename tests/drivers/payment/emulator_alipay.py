"""An emulator of the Alipay open API gateway for payment codes (``alipay.trade.pay`` with
scene bar_code, ``.query``, ``.cancel``, ``.refund``): form POSTs whose RSA2 signature is
checked with the app's public key, fields checked, answers signed with Alipay's private key
over the exact text of the ``..._response`` object.

What a payment does is chosen by its payment code (``script``): success, paying (10003, then
TRADE_SUCCESS after ``paying_queries`` queries), paying_forever, system_error (20000, yet the
trade is paid), notenough (ACQ.BUYER_BALANCE_NOT_ENOUGH).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs

from cryptography.hazmat.primitives.asymmetric import rsa

from terminal.drivers.payment.alipay import rsa2_sign, rsa2_verify, signing_text
from terminal.drivers.payment.codes import fen, yuan
from tests.drivers.payment.emulator_base import Emulator
from tests.drivers.payment.tls import EmulatorCA

APP_ID = "2021000117600000"
_METHODS = {
    "alipay.trade.pay": ("out_trade_no", "scene", "auth_code", "subject", "total_amount"),
    "alipay.trade.query": ("out_trade_no",),
    "alipay.trade.cancel": ("out_trade_no",),
    "alipay.trade.refund": ("out_trade_no", "refund_amount", "out_request_no"),
}


@dataclass
class Trade:
    out_trade_no: str
    amount: int
    status: str
    scenario: str
    trade_no: str
    queries: int = 0
    refunds: dict[str, int] = field(default_factory=dict)


class AlipayEmulator(Emulator):
    def __init__(
        self, ca: EmulatorCA, app_public: rsa.RSAPublicKey, alipay_private: rsa.RSAPrivateKey
    ) -> None:
        self.app_public = app_public
        self.alipay_private = alipay_private
        self.trades: dict[str, Trade] = {}
        self.script: dict[str, str] = {}
        self.paying_queries = 2
        self.tamper = 0
        self.refund_error = ""
        self.payments_taken = 0
        super().__init__(ca)

    def answer(self, path: str, body: str, client_cert: bool) -> tuple[int, str, str]:
        params = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        method = params.get("method", "")
        name = method.replace(".", "_") + "_response" if method in _METHODS else "error_response"
        problem, biz = self._check(params)
        if problem:
            self.error(problem)
            response = {"code": "40002", "msg": "Invalid Arguments", "sub_code": problem}
        else:
            response = {
                "alipay.trade.pay": self._pay,
                "alipay.trade.query": self._query,
                "alipay.trade.cancel": self._cancel,
                "alipay.trade.refund": self._refund,
            }[method](biz)
        # A brace inside a string: verification must find the object's end with a JSON parser.
        response.setdefault("msg", "Success" if response.get("code") == "10000" else "Failed")
        response["store_name"] = "Tea {and} cake }"
        raw = json.dumps(response, ensure_ascii=False)
        signature = rsa2_sign(raw, self.alipay_private)
        if self.tamper:
            self.tamper -= 1
            raw = raw.replace('"code": "', '"code" : "', 1)
        return 200, f'{{"{name}":{raw},"sign":"{signature}"}}', "application/json;charset=utf-8"

    def _check(self, p: dict[str, str]) -> tuple[str, dict[str, str]]:
        for k in (
            "app_id",
            "method",
            "format",
            "charset",
            "sign_type",
            "sign",
            "timestamp",
            "version",
            "biz_content",
        ):
            if not p.get(k):
                return f"isv.missing-{k}", {}
        if p["app_id"] != APP_ID:
            return "isv.invalid-app-id", {}
        if p["method"] not in _METHODS:
            return "isv.invalid-method", {}
        if (p["format"], p["charset"], p["sign_type"], p["version"]) != (
            "JSON",
            "utf-8",
            "RSA2",
            "1.0",
        ):
            return "isv.invalid-parameter", {}
        try:
            datetime.strptime(p["timestamp"], "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return "isv.invalid-timestamp", {}
        if not rsa2_verify(signing_text(p), p["sign"], self.app_public):
            return "isv.invalid-signature", {}
        biz = json.loads(p["biz_content"])
        for k in _METHODS[p["method"]]:
            if not biz.get(k):
                return f"isv.missing-{k}", {}
        if not re.fullmatch(r"[0-9A-Za-z_]{1,64}", biz["out_trade_no"]):
            return "ACQ.INVALID_PARAMETER out_trade_no", {}
        for k in ("total_amount", "refund_amount"):
            if k in biz and not re.fullmatch(r"\d+\.\d{2}", biz[k]):
                return f"ACQ.INVALID_PARAMETER {k}", {}
        pay = p["method"] == "alipay.trade.pay"
        if pay and (
            biz["scene"] != "bar_code"
            or not re.fullmatch(r"(2[5-9]|30)\d{14,22}", biz["auth_code"])
        ):
            return "ACQ.INVALID_PARAMETER scene/auth_code", {}
        return "", biz

    @staticmethod
    def _biz_fail(sub: str, text: str, code: str = "40004") -> dict[str, str]:
        return {"code": code, "msg": "Business Failed", "sub_code": sub, "sub_msg": text}

    def _paid(self, t: Trade) -> dict[str, str]:
        return {
            "code": "10000",
            "trade_no": t.trade_no,
            "out_trade_no": t.out_trade_no,
            "buyer_logon_id": "159****5620",
            "total_amount": yuan(t.amount),
            "receipt_amount": yuan(t.amount),
            "gmt_payment": "2026-12-04 12:00:00",
        }

    def _pay(self, biz: dict[str, str]) -> dict[str, str]:
        no = biz["out_trade_no"]
        old = self.trades.get(no)
        if old is not None:
            if old.status == "TRADE_SUCCESS":
                return self._biz_fail("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
            if old.status == "TRADE_CLOSED":
                return self._biz_fail("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
            return self._biz_fail("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
        scenario = self.script.get(biz["auth_code"], "success")
        t = Trade(
            no,
            fen(biz["total_amount"]),
            "WAIT_BUYER_PAY",
            scenario,
            f"2026120422001{len(self.trades) + 1:015d}",
        )
        self.trades[no] = t
        if scenario == "notenough":
            t.status = "TRADE_CLOSED"
            return self._biz_fail("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足")
        if scenario in ("success", "system_error"):
            t.status = "TRADE_SUCCESS"
            self.payments_taken += 1
        if scenario == "success":
            return self._paid(t)
        if scenario == "system_error":
            return {
                "code": "20000",
                "msg": "Service Currently Unavailable",
                "sub_code": "isp.unknow-error",
                "sub_msg": "系统繁忙",
            }
        return {"code": "10003", "msg": "order success pay inprocess", "out_trade_no": no}

    def _query(self, biz: dict[str, str]) -> dict[str, str]:
        t = self.trades.get(biz["out_trade_no"])
        if t is None:
            return self._biz_fail("ACQ.TRADE_NOT_EXIST", "交易不存在")
        t.queries += 1
        if (
            t.status == "WAIT_BUYER_PAY"
            and t.scenario == "paying"
            and (t.queries >= self.paying_queries)
        ):
            t.status = "TRADE_SUCCESS"
            self.payments_taken += 1
        if t.status == "TRADE_SUCCESS":
            return {**self._paid(t), "trade_status": "TRADE_SUCCESS"}
        return {
            "code": "10000",
            "out_trade_no": t.out_trade_no,
            "trade_no": t.trade_no,
            "trade_status": t.status,
        }

    def _cancel(self, biz: dict[str, str]) -> dict[str, str]:
        t = self.trades.get(biz["out_trade_no"])
        action = "close"
        if t is not None:
            if t.status == "TRADE_SUCCESS":
                self.payments_taken -= 1
                action = "refund"
            t.status = "TRADE_CLOSED"
        return {
            "code": "10000",
            "out_trade_no": biz["out_trade_no"],
            "retry_flag": "N",
            "action": action,
        }

    def _refund(self, biz: dict[str, str]) -> dict[str, str]:
        t = self.trades.get(biz["out_trade_no"])
        if t is None or t.status != "TRADE_SUCCESS":
            return self._biz_fail("ACQ.TRADE_NOT_EXIST", "交易不存在")
        if self.refund_error:
            return self._biz_fail(self.refund_error, "卖家余额不足")
        no, amount = biz["out_request_no"], fen(biz["refund_amount"])
        fund_change = "N"
        if no not in t.refunds:
            if sum(t.refunds.values()) + amount > t.amount:
                return self._biz_fail("ACQ.REASON_TRADE_REFUND_FEE_ERR", "退款金额超限")
            t.refunds[no] = amount
            fund_change = "Y"
        return {
            "code": "10000",
            "trade_no": t.trade_no,
            "out_trade_no": t.out_trade_no,
            "fund_change": fund_change,
            "refund_fee": yuan(sum(t.refunds.values())),
        }
