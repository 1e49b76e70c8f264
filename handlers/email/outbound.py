"""Delivering mails for the outbox dispatcher: through the SMTP relay, or into a folder.

With ``WEBNACCS_SMTP_RELAY`` set, each mail goes through the relay (STARTTLS and login when
configured): a 4xx answer or a connection problem raises ``Retry`` (the dispatcher backs off
and tries again), a 5xx answer raises ``Permanent`` (the message is marked failed for the
operator). Without a relay each mail is written to ``DATA_DIR/mail/<Message-ID>.eml``; the name
comes from the stable Message-ID, so a resend after a crash replaces the file, never adds one.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib

from bot.application import Application
from bot.ports import Clock
from handlers.email.compose import Composer, Unsendable
from handlers.outbox import Permanent, Retry
from store.atomic import atomic_write_bytes

log = logging.getLogger("webnaccs.email")


def parse_relay(relay: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port``; the port defaults to 25)."""
    relay = relay.strip()
    m = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", relay) or re.fullmatch(r"([^:]+)(?::(\d+))?", relay)
    if not m:
        raise ValueError(f"WEBNACCS_SMTP_RELAY is not host:port: {relay!r}")
    return m.group(1), int(m.group(2) or 25)


def eml_name(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", message_id.strip("<> ")) + ".eml"


class MailSender:
    """The ``Sender`` of the ``email`` outbox channel."""

    def __init__(self, composer: Composer, *, load: Callable[[str], Application | None],
                 clock: Clock, envelope_sender: str, relay: str | None, mail_dir: Path,
                 username: str | None = None, password: str | None = None,
                 starttls: bool = False, timeout: float = 30.0) -> None:
        self.composer = composer
        self.load = load
        self.clock = clock
        self.envelope_sender = envelope_sender
        self.relay = parse_relay(relay) if relay else None
        self.mail_dir = mail_dir
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    async def send(self, message: dict[str, Any]) -> None:
        try:  # loading, rendering and building MIME (and PDFs) stay off the event loop
            mail = await asyncio.to_thread(self._compose, message)
        except Unsendable as e:
            raise Permanent(str(e)) from e
        to = str(mail["To"])
        if self.relay is None:
            await self._write(mail)
        else:
            await self._relay(mail, to)

    def _compose(self, message: dict[str, Any]) -> EmailMessage:
        app = self.load(str(message["app_id"]))
        return self.composer.compose(message, app, self.clock.now())

    async def _write(self, mail: EmailMessage) -> None:
        path = self.mail_dir / eml_name(str(mail["Message-ID"]))
        try:
            await asyncio.to_thread(atomic_write_bytes, path, mail.as_bytes(policy=policy.SMTP))
        except OSError as e:
            raise Retry(f"cannot write {path.name}: {e}") from e

    async def _relay(self, mail: EmailMessage, to: str) -> None:
        assert self.relay is not None
        host, port = self.relay
        try:
            await aiosmtplib.send(mail.as_bytes(policy=policy.SMTP), sender=self.envelope_sender,
                                  recipients=[to], hostname=host, port=port,
                                  local_hostname=self.envelope_sender.rpartition("@")[2] or "localhost",
                                  username=self.username,
                                  password=self.password, start_tls=self.starttls,
                                  timeout=self.timeout)
        except aiosmtplib.SMTPRecipientsRefused as e:
            codes = [r.code for r in e.recipients]
            text = "; ".join(f"{r.code} {r.message}" for r in e.recipients)
            if any(400 <= c < 500 for c in codes):
                raise Retry(f"recipient deferred: {text}") from e
            raise Permanent(f"recipient refused: {text}") from e
        except aiosmtplib.SMTPAuthenticationError as e:
            # The relay login is the operator's setting: keep the mail and back off until fixed.
            log.error("SMTP relay login failed (%s %s): check WEBNACCS_SMTP_USER/PASSWORD",
                      e.code, e.message)
            raise Retry(f"relay login failed: {e.code} {e.message}") from e
        except aiosmtplib.SMTPResponseException as e:
            if 400 <= e.code < 500:
                raise Retry(f"relay deferred: {e.code} {e.message}") from e
            if 500 <= e.code < 600:
                raise Permanent(f"relay refused: {e.code} {e.message}") from e
            raise Retry(f"relay answered {e.code} {e.message}") from e
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as e:
            raise Retry(f"relay unreachable: {type(e).__name__}: {e}") from e
