"""A mail that can never be processed: what is kept about it, and the notice to its sender.

``describe`` reads only the header block (capped, like every reading of a mail) for who sent
it, its Subject (one line, control characters removed, 100 characters at most) and whether a
program sent it. The sender is told once, at the envelope sender (RFC 3834: responses go to the
return path) with a null envelope sender of our own, so a notice can never start a loop — and
never when the mail was an auto-reply, a bounce or a list mail, or came from ourselves. The
notice names the mail by when it arrived and its Subject; it never quotes the body."""

from __future__ import annotations

import re
from datetime import datetime
from email.parser import BytesHeaderParser
from email.utils import format_datetime
from typing import Any

from bot.dates import JST
from handlers.email import autoreply, policies, writer
from handlers.email.addresses import Addresses, recipient, single_address
from handlers.email.compose import header_value, sender
from handlers.email.headers import Headers
from handlers.render import LANGS, Renderer
from handlers.wrapping import MAIL_WIDTH

TEMPLATE = "mail/set_aside.j2"
HEADER_BYTES = 64 * 1024  # of a mail, at most this much is read for its header block
SUBJECT_CHARS = 100
REASONS = ("time_budget", "unreadable", "error")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")  # they reorder a terminal's line


def describe(raw: bytes, envelope: dict[str, Any], addresses: Addresses) -> dict[str, Any]:
    """Sender, Subject and whether the sender may be told, read from the header block only."""
    head = raw[:HEADER_BYTES]
    end = _BLANK_LINE.search(head)
    msg = BytesHeaderParser(policy=policies.READING).parsebytes(head[:end.end()] if end else head)
    headers = Headers(msg)
    mail_from = str(envelope.get("mail_from") or "")
    sender = _BIDI.sub("", single_address(headers.get("From")) or single_address(mail_from) or "")
    subject = header_value(_BIDI.sub("", headers.get("Subject")))
    if len(subject) > SUBJECT_CHARS:
        subject = subject[:SUBJECT_CHARS - 1] + "…"
    recipients = [str(r) for r in envelope.get("rcpt_tos") or []]
    automatic = autoreply.by_headers(headers, msg.get_content_type(), mail_from)
    if automatic is None and any(addresses.bounce_token_of(r) for r in recipients):
        automatic = "bounce"
    reply_to = recipient(mail_from)
    if reply_to is None or addresses.is_ours(reply_to):
        automatic = automatic or "no_return_path"
    message_id = header_value(headers.get("Message-ID"))[:200]
    return {"sender": sender, "subject": subject, "notify": None if automatic else reply_to,
            "automatic": automatic, "message_id": message_id,
            "received_at": str(envelope.get("received_at") or "")}


def notice(renderer: Renderer, addresses: Addresses, name: str, info: dict[str, Any], *,
           lang: str, now: datetime) -> writer.Outgoing | None:
    """The mail telling the sender that ``name`` was set aside (None when nobody is to be told)."""
    to = info.get("notify")
    if not to:
        return None
    lang = lang if lang in LANGS else "ja"
    received = _when(str(info.get("received_at") or "")) or now.astimezone(JST)
    values = {"reason": info.get("reason") if info.get("reason") in REASONS else "error",
              "subject": str(info.get("subject") or ""), "day": received.date(),
              "time": received.strftime("%H:%M"), "width": MAIL_WIDTH}
    headers: list[tuple[str, writer.Value]] = [
        ("From", sender(renderer, addresses, lang)),
        ("To", str(to)),
        ("Subject", header_value(renderer.block(TEMPLATE, "subject", lang, **values))),
        ("Date", format_datetime(now)),
        ("Message-ID", f"<wn.inbound.{name.removesuffix('.mail')}@{addresses.domain}>"),  # stable
    ]
    replied = str(info.get("message_id") or "")
    if re.fullmatch(r"<[^<>\s]{1,190}>", replied):
        headers += [("In-Reply-To", replied), ("References", replied)]
    headers += [("Auto-Submitted", "auto-replied"),  # RFC 3834: a response to a message
                ("X-Auto-Response-Suppress", "All"), ("X-WebNACCS-Notice", "set_aside")]
    return writer.write(headers, renderer.block(TEMPLATE, "text", lang, **values) + "\n", lang=lang)


def _when(value: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at.astimezone(JST) if at.tzinfo else None
