"""The payment secrets file: merchant ids, the WeChat API key and certificate, the Alipay keys.
It lives outside the TOML configuration, readable by the service user only; a file (or a key
file it names) that anyone else could read is refused, not used. Nothing loaded here has its
secret parts in a ``repr``, so they cannot reach a log by accident.

    [wechat]
    appid = "wx..."
    mch_id = "1900000109"
    api_key = "32 characters"
    cert_file = "/etc/pos-terminal/wechat/apiclient_cert.pem"
    key_file = "/etc/pos-terminal/wechat/apiclient_key.pem"

    [alipay]
    app_id = "2021..."
    app_private_key_file = "/etc/pos-terminal/alipay/app_private_key.pem"
    alipay_public_key_file = "/etc/pos-terminal/alipay/alipay_public_key.pem"
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from terminal.drivers.payment.alipay import AlipayCredentials
from terminal.drivers.payment.wechat import WeChatCredentials


class SecretsError(ValueError):
    """The secrets file is missing, readable by others, or lacks what a provider needs."""


@dataclass(frozen=True, slots=True)
class PaymentSecrets:
    wechat: WeChatCredentials | None
    alipay: AlipayCredentials | None


def check_private(path: Path, uid: int | None = None) -> None:
    """Refuse a file that is not a regular file owned by ``uid`` (this process's user by
    default) with no group or other permission bits."""
    try:
        st = path.stat()
    except OSError as exc:
        raise SecretsError(f"{path}: cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise SecretsError(f"{path}: not a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise SecretsError(
            f"{path}: mode {mode:04o} lets others read it; only the service user may "
            f"(chmod 600 {path})"
        )
    owner = os.getuid() if uid is None else uid
    if st.st_uid != owner:
        raise SecretsError(
            f"{path}: owned by uid {st.st_uid}, not the service user's {owner} "
            f"(chown the file to the service user)"
        )


def load_secrets(
    path: Path, wallets: tuple[str, ...] = ("wechat", "alipay"), *, uid: int | None = None
) -> PaymentSecrets:
    """The credentials of ``wallets``, each required and checked (keys parsed); ``uid`` is
    the service user's (doctor may run as someone else)."""
    check_private(path, uid)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SecretsError(f"{path}: {exc}") from None
    wechat = _wechat(path, data, uid) if "wechat" in wallets else None
    alipay = _alipay(path, data, uid) if "alipay" in wallets else None
    return PaymentSecrets(wechat, alipay)


def _table(path: Path, data: dict[str, Any], name: str, keys: tuple[str, ...]) -> dict[str, str]:
    table = data.get(name)
    if not isinstance(table, dict):
        raise SecretsError(f"{path}: no [{name}] table")
    out = {}
    for key in keys:
        value = table.get(key)
        if not isinstance(value, str) or not value:
            raise SecretsError(f"{path}: [{name}] {key} is missing")
        out[key] = value
    return out


def _wechat(path: Path, data: dict[str, Any], uid: int | None) -> WeChatCredentials:
    t = _table(path, data, "wechat", ("appid", "mch_id", "api_key", "cert_file", "key_file"))
    if len(t["api_key"]) != 32:
        raise SecretsError(f"{path}: [wechat] api_key must be the 32-character v2 API key")
    for key in ("cert_file", "key_file"):
        if not Path(t[key]).is_file():
            raise SecretsError(f"{path}: [wechat] {key} {t[key]} does not exist")
    check_private(Path(t["key_file"]), uid)
    return WeChatCredentials(t["appid"], t["mch_id"], t["api_key"], t["cert_file"], t["key_file"])


def _alipay(path: Path, data: dict[str, Any], uid: int | None) -> AlipayCredentials:
    t = _table(path, data, "alipay", ("app_id", "app_private_key_file", "alipay_public_key_file"))
    key_path = Path(t["app_private_key_file"])
    check_private(key_path, uid)
    try:
        private = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        public = serialization.load_pem_public_key(Path(t["alipay_public_key_file"]).read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise SecretsError(f"{path}: [alipay] keys: {exc}") from None
    if not isinstance(private, rsa.RSAPrivateKey) or not isinstance(public, rsa.RSAPublicKey):
        raise SecretsError(f"{path}: [alipay] keys must be RSA (RSA2)")
    return AlipayCredentials(t["app_id"], private, public)
