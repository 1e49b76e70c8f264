"""Signed, expiring links to the ID通知 page (SPEC §6): ``/id/<app>/<expires>/<signature>``."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from store.vault import derive_key


class LinkSigner:
    def __init__(self, secret: bytes, public_url: str) -> None:
        self._key = derive_key(secret, "links")
        self.public_url = public_url.rstrip("/")

    def signature(self, app_id: str, expires_on: str) -> str:
        mac = hmac.new(self._key, f"id|{app_id}|{expires_on}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]  # 128 bits

    def path(self, app_id: str, expires_on: str) -> str:
        return f"/id/{app_id}/{expires_on}/{self.signature(app_id, expires_on)}"

    def url(self, app_id: str, expires_on: str) -> str:
        return self.public_url + self.path(app_id, expires_on)

    def check(self, app_id: str, expires_on: str, signature: str, today: date) -> str | None:
        """None when the link is genuine and still valid; else ``invalid`` or ``expired``."""
        if not hmac.compare_digest(self.signature(app_id, expires_on), signature):
            return "invalid"
        try:
            last_day = date.fromisoformat(expires_on)
        except ValueError:
            return "invalid"
        return "expired" if today > last_day else None
