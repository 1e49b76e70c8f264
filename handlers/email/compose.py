"""Outbox messages (data) to mails: one mail per message, UTF-8, plain text plus escaped HTML.

Headers are built only from values the bot controls or has checked: the recipient must be one
plain address, the subject and every other value are stripped of control characters, so nothing
a person typed can start a header of its own.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from bot import fields as F
from bot.application import OPEN_FOR_ANSWERS, Application
from bot.conversation import Reply
from bot.dates import JST
from handlers import documents, notice_values
from handlers.email import fillin, unverified, writer
from handlers.email.addresses import Addresses, recipient
from handlers.links import LinkSigner
from handlers.render import LANGS, Renderer
from handlers.wrapping import MAIL_WIDTH

TEMPLATE = "mail/message.j2"
ASKING = frozenset({"question", "summary", "help_offer"})  # replies that wait for an answer
REPLY_INVITED = frozenset({"returned"})  # notices that ask the applicant to answer (差戻し)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Unsendable(ValueError):
    """The message cannot become a mail (bad recipient, no template): retrying will not help."""


def header_value(value: object) -> str:
    """One line, no control characters: safe to put in a header."""
    return " ".join(_CONTROL.sub(" ", str(value)).split())


def sender(renderer: Renderer, addresses: Addresses, lang: str) -> tuple[str, str]:
    """The ``From`` of every mail the bot sends: its name in ``lang``, its own address."""
    return header_value(renderer.block(TEMPLATE, "from_name", lang)), addresses.bot


def markers(renderer: Renderer) -> list[str]:
    """The words of the "reply above this line" marker in every language."""
    return [renderer.block(TEMPLATE, "marker", lang).strip("#- ") for lang in LANGS]


class Composer:
    def __init__(self, renderer: Renderer, addresses: Addresses, links: LinkSigner | None = None) -> None:
        self.renderer = renderer
        self.addresses = addresses
        self.links = links  # signs the link to the ID通知 page (SPEC §6)

    def compose(self, message: dict[str, Any], app: Application | None, now: datetime) -> writer.Outgoing:
        to = recipient(str(message.get("to") or ""))
        if to is None:
            raise Unsendable(f"not one plain address that can be written without SMTPUTF8: {message.get('to')!r}")
        lang = str(message.get("lang")) if message.get("lang") in LANGS else "ja"
        app_id, outbox_id = str(message["app_id"]), str(message["id"])
        role = str(message.get("role") or "applicant")
        headers: dict[str, str] = {}
        files: list[tuple[str, bytes]] = []
        links: list[str] = []  # the bot's own links in the text: the only ones made clickable
        kind = message.get("kind")
        if kind == "notice":
            subject, body, links = self._notice(message, app, lang, role)
            rows: list[dict[str, str]] = []
            headers["X-WebNACCS-Notice"] = _token(message.get("notice"))
            if not (unverified.applies(message) and documents.kind_for(message) in unverified.FREE_TEXT_DOCUMENTS):
                files = documents.for_notice(message, app, self.renderer, now.astimezone(JST).date(), lang)
        elif kind == "reply":
            replies = [Reply(**r) for r in message.get("replies") or []]
            body = "\n\n".join(self.renderer.reply(r, lang) for r in replies)
            subject = self.renderer.block(TEMPLATE, "subject", lang)
            asking = next((r for r in reversed(replies) if r.kind in ASKING and r.field), None)
            if asking is not None:
                headers["X-WebNACCS-Field"] = _token(asking.field)
            rows = self._rows(asking, app, lang)
        else:
            raise Unsendable(f"no mail for outbox messages of kind {message.get('kind')!r}")
        if message.get("acceptance_number"):
            headers["X-WebNACCS-Acceptance-Number"] = _token(message["acceptance_number"])
        # Only mails that ask something invite a reply: the conversation's and the 差戻し notice
        # to the applicant. Notices that ask nothing have no marker and no list of commands.
        invites = kind == "reply" or (message.get("notice") in REPLY_INVITED and role == "applicant")
        requested_by = unverified.requested_by(message) if kind == "notice" else None
        values = {"body": body, "rows": rows, "role": role, "asking": invites, "commands": kind == "reply",
                  "requested_by": requested_by,
                  "marker": self.renderer.block(TEMPLATE, "marker", lang),
                  "attachments": [name for name, _ in files]}
        text = self.renderer.block(TEMPLATE, "text", lang, width=MAIL_WIDTH, **values)
        unwrapped = self.renderer.block(TEMPLATE, "text", lang, width=None, **values)  # the HTML reflows
        page = self.renderer.render("mail/html.j2", lang, title=html.escape(header_value(subject)),
                                    body=_linked(unwrapped, links))
        return writer.write([
            *self.common_headers(app_id, outbox_id, to, lang, now, subject=subject),
            *((name, value) for name, value in headers.items() if value),
        ], text + "\n", page + "\n", files, lang=lang)

    def common_headers(self, app_id: str, outbox_id: str, to: str, lang: str, now: datetime, *,
                       subject: str) -> list[tuple[str, writer.Value]]:
        """From, To, Reply-To, Subject, Date, Message-ID, the thread and the auto-reply
        headers: the same in every mail about an application."""
        root = self.addresses.thread_root(app_id)
        return [
            ("From", sender(self.renderer, self.addresses, lang)),
            ("To", to),
            ("Reply-To", self.addresses.reply_to(app_id, to)),
            ("Subject", header_value(subject)),
            ("Date", format_datetime(now)),
            ("Message-ID", self.addresses.message_id(app_id, outbox_id)),
            ("In-Reply-To", root),
            ("References", root),
            ("Auto-Submitted", "auto-generated"),
            ("X-Auto-Response-Suppress", "All"),  # Exchange: no out-of-office replies to us
        ]

    def _notice(self, message: dict[str, Any], app: Application | None, lang: str, role: str
                ) -> tuple[str, str, list[str]]:
        name = f"notices/{_token(message.get('notice'))}.j2"
        values = {**notice_values.completed(message.get("params") or {}, app), "role": role}
        if unverified.applies(message):  # an address the applicant typed: names only (issue 15.8)
            values = unverified.values(values, message)
        expires_on = values.get("expires_on")
        if role == "applicant" and expires_on and self.links is not None:
            # Only the applicant gets the way to the ID通知 page; the codes never travel by mail.
            values["link"] = self.links.url(str(message["app_id"]), str(expires_on))
        try:
            subject = self.renderer.block(name, "subject", lang, **values)
            body = self.renderer.block(name, "body", lang, **values)
        except Exception as e:  # a missing template or value: an operator has to look
            raise Unsendable(f"cannot render {name}: {e}") from e
        if not subject or not body:
            raise Unsendable(f"{name} has no subject or body")
        return subject, body, [values["link"]] if values.get("link") else []

    def _rows(self, asking: Reply | None, app: Application | None, lang: str) -> list[dict[str, str]]:
        """The fill-in block: every question still open, the one asked first."""
        if asking is None or asking.kind != "question" or app is None \
                or app.state not in OPEN_FOR_ANSWERS:
            return []
        open_keys = [f.key for f in F.applicable(app.answers) if f.key not in app.answers]
        keys = [asking.field, *(k for k in open_keys if k != asking.field)] if asking.field else []
        if len(keys) < 2:
            return []
        return fillin.block_lines([k for k in keys if k in F.BY_KEY], app.prefill, self.renderer, lang)


def _linked(text: str, links: list[str]) -> str:
    """The text escaped for HTML, where only a line that is one of the bot's own links (the
    ID通知 page) becomes a link: nothing a person typed is ever linked (issue 15.7)."""
    lines = []
    for line in text.split("\n"):
        escaped = html.escape(line)
        if line.strip() and line.strip() in links:
            url = html.escape(line.strip())
            escaped = escaped.replace(url, f'<a href="{url}">{url}</a>')
        lines.append(escaped)
    return "\n".join(lines)


def _token(value: object) -> str:
    text = str(value or "")
    return text if _TOKEN.fullmatch(text) else ""
