"""WeChat Pay API v2 for payment codes: micropay, orderquery, reverse and refund, XML over
HTTPS, signed with the merchant's API key (HMAC-SHA256 or MD5), and every signed answer
verified before anything in it is believed. Written from WeChat's v2 documentation; no Python
SDK verifies v2 answers (docs/payments.md)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from terminal.drivers.payment.codes import WECHAT_REASONS, Answer, State, reason
from terminal.drivers.payment.http import BadAnswer, Transport

SIGN_TYPES = ("HMAC-SHA256", "MD5")
DEFAULT_URL = "https://api.mch.weixin.qq.com"


@dataclass(frozen=True, slots=True)
class WeChatCredentials:
    appid: str
    mch_id: str
    api_key: str = field(repr=False)
    cert_file: str = ""
    key_file: str = ""
    """The merchant API certificate and key (PEM) for reverse and refund."""


def sign(fields: Mapping[str, str], api_key: str, sign_type: str = "HMAC-SHA256") -> str:
    """v2 signature: non-empty fields but ``sign``, sorted by name, ``k=v&...&key=API key``,
    MD5 or HMAC-SHA256 keyed with the API key, upper-case hex."""
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "sign" and fields[k] != "")
    text += f"&key={api_key}"
    if sign_type == "MD5":
        return hashlib.md5(text.encode("utf-8")).hexdigest().upper()
    if sign_type == "HMAC-SHA256":
        mac = hmac.new(api_key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256)
        return mac.hexdigest().upper()
    raise ValueError(f"sign type must be HMAC-SHA256 or MD5, not {sign_type!r}")


def to_xml(fields: Mapping[str, str]) -> bytes:
    root = ET.Element("xml")
    for k, v in fields.items():
        ET.SubElement(root, k).text = v
    return ET.tostring(root, encoding="utf-8")


def from_xml(text: str) -> dict[str, str]:
    """Flat ``<xml><k>v</k>...</xml>``; anything else (DTDs included) is a bad answer."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise BadAnswer("WeChat answer carries a DTD")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise BadAnswer(f"WeChat answer is not XML: {exc}") from None
    if root.tag != "xml":
        raise BadAnswer(f"WeChat answer's root is <{root.tag}>")
    return {child.tag: (child.text or "") for child in root}


_PAY_PENDING = {"USERPAYING"}
_PAY_UNKNOWN = {"SYSTEMERROR", "BANKERROR"}
_PAY_USED = {"ORDERPAID", "ORDERCLOSED", "ORDERREVERSED", "OUT_TRADE_NO_USED", "BUYER_MISMATCH"}
_QUERY = {
    "SUCCESS": State.PAID,
    "REFUND": State.PAID,
    "USERPAYING": State.PENDING,
    "NOTPAY": State.PENDING,
    "ACCEPT": State.PENDING,
    "CLOSED": State.FAILED,
    "REVOKED": State.FAILED,
    "PAYERROR": State.FAILED,
}
_REFUND_RETRY = {"SYSTEMERROR", "BIZERR_NEED_RETRY"}


