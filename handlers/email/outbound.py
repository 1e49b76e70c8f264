"""Delivering mails for the outbox dispatcher: through the SMTP relay, or into a folder.

With ``WEBNACCS_SMTP_RELAY`` set, each mail goes through the relay, encrypted as
``WEBNACCS_SMTP_TLS`` says (unset: STARTTLS whenever the relay offers it; ``starttls``: STARTTLS
required; ``tls``: implicit TLS; ``none``: plain), the relay's certificate verified against the
system's CAs or ``WEBNACCS_SMTP_CA_FILE``; the login (``WEBNACCS_SMTP_USER``) never goes in clear
unless ``none`` says so. A 4xx answer, a connection or TLS problem raises ``Retry`` (the dispatcher
backs off and tries again; the mail stays in the outbox), a 5xx answer raises ``Permanent`` (the
message is marked failed for the operator). Without a relay each mail is written to
``DATA_DIR/mail/<Message-ID>.eml``; the name comes from the stable Message-ID, so a resend after
a crash replaces the file, never adds one.

The envelope sender of each mail is its own bounce address (VERP, ``Addresses.bounce_address``):
a bounce that comes back names the message (handlers/email/bounces.py).

A relay connection is kept open after a mail (up to ``KEPT`` of them, for ``KEEP_OPEN``
seconds) and used again while it is open: the next mail skips connect, EHLO, STARTTLS and
login. One the relay closed meanwhile is dropped before anything is sent on it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import aiosmtplib

from bot.application import Application
from bot.config import SMTP_TLS_MODES
from bot.ports import Clock
from handlers.email import review_mail
from handlers.email.ahead import Ahead
from handlers.email.compose import Composer, Unsendable
from handlers.email.writer import Outgoing
from handlers.outbox import Permanent, Retry
from store.atomic import atomic_write_bytes

log = logging.getLogger("webnaccs.email")
KEPT = 4  # relay connections kept open between mails (mails to different people go in parallel)
KEEP_OPEN = 30.0  # seconds an idle one is used again; relays close idle ones after minutes


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
                 starttls: bool = False, timeout: float = 30.0,
                 tls: str | None = None, ca_file: Path | str | None = None) -> None:
        """``tls`` is the ``WEBNACCS_SMTP_TLS`` mode (``None``: STARTTLS whenever offered);
        ``starttls=True`` is the older way to say ``tls="starttls"``."""
        self.composer = composer
        self.load = load
        self.clock = clock
        self.envelope_sender = envelope_sender
        self.relay = parse_relay(relay) if relay else None
        self.mail_dir = mail_dir
        self.username = username
        self.password = password
        self.tls = relay_tls_mode(tls, starttls)
        self.timeout = timeout
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []  # relay connections kept, since when
        self.ahead: Ahead[Outgoing] = Ahead()  # mails built by the turn that queued them
        self.tls_context: ssl.SSLContext | None = None
        if self.relay is not None and self.tls != "none":
            self.tls_context = client_context(ca_file)
        if self.relay is not None and self.tls == "none" and username:
            log.warning("WEBNACCS_SMTP_TLS=none: the relay login (WEBNACCS_SMTP_USER) and every mail go to "
                        "%s:%s in clear", *self.relay)

    def build_ahead(self, app_id: str, messages: Iterable[Mapping[str, Any]]) -> None:
        """In the thread whose turn just committed them, before the dispatcher is woken (the
        signal's ``here``): the reply mails among ``messages`` built now. Only replies: a
        notice may carry PDFs, which are not made while the turn holds the store's lock."""
        for message in messages:
            if message.get("channel") == "email" and message.get("kind") == "reply":
                whole = {**message, "app_id": app_id}
                self.ahead.build((app_id, str(message["id"])), functools.partial(self._built, whole))

    async def send(self, message: dict[str, Any]) -> None:
        key = (str(message["app_id"]), str(message["id"]))
        try:  # loading, rendering, writing the mail (and PDFs) stay off the event loop
            mail = await self.ahead.built(key, lambda: self._built(message))
        except Unsendable as e:
            raise Permanent(str(e)) from e
        await self.deliver(mail, envelope_sender=self.envelope_for(message))

    async def deliver(self, mail: Outgoing, *, envelope_sender: str) -> None:
        """A mail already written, to its ``To`` (``envelope_sender`` "" is the null sender);
        ``Retry``/``Permanent`` as for the outbox."""
        if self.relay is None:
            await self._write(mail)
        else:
            await self._relay(mail.raw, str(mail["To"]), envelope_sender)

    def envelope_for(self, message: dict[str, Any]) -> str:
        """The bounce address of this message when the configured sender is the bot's own
        address (the composition root passes it), else the configured sender unchanged."""
        addresses = self.composer.addresses
        if not addresses.is_bot(self.envelope_sender):
            return self.envelope_sender
        return addresses.bounce_address(str(message["app_id"]), str(message["id"]))

    def _built(self, message: dict[str, Any]) -> Outgoing:
        app = self.load(str(message["app_id"]))
        if message.get("kind") == "review":  # to a reviewer by mail (WEBNACCS_REVIEWER_EMAILS)
            return review_mail.compose(self.composer, message, app, self.clock.now())
        return self.composer.compose(message, app, self.clock.now())

    async def _write(self, mail: Outgoing) -> None:
        path = self.mail_dir / eml_name(str(mail["Message-ID"]))
        try:
            await asyncio.to_thread(atomic_write_bytes, path, mail.raw)
        except OSError as e:
            raise Retry(f"cannot write {path.name}: {e}") from e

    async def close(self) -> None:
        """Say goodbye on the relay connections kept open."""
        idle, self._idle = self._idle, []
        for client, _ in idle:
            await quit_quietly(client)
            client.close()

    async def _connection(self) -> aiosmtplib.SMTP:
        """A relay connection kept from an earlier mail that is still open, else a new one. A
        relay closes an idle connection with a FIN the loop has read by now (aiosmtplib then
        closes its side), so a kept one needs no NOOP, and no round trip, to be known alive."""
        while self._idle:
            client, since = self._idle.pop()
            if time.monotonic() - since < KEEP_OPEN and client.is_connected:
                return client
            client.close()
        assert self.relay is not None
        host, port = self.relay
        client = aiosmtplib.SMTP(hostname=host, port=port, timeout=self.timeout,
                                 local_hostname=self.envelope_sender.rpartition("@")[2] or "localhost",
                                 use_tls=self.tls == "tls", start_tls=False, tls_context=self.tls_context)
        try:
            await client.connect()
            await self._secure(client)
            if self.username:
                await client.login(self.username, self.password or "")
        except BaseException:
            client.close()
            raise
        return client

    async def _relay(self, raw: bytes, to: str, envelope_sender: str) -> None:
        assert self.relay is not None
        host, port = self.relay
        client: aiosmtplib.SMTP | None = None
        try:
            client = await self._connection()
            await client.sendmail(envelope_sender, [to], raw)
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
            untrusted = certificate_error(e)
            if untrusted is not None:
                log.error("SMTP relay %s:%s: its certificate is not trusted (%s): set WEBNACCS_SMTP_CA_FILE "
                          "to the CA bundle that signed it", host, port, untrusted.verify_message)
                raise Retry(f"relay certificate not trusted: {untrusted.verify_message}") from e
            raise Retry(f"relay unreachable: {type(e).__name__}: {e}") from e
        else:  # accepted: kept open for the next mail (a failing QUIT later must not send it again)
            if len(self._idle) < KEPT:
                self._idle.append((client, time.monotonic()))
                client = None
            else:
                await quit_quietly(client)
        finally:
            if client is not None:
                client.close()

    async def _secure(self, client: aiosmtplib.SMTP) -> None:
        """STARTTLS as the mode says, before any login or mail; ``Retry`` when it cannot be had."""
        if self.tls in ("tls", "none"):
            return
        try:
            await client.ehlo()
        except aiosmtplib.SMTPHeloError:
            await client.helo()  # an old relay: no extensions, so no STARTTLS
        if client.supports_extension("starttls"):
            try:
                await client.starttls()
            except aiosmtplib.SMTPResponseException as e:  # the relay's setting, not this mail's fault
                log.error("SMTP relay refused STARTTLS (%s %s)", e.code, e.message)
                raise Retry(f"relay refused STARTTLS: {e.code} {e.message}") from e
            return
        if self.tls == "starttls":
            log.error("SMTP relay %s:%s does not offer STARTTLS, which WEBNACCS_SMTP_TLS=starttls requires: "
                      "nothing is sent", client.hostname, client.port)
            raise Retry("relay does not offer STARTTLS (WEBNACCS_SMTP_TLS=starttls)")
        if self.username:
            log.error("SMTP relay %s:%s does not offer STARTTLS: the login would go in clear, so nothing is "
                      "sent (set WEBNACCS_SMTP_TLS=none to allow it)", client.hostname, client.port)
            raise Retry("relay does not offer STARTTLS: the login would go in clear")


def relay_tls_mode(tls: str | None, starttls: bool) -> str | None:
    if tls is not None and tls not in SMTP_TLS_MODES:
        raise ValueError(f"WEBNACCS_SMTP_TLS must be starttls, tls or none, not {tls!r}")
    if starttls and tls not in (None, "starttls"):
        raise ValueError(f"WEBNACCS_SMTP_STARTTLS contradicts WEBNACCS_SMTP_TLS={tls}")
    return "starttls" if starttls else tls


def client_context(ca_file: Path | str | None) -> ssl.SSLContext:
    """Verifying the relay's certificate and host name: against ``ca_file`` alone when given."""
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as e:
        raise ValueError(f"WEBNACCS_SMTP_CA_FILE is not a readable CA bundle: {ca_file}: {e}") from e


def certificate_error(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate check under ``error`` (aiosmtplib wraps it when connecting with TLS)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


async def quit_quietly(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (TimeoutError, aiosmtplib.SMTPException, OSError) as e:
        log.debug("SMTP relay QUIT failed after the mail was accepted: %s", e)
