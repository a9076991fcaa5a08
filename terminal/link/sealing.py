"""Secrets sealed end to end from the owner tool to one terminal.

A signed command is protected by TLS on each hop, but the broker (and anything that logs its
traffic) reads it in clear. PINs and card codes therefore travel sealed to the terminal's own
X25519 key, issued at enrolment: posctl makes an ephemeral X25519 key pair per secret, derives a
ChaCha20-Poly1305 key and nonce with HKDF-SHA256 from the shared secret and both public keys,
and encrypts the secret with associated data naming the command id, the store, the terminal, the
command type and the field. A sealed value moved to another command, terminal or field does not
open.

Token: ``x25519-hkdf-chacha20poly1305:<base64 of ephemeral public key (32) || ciphertext>``.
The ciphertext carries the 16-byte Poly1305 tag. See ``docs/mqtt.md``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SCHEME = "x25519-hkdf-chacha20poly1305"
PUBLIC_PREFIX = "x25519:"
MAX_TOKEN_CHARS = 4096
MAX_SECRET_BYTES = 1024
_INFO = b"pos/v1 sealed field"
_KEY_BYTES = 32
_NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value that cannot be opened (altered, for another terminal, command or field,
    or not a sealed value at all), or a key that cannot be read."""


def generate_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def private_pem(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key(path: Path | str) -> X25519PrivateKey:
    """The terminal's sealing key from its PEM file; SealError says what is wrong."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SealError(f"cannot read the sealing key {path}: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, None)
    except (ValueError, TypeError) as exc:
        raise SealError(f"{path} is not a PEM private key: {exc}") from None
    if not isinstance(key, X25519PrivateKey):
        raise SealError(f"{path} is not an X25519 private key")
    return key


def public_key_text(key: X25519PublicKey | X25519PrivateKey) -> str:
    """``x25519:<base64 of the 32 raw bytes>``, how posctl keeps a terminal's sealing key."""
    pub = key.public_key() if isinstance(key, X25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_PREFIX + base64.b64encode(raw).decode()


def load_public_key(text: str) -> X25519PublicKey:
    if not isinstance(text, str) or not text.startswith(PUBLIC_PREFIX):
        raise SealError(f"a sealing key is written {PUBLIC_PREFIX}<base64>, got {text!r}")
    try:
        raw = base64.b64decode(text[len(PUBLIC_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise SealError("the sealing key is not base64") from None
    if len(raw) != 32:
        raise SealError(f"an X25519 public key is 32 bytes, this one is {len(raw)}")
    return X25519PublicKey.from_public_bytes(raw)


def associated_data(*, command_id: str, store: str, terminal: str, type: str, field: str) -> bytes:
    """What a sealed value is bound to: it opens only in this command, for this terminal, in
    this field."""
    return json.dumps(
        {
            "scheme": SCHEME,
            "id": command_id,
            "store": store,
            "terminal": terminal,
            "type": type,
            "field": field,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def _derive(shared: bytes, eph_pub: bytes, recipient_pub: bytes) -> tuple[bytes, bytes]:
    okm = HKDF(
        algorithm=hashes.SHA256(),
        length=_KEY_BYTES + _NONCE_BYTES,
        salt=eph_pub + recipient_pub,
        info=_INFO,
    ).derive(shared)
    return okm[:_KEY_BYTES], okm[_KEY_BYTES:]


def _raw(pub: X25519PublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def seal(recipient: X25519PublicKey, secret: str, ad: bytes) -> str:
    """Encrypt ``secret`` to ``recipient`` bound to ``ad`` (see :func:`associated_data`)."""
    plaintext = secret.encode("utf-8")
    if len(plaintext) > MAX_SECRET_BYTES:
        raise ValueError(f"a sealed value holds at most {MAX_SECRET_BYTES} bytes")
    eph = X25519PrivateKey.generate()
    eph_pub = _raw(eph.public_key())
    # A fresh ephemeral key per value makes every derived key single-use, so the derived nonce
    # never repeats under one key.
    key, nonce = _derive(eph.exchange(recipient), eph_pub, _raw(recipient))
    ciphertext = ChaCha20Poly1305(key).encrypt(nonce, plaintext, ad)
    return f"{SCHEME}:" + base64.b64encode(eph_pub + ciphertext).decode()


def open_sealed(private: X25519PrivateKey, token: str, ad: bytes) -> str:
    """The secret inside ``token``; SealError if it does not open with this key and ``ad``."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise SealError("not a sealed value")
    scheme, sep, body = token.partition(":")
    if not sep or scheme != SCHEME:
        raise SealError(f"unknown sealing scheme {scheme!r}; expected {SCHEME}")
    try:
        blob = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise SealError("the sealed value is not base64") from None
    if len(blob) < 32 + 16:
        raise SealError("the sealed value is too short")
    eph_pub, ciphertext = blob[:32], blob[32:]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_pub))
    except ValueError:
        raise SealError("the sealed value carries an unusable public key") from None
    key, nonce = _derive(shared, eph_pub, _raw(private.public_key()))
    try:
        plaintext = ChaCha20Poly1305(key).decrypt(nonce, ciphertext, ad)
    except InvalidTag:
        raise SealError(
            "the sealed value does not open with this terminal's key: it was altered, or "
            "sealed for another terminal, command or field"
        ) from None
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise SealError("the sealed value is not UTF-8 text") from None


_LISTED_FIELD = re.compile(r"(staff|cards)\[(\d+)\]\.(pin|code)")


def seal_body(
    recipient: X25519PublicKey,
    raw: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    command_id: str,
    store: str,
    terminal: str,
    type: str,
) -> dict[str, Any]:
    """A command body (plain JSON) with ``secrets`` sealed into it, as the terminal expects:
    a field name such as ``pin`` goes into the body's ``sealed`` object; ``staff[i].pin`` and
    ``cards[i].code`` (a ``staff.snapshot``) go into that entry's own ``sealed`` object. The
    clear value is never in the result."""
    out: dict[str, Any] = {k: v for k, v in raw.items() if k not in secrets}
    for list_name in ("staff", "cards"):
        if isinstance(out.get(list_name), list):
            out[list_name] = [dict(e) for e in out[list_name]]
    top: dict[str, str] = dict(out.get("sealed") or {})
    for name, value in secrets.items():
        ad = associated_data(
            command_id=command_id, store=store, terminal=terminal, type=type, field=name
        )
        token = seal(recipient, value, ad)
        listed = _LISTED_FIELD.fullmatch(name)
        if listed is None:
            top[name] = token
            continue
        entry = out[listed[1]][int(listed[2])]
        entry.pop(listed[3], None)
        entry["sealed"] = {**entry.get("sealed", {}), listed[3]: token}
    if top:
        out["sealed"] = top
    return out
