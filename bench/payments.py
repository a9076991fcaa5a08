"""qr_pay_overhead: one WeChat Pay payment-code payment through the live adapter (signing, HTTPS
on a kept-alive session, answer parsing and signature check, the state machine) against the
same signed micropay call made raw with ``requests``, both to the same TLS emulator in this run.
The ratio is what the adapter adds on top of the HTTP round trip it cannot avoid."""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from pathlib import Path

import requests

from bench.record import Result, against_floor
from terminal.drivers.payment.flow import CodeProvider
from terminal.drivers.payment.http import Transport
from terminal.drivers.payment.wechat import WeChatApi, WeChatCredentials, sign, to_xml
from tests.drivers.payment import emulator_wechat as emu_mod
from tests.drivers.payment.tls import EmulatorCA

CODE = "134567890123456781"
ROUNDS = 300


def _raw_call(session: requests.Session, url: str, ca: str, n: int) -> None:
    fields = {
        "appid": emu_mod.APPID,
        "mch_id": emu_mod.MCH_ID,
        "nonce_str": secrets.token_hex(16),
        "sign_type": "HMAC-SHA256",
        "body": "POS sale",
        "out_trade_no": f"RAW{n:020d}",
        "total_fee": "100",
        "spbill_create_ip": "127.0.0.1",
        "auth_code": CODE,
    }
    fields["sign"] = sign(fields, emu_mod.API_KEY)
    response = session.post(
        url + "/pay/micropay", data=to_xml(fields), timeout=(5, 10), verify=ca,
        headers={"Content-Type": "text/xml; charset=utf-8"},
    )  # fmt: skip
    if "<result_code>SUCCESS</result_code>" not in response.text:
        raise RuntimeError(f"raw call failed: {response.text[:200]}")


def qr_pay_overhead(rounds: int = ROUNDS) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        ca = EmulatorCA(Path(tmp))
        emulator = emu_mod.WeChatEmulator(ca)
        try:
            creds = WeChatCredentials(emu_mod.APPID, emu_mod.MCH_ID, emu_mod.API_KEY)
            api = WeChatApi(creds, Transport(ca_file=str(ca.ca)), base_url=emulator.url)
            provider = CodeProvider(api)
            session = requests.Session()
            adapter: list[float] = []
            raw: list[float] = []
            for n in range(rounds):  # interleaved, so load on the machine hits both alike
                t0 = time.perf_counter()
                result = provider.charge(CODE, 100, "CNY", f"bench-sale-{n}")
                adapter.append(time.perf_counter() - t0)
                if result.outcome.value != "approved":
                    raise RuntimeError(f"adapter payment failed: {result}")
                t0 = time.perf_counter()
                _raw_call(session, emulator.url, str(ca.ca), n)
                raw.append(time.perf_counter() - t0)
            if emulator.errors:
                raise RuntimeError(f"emulator found bad requests: {emulator.errors[:3]}")
        finally:
            emulator.stop()
    value, floor = statistics.median(adapter) * 1000, statistics.median(raw) * 1000
    return against_floor(
        "qr_pay_overhead",
        value,
        "ms",
        floor,
        max_ratio=1.3,
        detail=f"median of {rounds} WeChat payments through the adapter vs raw signed calls",
    )


def run() -> list[Result]:
    return [qr_pay_overhead()]
