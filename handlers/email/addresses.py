"""The bot's addresses: its own, the reply address of each mail, and the tokens in them.

Every mail the bot sends says ``Reply-To: local+APP.MAC@domain``. ``MAC`` is an HMAC-SHA256 of
the application id and the recipient's address under the bot's secret, cut to 130 bits and
written in lower-case base32: it cannot be guessed, needs no storage, and tells on receipt both
which application a reply belongs to and whom the address was given to. A reply whose ``From``
is someone else is not acted on.

Every mail is sent with the envelope sender ``local+bounce-APP.MAC@domain`` (VERP), where ``MAC``
signs the application id and the outbox message id the same way: a bounce comes back to that
address and names, without any storage, the one message that did not arrive (``bounced_message``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import getaddresses
from typing import Any

from bot.application import Application
from store.tiny.layout import is_safe_name

MAC_CHARS = 26  # 26 base32 characters = 130 bits
BOUNCE = "bounce-"  # after ``local+``: the envelope sender of one sent message
APPLICANT = "applicant"
ADMIN = "admin"
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*/=?^_`{|}~.-]{1,64}")


def normalise(address: str) -> str:
    """The comparison form of an address: trimmed, lower-cased (the person key uses it)."""
    return address.strip().strip("<>").strip().lower()


def person_key(address: str) -> str:
    return f"email:{normalise(address)}"


def single_address(value: str | None) -> str | None:
    """The one plain ``local@domain`` in a header value, or None (none, several, or odd)."""
    if not value or "\r" in value or "\n" in value:
        return None
    found = [addr for _, addr in getaddresses([value]) if addr]
    if len(found) != 1:
        return None
    addr = found[0].strip()
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or any(c.isspace() or c in "<>()," for c in addr):
        return None
    return addr


def recipient(value: str | None) -> str | None:
    """The one plain address in ``value`` when it can be written to without SMTPUTF8, which the
    bot does not send (a reply address is bound to the address as the applicant gave it, so a
    Japanese domain is not rewritten in IDNA either); else None."""
    addr = single_address(value)
    return addr if addr is not None and addr.isascii() else None


@dataclass(frozen=True)
class Holder:
    """Whom a reply token was given to, for which application."""

    app: Application
    address: str  # normalised
    role: str  # applicant | admin


class Addresses:
    def __init__(self, bot_address: str, secret: bytes) -> None:
        local, _, domain = bot_address.strip().rpartition("@")
        if not _LOCAL.fullmatch(local or "") or not domain:
            raise ValueError(f"WEBNACCS_MAIL_ADDRESS is not a plain address: {bot_address!r}")
        self.bot = f"{local}@{domain}"
        self.local = local
        self.domain = domain.lower()
        self._key = hashlib.sha256(b"webnaccs-reply-token\0" + secret).digest()
        self._bounce_key = hashlib.sha256(b"webnaccs-bounce-token\0" + secret).digest()

    # --- reply addresses ------------------------------------------------------------------

    def reply_to(self, app_id: str, recipient: str) -> str:
        return f"{self.local}+{app_id}.{self._mac(app_id, recipient)}@{self.domain}"

    def is_bot(self, address: str) -> bool:
        return normalise(address) == normalise(self.bot)

    def token_of(self, address: str) -> tuple[str, str] | None:
        """``(app_id, mac)`` when ``address`` is shaped like one of our reply addresses."""
        token = self._token(address, f"{self.local.lower()}+")
        return None if token is None or token[0].lower().startswith(BOUNCE) else token

    def holder(self, app: Application | None, mac: str) -> Holder | None:
        """Whom this token was issued to, among the people the application mails; else None."""
        if app is None:
            return None
        for address, role in candidates(app):
            if hmac.compare_digest(self._mac(app.id, address), mac.lower()):
                return Holder(app, address, role)
        return None

    def is_ours(self, address: str) -> bool:
        """The bot's address or any address shaped like its reply or bounce addresses."""
        return self.is_bot(address) or self.token_of(address) is not None \
            or self.bounce_token_of(address) is not None

    # --- bounce addresses (the envelope sender of each mail) ------------------------------

    def bounce_address(self, app_id: str, outbox_id: str) -> str:
        """``local+bounce-APP.MAC@domain``: 16 + 16 + 27 characters before the domain with the
        default local part, within the 64 a local part may have (RFC 5321)."""
        return f"{self.local}+{BOUNCE}{app_id}.{self._bounce_mac(app_id, outbox_id)}@{self.domain}"

    def bounce_token_of(self, address: str) -> tuple[str, str] | None:
        """``(app_id, mac)`` when ``address`` is shaped like one of our bounce addresses."""
        return self._token(address, f"{self.local.lower()}+{BOUNCE}")

    def _token(self, address: str, prefix: str) -> tuple[str, str] | None:
        """``(app_id, mac)`` of ``prefix APP.MAC@domain`` (a reply or a bounce address)."""
        local, at, domain = address.strip().strip("<>").strip().rpartition("@")
        if not at or domain.lower() != self.domain or not local.lower().startswith(prefix):
            return None
        app_part, dot, mac = local[len(prefix):].rpartition(".")
        if not dot or len(mac) != MAC_CHARS:
            return None
        return (app_part, mac.lower()) if is_safe_name(app_part) else None

    def bounced_message(self, app_id: str, mac: str, outbox_ids: Iterable[str]) -> str | None:
        """The outbox message (among ``outbox_ids`` of the application) whose bounce address
        carries ``mac``; None for a forged or foreign token."""
        for outbox_id in outbox_ids:
            if hmac.compare_digest(self._bounce_mac(app_id, outbox_id), mac.lower()):
                return outbox_id
        return None

    def message_id(self, app_id: str, outbox_id: str) -> str:
        """Stable: a resend after a crash carries the same Message-ID."""
        return f"<wn.{app_id}.{_safe(outbox_id)}@{self.domain}>"

    def thread_root(self, app_id: str) -> str:
        return f"<wn.{app_id}@{self.domain}>"

    def is_our_message_id(self, message_id: str) -> bool:
        value = message_id.strip().lower()
        return value.startswith("<wn.") and value.endswith(f"@{self.domain}>")

    def _bounce_mac(self, app_id: str, outbox_id: str) -> str:
        digest = hmac.new(self._bounce_key, f"{app_id}\0{outbox_id}".encode(), hashlib.sha256)
        return base64.b32encode(digest.digest()).decode("ascii").lower()[:MAC_CHARS]

    def _mac(self, app_id: str, recipient: str) -> str:
        digest = hmac.new(self._key, f"{app_id}\0{normalise(recipient)}".encode(), hashlib.sha256)
        return base64.b32encode(digest.digest()).decode("ascii").lower()[:MAC_CHARS]


def candidates(app: Application) -> list[tuple[str, str]]:
    """Every address the application mails, with the role of its holder."""
    found: dict[str, str] = {}
    answers: dict[str, Any] = {**app.prefill, **app.answers}
    for key in app.people:
        if key.startswith("email:"):
            found.setdefault(normalise(key[len("email:"):]), APPLICANT)
    if answers.get("applicant_email"):
        found.setdefault(normalise(str(answers["applicant_email"])), APPLICANT)
    if answers.get("admin_email"):
        found.setdefault(normalise(str(answers["admin_email"])), ADMIN)
    return list(found.items())


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)
