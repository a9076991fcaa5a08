"""Alipay open API for payment codes: ``alipay.trade.pay`` (scene ``bar_code``), ``.query``,
``.cancel`` and ``.refund``, form POSTs to the gateway signed RSA2 (SHA256withRSA, PKCS#1 v1.5)
with the app's private key; every answer's signature is checked with Alipay's public key over
the exact text of its ``..._response`` object before anything in it is believed."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from terminal.drivers.payment.codes import ALIPAY_REASONS, Answer, State, fen, reason, yuan
from terminal.drivers.payment.http import BadAnswer, Transport

DEFAULT_URL = "https://openapi.alipay.com/gateway.do"
_BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class AlipayCredentials:
    app_id: str
    app_private_key: rsa.RSAPrivateKey = field(repr=False)
    alipay_public_key: rsa.RSAPublicKey = field(repr=False)


def signing_text(params: Mapping[str, str]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] != "")


def rsa2_sign(text: str, key: rsa.RSAPrivateKey) -> str:
    raw = key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def rsa2_verify(text: str, signature: str, key: rsa.RSAPublicKey) -> bool:
    try:
        key.verify(
            base64.b64decode(signature, validate=True),
            text.encode("utf-8"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def top_level_raw(text: str) -> dict[str, str]:
    """Each top-level member of a JSON object as its exact source text, found with the JSON
    decoder itself, so braces inside strings cannot mislead it (Alipay signs the raw text)."""
    decoder = json.JSONDecoder()
    out: dict[str, str] = {}
    i = _skip(text, 0)
    if text[i : i + 1] != "{":
        raise BadAnswer("Alipay answer is not a JSON object")
    i = _skip(text, i + 1)
    while text[i : i + 1] != "}":
        try:
            key, i = decoder.raw_decode(text, i)
            i = _skip(text, i)
            if text[i : i + 1] != ":":
                raise ValueError("':' expected")
            start = _skip(text, i + 1)
            _, end = decoder.raw_decode(text, start)
        except ValueError as exc:
            raise BadAnswer(f"Alipay answer is not JSON: {exc}") from None
        out[str(key)] = text[start:end]
        i = _skip(text, end)
        if text[i : i + 1] == ",":
            i = _skip(text, i + 1)
        elif text[i : i + 1] != "}":
            raise BadAnswer("Alipay answer is not JSON")
    return out


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


_PAY_USED = {
    "ACQ.TRADE_HAS_SUCCESS",
    "ACQ.TRADE_HAS_CLOSE",
    "ACQ.CONTEXT_INCONSISTENT",
    "ACQ.TRADE_BUYER_NOT_MATCH",
}
_QUERY = {
    "TRADE_SUCCESS": State.PAID,
    "TRADE_FINISHED": State.PAID,
    "WAIT_BUYER_PAY": State.PENDING,
    "TRADE_CLOSED": State.FAILED,
}


class AlipayApi:
    """The four calls as ``ProviderApi``."""

    name = "alipay"
    prefix = "A"

    def __init__(
        self,
        credentials: AlipayCredentials,
        transport: Transport,
        *,
        gateway: str = DEFAULT_URL,
        subject: str = "POS sale",
        now: Callable[[], datetime] = lambda: datetime.now(_BEIJING),
    ) -> None:
        self.credentials = credentials
        self.transport = transport
        self.gateway = gateway
        self.subject = subject[:256]
        self._now = now

    def call(self, method: str, biz: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """The verified ``<method>_response`` object."""
        c = self.credentials
        params = {
            "app_id": c.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": self._now().astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
        }
        params["sign"] = rsa2_sign(signing_text(params), c.app_private_key)
        text = self.transport.post(
            self.gateway,
            data=params,
            content_type="application/x-www-form-urlencoded; charset=utf-8",
            read_timeout=timeout,
        )
        members = top_level_raw(text)
        name = method.replace(".", "_") + "_response"
        raw = members.get(name, members.get("error_response"))
        if raw is None:
            raise BadAnswer(f"Alipay answer to {method} has no {name}")
        signature = members.get("sign")
        try:
            signature_text = json.loads(signature) if signature else ""
        except ValueError:
            signature_text = ""
        if not isinstance(signature_text, str) or not rsa2_verify(
            raw, signature_text, c.alipay_public_key
        ):
            raise BadAnswer(f"Alipay answer to {method} has a missing or wrong signature")
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise BadAnswer(f"Alipay answer to {method} is not an object")
        return body

    def pay(self, out_trade_no: str, auth_code: str, amount: int, timeout: float) -> Answer:
        a = self.call(
            "alipay.trade.pay",
            {
                "out_trade_no": out_trade_no,
                "scene": "bar_code",
                "auth_code": auth_code,
                "subject": self.subject,
                "total_amount": yuan(amount),
            },
            timeout,
        )
        code = str(a.get("code", ""))
        if code == "10000":
            return self._paid(a, out_trade_no)
        if code == "10003":
            return Answer(State.PENDING, code=code, message="the customer is confirming")
        sub = str(a.get("sub_code", ""))
        message = reason(ALIPAY_REASONS, sub, str(a.get("sub_msg", a.get("msg", ""))))
        if code == "20000" or sub == "ACQ.SYSTEM_ERROR":
            return Answer(State.UNKNOWN, code=sub or code, message=message)
        if sub in _PAY_USED:
            return Answer(State.USED, code=sub, message=message)
        return Answer(State.FAILED, code=sub or code, message=message)

    def query(self, out_trade_no: str, timeout: float) -> Answer:
        a = self.call("alipay.trade.query", {"out_trade_no": out_trade_no}, timeout)
        if str(a.get("code")) != "10000":
            sub = str(a.get("sub_code", a.get("code", "")))
            return Answer(State.UNKNOWN, code=sub, message=str(a.get("sub_msg", sub)))
        status = str(a.get("trade_status", ""))
        state = _QUERY.get(status, State.UNKNOWN)
        if state is State.PAID:
            return self._paid(a, out_trade_no)
        return Answer(state, code=status, message=status)

    def reverse(self, out_trade_no: str, timeout: float) -> Answer:
        a = self.call("alipay.trade.cancel", {"out_trade_no": out_trade_no}, timeout)
        if str(a.get("code")) == "10000" and a.get("retry_flag", "N") != "Y":
            return Answer(State.DONE, code=str(a.get("action", "")))
        return Answer(State.UNKNOWN, message=str(a.get("sub_msg", a.get("msg", "retry"))))

    def refund(self, out_trade_no: str, out_refund_no: str, amount: int, timeout: float) -> Answer:
        a = self.call(
            "alipay.trade.refund",
            {
                "out_trade_no": out_trade_no,
                "refund_amount": yuan(amount),
                "out_request_no": out_refund_no,
            },
            timeout,
        )
        if str(a.get("code")) == "10000":
            if a.get("out_trade_no") != out_trade_no:
                raise BadAnswer("Alipay refund answer is for another payment")
            # Alipay gives a refund no number of its own: the request number is the refund's
            # key at Alipay (statements list it), so it is the reference kept.
            return Answer(State.DONE, transaction_id=out_refund_no, amount=amount)
        sub = str(a.get("sub_code", ""))
        message = reason(ALIPAY_REASONS, sub, str(a.get("sub_msg", a.get("msg", ""))))
        retry = sub == "ACQ.SYSTEM_ERROR" or str(a.get("code")) == "20000"
        return Answer(State.UNKNOWN if retry else State.FAILED, code=sub, message=message)

    @staticmethod
    def _paid(a: Mapping[str, Any], out_trade_no: str) -> Answer:
        if a.get("out_trade_no") != out_trade_no:
            raise BadAnswer("Alipay answer is for another order")
        try:
            total = fen(str(a.get("total_amount", "")))
        except ValueError:
            raise BadAnswer("Alipay answer has no total_amount") from None
        return Answer(State.PAID, transaction_id=str(a.get("trade_no", "")), amount=total)
