"""An emulator of WeChat Pay API v2's payment-code calls (micropay, orderquery, reverse,
refund) as WeChat documents them: XML over HTTPS, every request's signature, merchant and
fields checked, every answer signed with the request's sign type, /secapi calls only with a
client certificate.

What a payment does is chosen by its payment code (``script``):
success, paying (USERPAYING, then SUCCESS after ``paying_queries`` queries), paying_forever,
system_error (SYSTEMERROR, yet the order is paid), notenough (insufficient balance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from terminal.drivers.payment.wechat import from_xml, sign, to_xml
from tests.drivers.payment.emulator_base import Emulator
from tests.drivers.payment.tls import EmulatorCA

APPID, MCH_ID = "wx2421b1c4370ec43b", "10000100"
API_KEY = "192006250b4c09247ec02edce69f6a2d"

_REQUIRED = {
    "/pay/micropay": ("body", "out_trade_no", "total_fee", "spbill_create_ip", "auth_code"),
    "/pay/orderquery": ("out_trade_no",),
    "/secapi/pay/reverse": ("out_trade_no",),
    "/secapi/pay/refund": ("out_trade_no", "out_refund_no", "total_fee", "refund_fee"),
}


@dataclass
class Order:
    out_trade_no: str
    amount: int
    auth_code: str
    state: str
    """SUCCESS, USERPAYING, REVOKED, PAYERROR."""
    scenario: str
    transaction_id: str
    queries: int = 0
    refunds: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def refunded(self) -> int:
        return sum(a for _, a in self.refunds.values())


class WeChatEmulator(Emulator):
    def __init__(self, ca: EmulatorCA) -> None:
        self.orders: dict[str, Order] = {}
        self.script: dict[str, str] = {}
        self.paying_queries = 2
        self.tamper = 0
        """The next this many signed answers get a wrong signature."""
        self.forge = 0
        """The next this many micropay answers claim "paid", signed with the wrong key."""
        self.refund_error = ""
        self.reverse_error = ""
        self.payments_taken = 0
        super().__init__(ca)

    def answer(self, path: str, body: str, client_cert: bool) -> tuple[int, str, str]:
        try:
            req = from_xml(body)
        except OSError as exc:
            self.error(f"{path}: {exc}")
            return self._fail("XML_FORMAT_ERROR")
        problem = self._check(path, req, client_cert)
        if problem:
            self.error(f"{path}: {problem}")
            return self._fail(problem)
        handler = {
            "/pay/micropay": self._micropay,
            "/pay/orderquery": self._query,
            "/secapi/pay/reverse": self._reverse,
            "/secapi/pay/refund": self._refund,
        }[path]
        fields = {"return_code": "SUCCESS", "return_msg": "OK", **handler(req)}
        if self.forge and path == "/pay/micropay":
            # Someone between us and WeChat claims the payment went through.
            self.forge -= 1
            fields.update(self._paid_fields(self.orders[req["out_trade_no"]]))
            self.tamper += 1
        fields.update(appid=APPID, mch_id=MCH_ID, nonce_str="5K8264ILTKCH16CQ2502SI8ZNMTM67VS")
        sign_type = req.get("sign_type", "MD5")
        fields["sign"] = sign(fields, API_KEY, sign_type)
        if self.tamper:
            self.tamper -= 1
            fields["sign"] = sign(fields, "0" * 32, sign_type)
        return 200, to_xml(fields).decode("utf-8"), "text/xml"

    def _check(self, path: str, req: dict[str, str], client_cert: bool) -> str:
        if path not in _REQUIRED:
            return f"no such API {path}"
        if path.startswith("/secapi/") and not client_cert:
            return "no client certificate"
        for k in ("appid", "mch_id", "nonce_str", "sign", *_REQUIRED[path]):
            if not req.get(k):
                return f"LACK_PARAMS {k}"
        if (req["appid"], req["mch_id"]) != (APPID, MCH_ID):
            return "APPID_MCHID_NOT_MATCH"
        if sign(req, API_KEY, req.get("sign_type", "MD5")) != req["sign"]:
            return "SIGNERROR"
        if not re.fullmatch(r"[0-9A-Za-z_\-|*]{1,32}", req["out_trade_no"]):
            return "PARAM_ERROR out_trade_no"
        for k in ("total_fee", "refund_fee"):
            if k in req and not re.fullmatch(r"[1-9]\d*", req[k]):
                return f"PARAM_ERROR {k}"
        if path == "/pay/micropay" and not re.fullmatch(r"1[0-5]\d{16}", req["auth_code"]):
            return "AUTH_CODE_INVALID"
        return ""

    def _fail(self, message: str) -> tuple[int, str, str]:
        fields = {"return_code": "FAIL", "return_msg": message}
        return 200, to_xml(fields).decode("utf-8"), "text/xml"

    @staticmethod
    def _err(code: str, text: str = "") -> dict[str, str]:
        return {"result_code": "FAIL", "err_code": code, "err_code_des": text or code}

    def _paid_fields(self, o: Order) -> dict[str, str]:
        return {
            "result_code": "SUCCESS",
            "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            "trade_type": "MICROPAY",
            "bank_type": "CMC",
            "total_fee": str(o.amount),
            "cash_fee": str(o.amount),
            "transaction_id": o.transaction_id,
            "out_trade_no": o.out_trade_no,
            "time_end": "20261204120000",
        }

    def _micropay(self, req: dict[str, str]) -> dict[str, str]:
        no = req["out_trade_no"]
        old = self.orders.get(no)
        if old is not None:
            if old.state == "SUCCESS":
                return self._err("ORDERPAID", "订单已支付")
            if old.state == "REVOKED":
                return self._err("ORDERREVERSED", "订单已撤销")
            return self._err("OUT_TRADE_NO_USED", "商户订单号重复")
        scenario = self.script.get(req["auth_code"], "success")
        if scenario == "notenough":
            self.orders[no] = Order(
                no, int(req["total_fee"]), req["auth_code"], "PAYERROR", scenario, ""
            )
            return self._err("NOTENOUGH", "余额不足")
        o = Order(
            no,
            int(req["total_fee"]),
            req["auth_code"],
            "USERPAYING",
            scenario,
            f"42000{len(self.orders) + 1:023d}",
        )
        self.orders[no] = o
        if scenario in ("success", "system_error"):
            o.state = "SUCCESS"
            self.payments_taken += 1
        if scenario == "success":
            return self._paid_fields(o)
        if scenario == "system_error":
            return self._err("SYSTEMERROR", "系统超时")
        return self._err("USERPAYING", "需要用户输入支付密码")

    def _query(self, req: dict[str, str]) -> dict[str, str]:
        o = self.orders.get(req["out_trade_no"])
        if o is None:
            return self._err("ORDERNOTEXIST", "此交易订单号不存在")
        o.queries += 1
        if o.state == "USERPAYING" and o.scenario == "paying" and o.queries >= self.paying_queries:
            o.state = "SUCCESS"
            self.payments_taken += 1
        if o.state == "SUCCESS":
            return {**self._paid_fields(o), "trade_state": "SUCCESS"}
        return {
            "result_code": "SUCCESS",
            "out_trade_no": o.out_trade_no,
            "trade_state": o.state,
            "trade_state_desc": {"USERPAYING": "需要用户输入支付密码"}.get(o.state, o.state),
        }

    def _reverse(self, req: dict[str, str]) -> dict[str, str]:
        o = self.orders.get(req["out_trade_no"])
        if o is None:
            return self._err("ORDERNOTEXIST")
        if self.reverse_error:
            return self._err(self.reverse_error, "用户正在支付中的订单不允许撤销，请稍后再试")
        if o.state == "SUCCESS":
            self.payments_taken -= 1  # a reversed paid order is paid back
        o.state = "REVOKED"
        return {"result_code": "SUCCESS", "recall": "N"}

    def _refund(self, req: dict[str, str]) -> dict[str, str]:
        o = self.orders.get(req["out_trade_no"])
        if o is None or o.state != "SUCCESS":
            return self._err("ORDERNOTEXIST", "订单不存在")
        if req["total_fee"] != str(o.amount):
            self.error(f"refund total_fee {req['total_fee']} is not the order's {o.amount}")
            return self._err("PARAM_ERROR", "订单金额或退款金额与之前请求不一致")
        if self.refund_error:
            return self._err(self.refund_error, "基本账户余额不足")
        no, fee = req["out_refund_no"], int(req["refund_fee"])
        if no not in o.refunds:
            if o.refunded + fee > o.amount:
                return self._err("ERROR", "申请退款金额超过订单可退金额")
            o.refunds[no] = (f"50000{len(o.refunds) + 1:025d}", fee)
        refund_id, fee = o.refunds[no]
        return {
            "result_code": "SUCCESS",
            "transaction_id": o.transaction_id,
            "out_trade_no": o.out_trade_no,
            "out_refund_no": no,
            "refund_id": refund_id,
            "refund_fee": str(fee),
            "total_fee": str(o.amount),
            "cash_fee": str(o.amount),
        }
