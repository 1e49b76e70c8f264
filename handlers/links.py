"""Signed, expiring links to the bot's pages, and the form tokens those pages carry.

- the ID通知 page (SPEC §6): ``/id/<app>/<expires>/<signature>``;
- the review page of a reviewer by mail: ``/review/<app>/<reviewer>/<expires>/<signature>``,
  where ``reviewer`` is a keyed tag of the reviewer's address (the address itself is not in the
  link), so a link is bound to one application and one reviewer;
- a form token, rendered into the page's form on GET and checked on POST: the page's path and
  the moment it was shown, signed; it expires after ``FORM_TOKEN_SECONDS``.

Hand-written HMAC (hashlib/hmac) like the links themselves: a library (itsdangerous) would add a
dependency for these few lines and would read the wall clock instead of the service's clock.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime

from store.vault import derive_key

FORM_TOKEN_SECONDS = 2 * 3600  # a page left open longer is shown again, with what was typed


class LinkSigner:
    def __init__(self, secret: bytes, public_url: str) -> None:
        self._key = derive_key(secret, "links")
        self.public_url = public_url.rstrip("/")

    def _mac(self, text: str, length: int = 32) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()[:length]

    # --- the ID通知 page ----------------------------------------------------------------------

    def signature(self, app_id: str, expires_on: str) -> str:
        return self._mac(f"id|{app_id}|{expires_on}")  # 128 bits

    def path(self, app_id: str, expires_on: str) -> str:
        return f"/id/{app_id}/{expires_on}/{self.signature(app_id, expires_on)}"

    def url(self, app_id: str, expires_on: str) -> str:
        return self.public_url + self.path(app_id, expires_on)

    def check(self, app_id: str, expires_on: str, signature: str, today: date) -> str | None:
        """None when the link is genuine and still valid; else ``invalid`` or ``expired``."""
        if not _same(self.signature(app_id, expires_on), signature):
            return "invalid"
        return _expiry(expires_on, today)

    # --- the review page ----------------------------------------------------------------------

    def reviewer_tag(self, address: str) -> str:
        """Who a review link is for, without the address in it (80 bits)."""
        return self._mac(f"reviewer|{address.strip().lower()}", 20)

    def review_signature(self, app_id: str, tag: str, expires_on: str) -> str:
        return self._mac(f"review|{app_id}|{tag}|{expires_on}")

    def review_path(self, app_id: str, address: str, expires_on: str) -> str:
        tag = self.reviewer_tag(address)
        return f"/review/{app_id}/{tag}/{expires_on}/{self.review_signature(app_id, tag, expires_on)}"

    def review_url(self, app_id: str, address: str, expires_on: str, decision: str | None = None) -> str:
        query = f"?decision={decision}" if decision else ""
        return self.public_url + self.review_path(app_id, address, expires_on) + query

    def check_review(self, app_id: str, tag: str, expires_on: str, signature: str,
                     today: date) -> str | None:
        """None when the review link is genuine and still valid; else ``invalid`` or ``expired``."""
        if not _same(self.review_signature(app_id, tag, expires_on), signature):
            return "invalid"
        return _expiry(expires_on, today)

    # --- form tokens --------------------------------------------------------------------------

    def form_token(self, path: str, now: datetime) -> str:
        """For the form of the page at ``path``, shown at ``now``."""
        issued = str(int(now.timestamp()))
        return f"{issued}.{self._mac(f'form|{path}|{issued}')}"

    def check_form_token(self, path: str, token: str, now: datetime) -> str | None:
        """None when ``token`` was made for this page and is fresh; ``expired`` when it was made
        for it but too long ago; ``invalid`` when it is missing or was not made for it."""
        issued, dot, mac = token.partition(".")
        if not dot or not (issued.isascii() and issued.isdigit()) or len(issued) > 12 \
                or not _same(self._mac(f"form|{path}|{issued}"), mac):
            return "invalid"
        age = now.timestamp() - int(issued)
        return "expired" if age > FORM_TOKEN_SECONDS or age < -60 else None


def _same(expected: str, given: str) -> bool:
    """Constant-time, and any text may be given (a link or a form field can hold anything)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


def _expiry(expires_on: str, today: date) -> str | None:
    try:
        last_day = date.fromisoformat(expires_on)
    except ValueError:
        return "invalid"
    return "expired" if today > last_day else None