class WeChatApi:
    """The four v2 calls as ``ProviderApi``."""

    name = "wechat"
    prefix = "W"

    def __init__(
        self,
        credentials: WeChatCredentials,
        transport: Transport,
        *,
        base_url: str = DEFAULT_URL,
        sign_type: str = "HMAC-SHA256",
        client_ip: str = "127.0.0.1",
        body: str = "POS sale",
        nonce: Callable[[], str] = lambda: secrets.token_hex(16),
    ) -> None:
        if sign_type not in SIGN_TYPES:
            raise ValueError(f"sign type must be HMAC-SHA256 or MD5, not {sign_type!r}")
        self.credentials = credentials
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.sign_type = sign_type
        self.client_ip = client_ip
        self.body = body[:127]
        self._nonce = nonce

    def call(
        self, path: str, fields: Mapping[str, str], timeout: float, *, with_cert: bool = False
    ) -> dict[str, str]:
        """The verified answer of a business call; ``return_code=FAIL`` (unsigned by WeChat's
        rules) comes back as it is, with no business field in it to believe."""
        c = self.credentials
        request = {
            "appid": c.appid,
            "mch_id": c.mch_id,
            "nonce_str": self._nonce(),
            "sign_type": self.sign_type,
            **fields,
        }
        request["sign"] = sign(request, c.api_key, self.sign_type)
        text = self.transport.post(
            self.base_url + path,
            data=to_xml(request),
            content_type="text/xml; charset=utf-8",
            with_cert=with_cert,
            read_timeout=timeout,
        )
        answer = from_xml(text)
        if answer.get("return_code") != "SUCCESS":
            return {"return_code": "FAIL", "return_msg": answer.get("return_msg", "")}
        given = answer.get("sign", "")
        if not hmac.compare_digest(given, sign(answer, c.api_key, self.sign_type)):
            raise BadAnswer(f"WeChat answer to {path} has a wrong signature")
        if answer.get("appid") != c.appid or answer.get("mch_id") != c.mch_id:
            raise BadAnswer(f"WeChat answer to {path} is for another merchant")
        return answer

    def pay(self, out_trade_no: str, auth_code: str, amount: int, timeout: float) -> Answer:
        a = self.call(
            "/pay/micropay",
            {
                "body": self.body,
                "out_trade_no": out_trade_no,
                "total_fee": str(amount),
                "spbill_create_ip": self.client_ip,
                "auth_code": auth_code,
            },
            timeout,
        )
        if a["return_code"] != "SUCCESS":
            # The gateway refused before the business layer; unsigned, so only a query says
            # whether an order exists.
            return Answer(State.UNKNOWN, message=a["return_msg"])
        if a.get("result_code") == "SUCCESS":
            return self._paid(a, out_trade_no)
        code = a.get("err_code", "")
        message = reason(WECHAT_REASONS, code, a.get("err_code_des", ""))
        if code in _PAY_PENDING:
            return Answer(State.PENDING, code=code, message=message)
        if code in _PAY_UNKNOWN:
            return Answer(State.UNKNOWN, code=code, message=message)
        if code in _PAY_USED:
            return Answer(State.USED, code=code, message=message)
        return Answer(State.FAILED, code=code, message=message)

    def query(self, out_trade_no: str, timeout: float) -> Answer:
        a = self.call("/pay/orderquery", {"out_trade_no": out_trade_no}, timeout)
        if a["return_code"] != "SUCCESS":
            return Answer(State.UNKNOWN, message=a["return_msg"])
        if a.get("result_code") != "SUCCESS":
            code = a.get("err_code", "")
            return Answer(State.UNKNOWN, code=code, message=a.get("err_code_des", code))
        trade_state = a.get("trade_state", "")
        state = _QUERY.get(trade_state, State.UNKNOWN)
        if state is State.PAID:
            return self._paid(a, out_trade_no)
        message = reason(WECHAT_REASONS, trade_state, a.get("trade_state_desc", ""))
        return Answer(state, code=trade_state, message=message)

    def reverse(self, out_trade_no: str, timeout: float) -> Answer:
        a = self.call(
            "/secapi/pay/reverse", {"out_trade_no": out_trade_no}, timeout, with_cert=True
        )
        if a["return_code"] != "SUCCESS":
            return Answer(State.UNKNOWN, message=a["return_msg"])
        if a.get("result_code") == "SUCCESS" and a.get("recall", "N") != "Y":
            return Answer(State.DONE)
        code = a.get("err_code", "")
        return Answer(State.UNKNOWN, code=code, message=a.get("err_code_des", "recall"))

    def refund(self, out_trade_no: str, out_refund_no: str, amount: int, timeout: float) -> Answer:
        order = self.query(out_trade_no, timeout)
        if order.state is State.UNKNOWN:
            return order
        if order.state is not State.PAID or order.amount is None:
            return Answer(State.FAILED, message=f"payment {out_trade_no} is not paid")
        a = self.call(
            "/secapi/pay/refund",
            {
                "out_trade_no": out_trade_no,
                "out_refund_no": out_refund_no,
                "total_fee": str(order.amount),
                "refund_fee": str(amount),
            },
            timeout,
            with_cert=True,
        )
        if a["return_code"] != "SUCCESS":
            return Answer(State.UNKNOWN, message=a["return_msg"])
        if a.get("result_code") == "SUCCESS":
            if a.get("out_refund_no") != out_refund_no or a.get("refund_fee") != str(amount):
                raise BadAnswer("WeChat refund answer is for another refund")
            return Answer(State.DONE, transaction_id=a.get("refund_id", ""), amount=amount)
        code = a.get("err_code", "")
        message = reason(WECHAT_REASONS, code, a.get("err_code_des", ""))
        return Answer(
            State.UNKNOWN if code in _REFUND_RETRY else State.FAILED, code=code, message=message
        )

    @staticmethod
    def _paid(a: Mapping[str, str], out_trade_no: str) -> Answer:
        if a.get("out_trade_no") != out_trade_no:
            raise BadAnswer("WeChat answer is for another order")
        try:
            total = int(a.get("total_fee", ""))
        except ValueError:
            raise BadAnswer("WeChat answer has no total_fee") from None
        return Answer(State.PAID, transaction_id=a.get("transaction_id", ""), amount=total)
