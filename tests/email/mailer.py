"""The other side of the wire: mail programs writing to the bot, and a relay that counts.

Replies are built the way the clients build them — Outlook (Japanese) with its 差出人/送信日時
block above the unquoted original, often in ISO-2022-JP; Gmail (Japanese) with its one-line
attribution and ``>`` quotes, UTF-8 in base64 with an HTML part; Thunderbird with
``On … wrote:`` and format=flowed — and sent over SMTP on loopback. A relay that bounces mail
to some addresses returns a delivery status notification (RFC 3464) to the envelope sender.
"""

from __future__ import annotations

import asyncio
import email
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, make_msgid
from html import escape
from pathlib import Path

import aiosmtplib
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests import waiting

DATE = "Thu, 26 Nov 2026 10:05:00 +0900"


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content().replace("\r\n", "\n")


def _headers(msg: Message, *, sender: str, name: str, to: str, subject: str, charset: str,
             original: EmailMessage | None, message_id: str | None = None) -> None:
    msg["From"] = formataddr((str(Header(name, charset)), sender)) if name else sender
    msg["To"] = to
    msg["Subject"] = Header(subject, charset).encode() if not subject.isascii() else subject
    msg["Date"] = DATE
    msg["Message-ID"] = message_id or make_msgid(domain=sender.split("@")[1])
    if original is not None:
        refs = str(original.get("References", "")).split()
        msg["In-Reply-To"] = str(original["Message-ID"])
        msg["References"] = " ".join([*refs, str(original["Message-ID"])])


def _reply_subject(original: EmailMessage, prefix: str) -> str:
    return f"{prefix} {original['Subject']}"


def outlook_reply(original: EmailMessage, answer: str, *, sender: str, name: str = "山田 太郎",
                  charset: str = "iso-2022-jp", message_id: str | None = None) -> bytes:
    """Outlook (Japanese): answer on top, the original below a 差出人/送信日時 block, unquoted."""
    quoted = text_of(original)
    body = (f"{answer}\n\n________________________________\n"
            f"差出人: {original['From']}\n送信日時: 2026年11月26日 10:00\n宛先: {name} <{sender}>\n"
            f"件名: {original['Subject']}\n\n{quoted}\n")
    msg = MIMEMultipart("alternative")
    msg.attach(MIMEText(body, "plain", charset))
    html = "".join(f"<p class=MsoNormal>{escape(line) or '&nbsp;'}</p>" for line in answer.split("\n"))
    html += (f"<div id=divRplyFwdMsg><hr><b>差出人:</b> {escape(str(original['From']))}<br>"
             f"<b>送信日時:</b> 2026年11月26日 10:00</div><div>{escape(quoted)}</div>")
    msg.attach(MIMEText(f"<html><body>{html}</body></html>", "html", charset))
    _headers(msg, sender=sender, name=name, to=str(original["Reply-To"]), charset=charset,
             subject=_reply_subject(original, "RE:"), original=original, message_id=message_id)
    msg["Thread-Topic"] = Header(str(original["Subject"]), charset).encode()
    return msg.as_bytes()


def gmail_reply(original: EmailMessage, answer: str, *, sender: str, name: str = "山田 太郎",
                html_only: bool = False) -> bytes:
    """Gmail (Japanese): answer, then the attribution line (wrapped) and ``>`` quotes."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in text_of(original).split("\n"))
    bot_name = email.utils.parseaddr(str(original["From"]))[0]
    attribution = f"2026年11月26日(木) 10:00 {bot_name} <\n{original['Reply-To']}>:"
    plain = f"{answer}\n\n{attribution}\n\n{quoted}\n"
    html = (f"<div dir=\"ltr\">{'<br>'.join(escape(x) for x in answer.split(chr(10)))}</div><br>"
            f"<div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">2026年11月26日(木) 10:00 "
            f"{escape(bot_name)} &lt;{escape(str(original['Reply-To']))}&gt;:<br></div>"
            f"<blockquote class=\"gmail_quote\">{escape(text_of(original)).replace(chr(10), '<br>')}"
            f"</blockquote></div>")
    if html_only:
        msg: Message = MIMEText(html, "html", "utf-8")
    else:
        msg = MIMEMultipart("alternative")
        msg.attach(MIMEText(plain, "plain", "utf-8"))
        msg.attach(MIMEText(html, "html", "utf-8"))
    _headers(msg, sender=sender, name=name, to=str(original["Reply-To"]), charset="utf-8",
             subject=_reply_subject(original, "Re:"), original=original)
    return msg.as_bytes()


def thunderbird_reply(original: EmailMessage, answer: str, *, sender: str,
                      name: str = "Taro Yamada", charset: str = "utf-8", top: bool = False) -> bytes:
    """Thunderbird: ``On <date>, <name> wrote:`` and ``>`` quotes, format=flowed; by default
    the answer goes below the quote (its default), then the signature."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in text_of(original).split("\n"))
    bot_name = email.utils.parseaddr(str(original["From"]))[0]
    attribution = f"On 2026/11/26 10:00, {bot_name} wrote:\n{quoted}\n"
    signature = f"-- \n{name}\nABC損害保険株式会社\n"
    body = (f"{answer}\n\n{attribution}\n{signature}" if top
            else f"{attribution}\n{answer}\n\n{signature}")
    msg = MIMEText(body, "plain", charset)
    msg.set_param("format", "flowed")
    _headers(msg, sender=sender, name=name, to=str(original["Reply-To"]), charset=charset,
             subject=_reply_subject(original, "Re:"), original=original)
    msg["User-Agent"] = "Mozilla Thunderbird"
    return msg.as_bytes()


