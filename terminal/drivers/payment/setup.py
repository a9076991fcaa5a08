"""Builds the live QR provider from ``[payments]`` and the secrets file it names."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from terminal.drivers.payment.alipay import DEFAULT_URL as ALIPAY_URL
from terminal.drivers.payment.alipay import AlipayApi
from terminal.drivers.payment.credentials import load_secrets
from terminal.drivers.payment.flow import CodeProvider, Timing
from terminal.drivers.payment.http import Timeouts, Transport
from terminal.drivers.payment.live import LiveQrProvider
from terminal.drivers.payment.wechat import DEFAULT_URL as WECHAT_URL
from terminal.drivers.payment.wechat import WeChatApi


def timing_of(p: Mapping[str, Any]) -> Timing:
    return Timing(
        deadline_s=float(p.get("qr_deadline_s", 45.0)),
        poll_s=float(p.get("qr_poll_s", 5.0)),
        reverse_after_s=float(p.get("qr_reverse_after_s", 15.0)),
        call_timeout_s=float(p.get("read_timeout_s", 10.0)),
        reverse_gap_s=min(2.0, float(p.get("qr_poll_s", 5.0))),
    )


def build_live_qr(p: Mapping[str, Any]) -> LiveQrProvider:
    """Raises ``SecretsError`` (a ``ValueError``) when the credentials cannot be used."""
    wallets = tuple(p.get("qr_wallets", ("wechat", "alipay")))
    if not wallets:
        raise ValueError('qr_wallets is empty: name a wallet, or set qr = "none"')
    secrets = load_secrets(Path(str(p.get("secrets_file", ""))).expanduser(), wallets)
    timeouts = Timeouts(
        float(p.get("connect_timeout_s", 5.0)), float(p.get("read_timeout_s", 10.0))
    )
    ca_file = str(p.get("ca_file", ""))
    timing = timing_of(p)
    subject = str(p.get("qr_subject", "POS sale"))
    providers: dict[str, CodeProvider] = {}
    if secrets.wechat is not None:
        c = secrets.wechat
        wechat = WeChatApi(
            c,
            Transport(ca_file=ca_file, client_cert=(c.cert_file, c.key_file), timeouts=timeouts),
            base_url=str(p.get("wechat_url", WECHAT_URL)),
            sign_type=str(p.get("wechat_sign_type", "HMAC-SHA256")),
            client_ip=str(p.get("wechat_client_ip", "127.0.0.1")),
            body=subject,
        )
        providers["wechat"] = CodeProvider(wechat, timing)
    if secrets.alipay is not None:
        alipay = AlipayApi(
            secrets.alipay,
            Transport(ca_file=ca_file, timeouts=timeouts),
            gateway=str(p.get("alipay_url", ALIPAY_URL)),
            subject=subject,
        )
        providers["alipay"] = CodeProvider(alipay, timing)
    return LiveQrProvider(providers)
