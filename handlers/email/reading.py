"""Reading an inbound mail: who sent it, whether a program did, and its text.

Japanese mail comes as UTF-8, ISO-2022-JP or Shift_JIS (``charsets``), in quoted-printable or
base64, sometimes as HTML only (``htmltext``). Attachments are ignored: only the message body is
read.

Reading is linear in the mail and capped: at most ``MAX_PARTS`` MIME parts are parsed, nested at
most ``MAX_DEPTH`` deep; a header value is parsed up to ``policies.MAX_HEADER_CHARS``; the text
keeps its first ``quotes.MAX_LINES`` lines and ``MAX_TEXT_CHARS`` characters. When a cap is hit,
``Inbound.limited`` says which, and the mail is read as far as the cap.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from email.feedparser import BytesFeedParser
from email.message import EmailMessage
from typing import Any

from handlers.email import autoreply, budget, policies, quotes, replied
from handlers.email.addresses import single_address
from handlers.email.charsets import decode_bytes, decode_iso2022jp, decode_part
from handlers.email.headers import Headers
from handlers.email.htmltext import html_to_text

__all__ = ["MAX_DEPTH", "MAX_PARTS", "MAX_TEXT_CHARS", "Inbound", "body_text", "decode_bytes",
           "decode_iso2022jp", "decode_part", "html_to_text", "read"]

MAX_PARTS = 100  # MIME parts of one mail (the message itself counts); later ones are not parsed
MAX_DEPTH = 8  # multiparts and attached messages within each other (a real mail needs 3 or 4)
MAX_TEXT_CHARS = 200_000  # characters of the body text

# What Inbound.limited says when a cap was hit (the first one met, in reading order).
TOO_MANY_PARTS = "too_many_parts"
HEADER_TOO_LONG = "header_too_long"
TOO_MANY_LINES = "too_many_lines"
TEXT_TOO_LONG = "text_too_long"


@dataclass(frozen=True)
class Inbound:
    key: str  # the Message-ID (or a digest of the mail when it has none): the dedupe key
    message_id: str | None
    sender: str | None  # the one address in From, or None when absent or ambiguous
    subject: str
    text: str  # the body as plain text, quotes and all (capped)
    automatic: str | None  # why this mail is from a program (auto-reply, bounce, list), else None
    limited: str | None = None  # which cap the mail hit (TOO_MANY_PARTS, ...), else None
    replied_to: tuple[str, ...] = ()  # the Message-IDs it answers (replied.answered)


def read(raw: bytes, *, envelope_sender: str | None, markers: Iterable[str] = ()) -> Inbound:
    """``markers``: the lines our mails ask to reply above (they tell the quote for the
    auto-reply check; any ``##- … -##`` line does too)."""
    msg, limited = parse(raw)
    budget.check()  # a step of the reading: a mail over its time budget stops here
    headers = Headers(msg)
    message_id, key = identity(headers, raw)
    sender = single_address(headers.get("From"))
    subject = " ".join(headers.get("Subject").split())
    why = autoreply.by_headers(headers, msg.get_content_type(), envelope_sender)
    limited = limited or (HEADER_TOO_LONG if headers.too_long else None)
    text, cut = _capped(body_text(msg))
    budget.check()
    if why is None:
        why = autoreply.by_content(text, markers)
    return Inbound(key=key, message_id=message_id, sender=sender, subject=subject, text=text,
                   automatic=why, limited=limited or cut,
                   replied_to=tuple(replied.answered(headers.raw("In-Reply-To"), headers.raw("References"))))


def identity(headers: Headers, raw: bytes) -> tuple[str | None, str]:
    """The mail's Message-ID (in ``<>``), and its dedupe key: the Message-ID, or a digest of the
    mail when it has none."""
    message_id = headers.get("Message-ID").strip() or None
    if message_id and not message_id.startswith("<"):
        message_id = f"<{message_id}>"
    return message_id, message_id or "sha256:" + hashlib.sha256(raw).hexdigest()


# --- parsing, capped -----------------------------------------------------------------------


class _Limit(Exception):
    pass


class _Part(EmailMessage):
    """A part that knows how deep it lies: the parser attaches each part to its parent."""

    depth = 0

    def attach(self, payload: Any) -> None:
        if isinstance(payload, _Part):
            payload.depth = self.depth + 1
            if payload.depth > MAX_DEPTH:
                raise _Limit
        super().attach(payload)


class _Parts:
    """The parser's message factory: counts the parts it makes and stops at ``MAX_PARTS``."""

    def __init__(self) -> None:
        self.made: list[_Part] = []

    def __call__(self, policy: Any = policies.READING) -> _Part:
        if len(self.made) >= MAX_PARTS:
            raise _Limit
        part = _Part(policy=policy)
        self.made.append(part)
        return part


def parse(raw: bytes) -> tuple[EmailMessage, str | None]:
    """The mail as far as the part caps allow, and ``TOO_MANY_PARTS`` when they stopped it.

    The parse stops where the next part would be made (or attached too deep); every part before
    it is complete (the stdlib's feed parser would otherwise spend time per line on every level
    of nesting, and fail past about 300 levels)."""
    factory = _Parts()
    parser = BytesFeedParser(factory, policy=policies.READING)
    factory.made.clear()  # the parser made one part to try the factory
    try:
        parser.feed(raw)
        return parser.close(), None
    except _Limit:
        return factory.made[0], TOO_MANY_PARTS


# --- bodies --------------------------------------------------------------------------------


def body_text(msg: EmailMessage) -> str:
    """The message body as text: text/plain preferred, else HTML turned into text."""
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except (KeyError, LookupError):
        part = None
    if part is None:
        return ""
    text = decode_part(part)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _capped(text: str) -> tuple[str, str | None]:
    cut = None
    if len(text) > MAX_TEXT_CHARS:
        text, cut = text[:MAX_TEXT_CHARS], TEXT_TOO_LONG
    lines = text.split("\n", quotes.MAX_LINES)
    if len(lines) > quotes.MAX_LINES:
        text, cut = "\n".join(lines[:quotes.MAX_LINES]), TOO_MANY_LINES
    return text, cut

