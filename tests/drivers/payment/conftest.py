"""The provider emulators over TLS with their own CA, and the live adapters pointed at them
with timings short enough for tests (the same state machine, seconds become tenths)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from terminal.drivers.payment.alipay import AlipayApi, AlipayCredentials
from terminal.drivers.payment.flow import CodeProvider, Timing
from terminal.drivers.payment.http import Timeouts, Transport
from terminal.drivers.payment.wechat import WeChatApi, WeChatCredentials
from tests.drivers.payment import emulator_alipay, emulator_wechat
from tests.drivers.payment.emulator_alipay import AlipayEmulator
from tests.drivers.payment.emulator_wechat import WeChatEmulator
from tests.drivers.payment.tls import EmulatorCA

FAST = Timing(
    deadline_s=0.6,
    poll_s=0.05,
    reverse_after_s=0.1,
    reverse_tries=2,
    reverse_gap_s=0.01,
    call_timeout_s=0.4,
    refund_tries=2,
)
TIMEOUTS = Timeouts(connect=0.5, read=0.4)


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> EmulatorCA:
    return EmulatorCA(tmp_path_factory.mktemp("payment-ca"))


@pytest.fixture(scope="session")
def merchant_cert(ca: EmulatorCA) -> tuple[str, str]:
    cert, key = ca.issue("merchant", server=False)
    return str(cert), str(key)


@pytest.fixture(scope="session")
def rsa_keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """(the app's key, Alipay's key)."""
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


@pytest.fixture
def wechat_emu(ca: EmulatorCA) -> Iterator[WeChatEmulator]:
    emu = WeChatEmulator(ca)
    yield emu
    emu.stop()
    assert emu.errors == []


@pytest.fixture
def alipay_emu(
    ca: EmulatorCA, rsa_keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]
) -> Iterator[AlipayEmulator]:
    app, alipay = rsa_keys
    emu = AlipayEmulator(ca, app.public_key(), alipay)
    yield emu
    emu.stop()
    assert emu.errors == []


def wechat_credentials(cert: tuple[str, str] | None) -> WeChatCredentials:
    c = emulator_wechat
    return WeChatCredentials(c.APPID, c.MCH_ID, c.API_KEY, *(cert or ("", "")))


@pytest.fixture
def wechat(
    wechat_emu: WeChatEmulator, ca: EmulatorCA, merchant_cert: tuple[str, str]
) -> CodeProvider:
    transport = Transport(ca_file=str(ca.ca), client_cert=merchant_cert, timeouts=TIMEOUTS)
    api = WeChatApi(wechat_credentials(merchant_cert), transport, base_url=wechat_emu.url)
    return CodeProvider(api, FAST)


@pytest.fixture
def alipay(
    alipay_emu: AlipayEmulator,
    ca: EmulatorCA,
    rsa_keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey],
) -> CodeProvider:
    app, alipay_key = rsa_keys
    creds = AlipayCredentials(emulator_alipay.APP_ID, app, alipay_key.public_key())
    transport = Transport(ca_file=str(ca.ca), timeouts=TIMEOUTS)
    api = AlipayApi(creds, transport, gateway=alipay_emu.url + "/gateway.do", subject="Tea {x}")
    return CodeProvider(api, FAST)


def write_private(path: Path, text: str | bytes, mode: int = 0o600) -> Path:
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    path.chmod(mode)
    return path


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture
def secrets_file(
    tmp_path: Path,
    merchant_cert: tuple[str, str],
    rsa_keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey],
) -> Path:
    app, alipay = rsa_keys
    app_key = write_private(tmp_path / "app.key", _pem(app))
    alipay_pub = tmp_path / "alipay.pub"
    alipay_pub.write_bytes(
        alipay.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    cert, key = merchant_cert
    text = f"""
[wechat]
appid = "{emulator_wechat.APPID}"
mch_id = "{emulator_wechat.MCH_ID}"
api_key = "{emulator_wechat.API_KEY}"
cert_file = "{cert}"
key_file = "{key}"

[alipay]
app_id = "{emulator_alipay.APP_ID}"
app_private_key_file = "{app_key}"
alipay_public_key_file = "{alipay_pub}"
"""
    return write_private(tmp_path / "payments.toml", text)