def new_mail(*, sender: str, to: str, subject: str, body: str = "", name: str = "",
             charset: str = "utf-8", message_id: str | None = None,
             extra: dict[str, str] | None = None) -> bytes:
    msg = MIMEText(body, "plain", charset)
    _headers(msg, sender=sender, name=name, to=to, subject=subject, charset=charset,
             original=None, message_id=message_id)
    for k, v in (extra or {}).items():
        msg[k] = v
    return msg.as_bytes()


async def send(port: int, raw: bytes, *, sender: str, to: str | list[str]) -> None:
    """Deliver as a mail server or program does: MAIL FROM, RCPT TO, DATA."""
    await aiosmtplib.send(raw, sender=sender, recipients=[to] if isinstance(to, str) else to,
                          hostname="127.0.0.1", port=port, timeout=30)


async def send_null_sender(port: int, raw: bytes, *, to: str) -> None:
    """A bounce: ``MAIL FROM:<>``."""

    def deliver() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.sendmail("", [to], raw)

    await asyncio.to_thread(deliver)


async def eventually(check: Callable[[], object], *, timeout: float = 30.0, what: str = "") -> object:
    """Poll until ``check()`` is truthy (it may read files: it runs in a thread)."""
    return await waiting.until(check, timeout=timeout, what=what, in_thread=True)


class Folder:
    """The bot's outgoing mail folder (``DATA_DIR/mail``), read as a person's inbox."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: set[str] = set()

    def all(self) -> list[EmailMessage]:
        if not self.path.is_dir():
            return []
        return [parse(p.read_bytes()) for p in sorted(self.path.glob("*.eml"))]

    def new(self) -> list[EmailMessage]:
        if not self.path.is_dir():
            return []
        fresh = sorted(p for p in self.path.glob("*.eml") if p.name not in self.seen)
        self.seen |= {p.name for p in fresh}
        return [parse(p.read_bytes()) for p in fresh]


def dsn(original: bytes, *, to: str, recipient: str, action: str = "failed", status: str = "5.1.1",
        diagnostic: str = "", reporting: str = "relay.test", message_id: str | None = None) -> bytes:
    """A delivery status notification as Postfix writes one: a human part, the
    ``message/delivery-status`` part and the returned message's headers, from MAILER-DAEMON."""
    diagnostic = diagnostic or (f"smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: "
                                f"User unknown in virtual mailbox table")
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = f"MAILER-DAEMON@{reporting} (Mail Delivery System)"
    report["To"] = to
    report["Subject"] = ("Delayed Mail (still being retried)" if action == "delayed"
                         else "Undelivered Mail Returned to Sender")
    report["Date"] = DATE
    report["Message-ID"] = message_id or make_msgid(domain=reporting)
    report["Auto-Submitted"] = "auto-replied"
    said = ("Your message could not be delivered yet; the mail system will keep trying."
            if action == "delayed" else
            f"I'm sorry to have to inform you that your message could not\nbe delivered to one or more "
            f"recipients.\n\n<{recipient}>: host mx.{recipient.split('@')[1]} said: {diagnostic.split(';', 1)[-1]}")
    report.attach(MIMEText(f"This is the mail system at host {reporting}.\n\n{said}\n", "plain", "us-ascii"))
    per_message, per_recipient = Message(), Message()
    per_message["Reporting-MTA"] = f"dns; {reporting}"
    per_message["Arrival-Date"] = DATE
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Original-Recipient"] = f"rfc822;{recipient}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    per_recipient["Remote-MTA"] = f"dns; mx.{recipient.split('@')[1]}"
    per_recipient["Diagnostic-Code"] = diagnostic
    status_part = MIMEBase("message", "delivery-status")
    del status_part["MIME-Version"]
    status_part.set_payload([per_message, per_recipient])
    report.attach(status_part)
    head = original.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    headers = MIMEText(head + "\n", "rfc822-headers", "us-ascii")
    report.attach(headers)
    return report.as_bytes(policy=policy.SMTP)  # CRLF: smtplib sends bytes as they are


@dataclass
class Sink:
    """A relay on loopback that keeps what it accepts; ``refuse`` maps recipients to replies.
    A recipient in ``undeliverable`` is accepted, and a DSN for it (``dsn``, with that status
    and diagnostic) is kept in ``returned``; with ``returns_to`` set (the bot's SMTP port) it is
    sent there at once with a null sender, as a relay returns a bounce."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    undeliverable: dict[str, tuple[str, str]] = field(default_factory=dict)
    returns_to: int | None = None
    returned: list[tuple[str, bytes]] = field(default_factory=list)  # (envelope recipient, DSN)
    returning: set[asyncio.Task[None]] = field(default_factory=set)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append((envelope.mail_from or "", list(envelope.rcpt_tos),
                              envelope.original_content or b""))
        for rcpt in envelope.rcpt_tos:
            if rcpt in self.undeliverable and envelope.mail_from:
                status, diagnostic = self.undeliverable[rcpt]
                raw = dsn(envelope.original_content or b"", to=envelope.mail_from, recipient=rcpt,
                          status=status, diagnostic=diagnostic)
                self.returned.append((envelope.mail_from, raw))
                if self.returns_to is not None:
                    task = asyncio.get_running_loop().create_task(
                        send_null_sender(self.returns_to, raw, to=envelope.mail_from))
                    self.returning.add(task)
                    task.add_done_callback(self.returning.discard)
        return "250 OK"

    def mails(self) -> list[EmailMessage]:
        return [parse(raw) for _, _, raw in self.received]
