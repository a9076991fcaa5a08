"""Owner keys load in every documented form."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization

from terminal.link import protocol as p


def test_keys_load_in_every_documented_form() -> None:
    owner = p.Signer.generate()
    pub = owner.public_key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for text in (p.public_key_text(pub), base64.b64encode(raw).decode(), pem.decode()):
        assert p.key_id(p.load_public_key(text)) == owner.key_id
    assert p.Signer.from_pem(owner.private_pem()).key_id == owner.key_id
    assert p.Signer.from_pem(owner.private_pem(b"pw"), b"pw").key_id == owner.key_id
    for bad in ("ed25519:AAAA", "not base64!", ""):
        with pytest.raises(ValueError):
            p.load_public_key(bad)
