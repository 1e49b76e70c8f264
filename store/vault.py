"""Encryption at rest for the ID通知 codes: AES-256-GCM with a key derived from the secret."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A 256-bit key for one purpose, so one secret can serve tokens, links and encryption."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"webnaccs-bot/{purpose}/v1".encode()).derive(secret)


class AesVault:
    """Seals a JSON payload for one application id (the id is authenticated data, so a sealed
    blob moved to another application does not open)."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(derive_key(secret, "vault"))

    def seal(self, app_id: str, payload: Any) -> str:
        nonce = os.urandom(12)
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return base64.urlsafe_b64encode(nonce + self._aead.encrypt(nonce, data, app_id.encode())).decode()

    def unseal(self, app_id: str, sealed: str) -> Any:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return json.loads(self._aead.decrypt(raw[:12], raw[12:], app_id.encode()))
