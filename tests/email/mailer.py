"""The other side of the wire: mail programs writing to the bot, and a relay that counts.

Replies are built the way the clients build them — Outlook (Japanese) with its 差出人/送信日時
block above the unquoted original, often in ISO-2022-JP; Gmail (Japanese) with its one-line
attribution and ``>`` quotes, UTF-8 in base64 with an HTML part; Thunderbird with
``On … wrote:`` and format=flowed — and sent over SMTP on loopback.
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


@dataclass
class Sink:
    """A relay on loopback that keeps what it accepts; ``refuse`` maps recipients to replies."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append((envelope.mail_from or "", list(envelope.rcpt_tos),
                              envelope.original_content or b""))
        return "250 OK"

    def mails(self) -> list[EmailMessage]:
        return [parse(raw) for _, _, raw in self.received]
