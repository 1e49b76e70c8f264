"""The relay connection is kept between mails: the next one skips connect, EHLO and login; one
the relay closed meanwhile is noticed before anything is sent on it, and the mail goes once."""

from __future__ import annotations

import asyncio

from aiosmtpd.smtp import SMTP

from handlers.email.outbound import MailSender
from tests.email.mailer import Sink
from tests.email.test_compose import COMPOSER, app, question, reply_message
from tests.fakes import clock_at


class Relay:
    """A loopback relay that counts its connections and can drop them all (as at its idle timeout)."""

    def __init__(self) -> None:
        self.sink = Sink()
        self.sessions: list[SMTP] = []
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def made() -> SMTP:
            smtp = SMTP(self.sink, hostname="relay.test", loop=loop)
            self.sessions.append(smtp)
            return smtp

        self.server = await loop.create_server(made, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    def drop_all(self) -> None:
        for smtp in self.sessions:
            if smtp.transport is not None:
                smtp.transport.close()


def sender(port: int, tmp_path) -> MailSender:
    return MailSender(COMPOSER, load=lambda app_id: app(), clock=clock_at(), envelope_sender="webnaccs@localhost",
                      relay=f"127.0.0.1:{port}", mail_dir=tmp_path / "mail", timeout=10, tls="none")


async def test_mails_one_after_another_share_one_connection(tmp_path):
    relay = Relay()
    await relay.start()
    mail = sender(relay.port, tmp_path)
    for n in range(3):
        await mail.send(reply_message(question(), id=f"reply-{n}"))
    assert len(relay.sink.received) == 3 and len(relay.sessions) == 1
    await mail.close()  # QUIT on what was kept
    await asyncio.sleep(0.05)
    assert relay.sessions[0].transport is None or relay.sessions[0].transport.is_closing()


async def test_a_connection_the_relay_closed_is_replaced_and_the_mail_goes_once(tmp_path):
    relay = Relay()
    await relay.start()
    mail = sender(relay.port, tmp_path)
    await mail.send(reply_message(question(), id="reply-1"))
    relay.drop_all()  # the relay's idle timeout
    await asyncio.sleep(0.05)
    await mail.send(reply_message(question(), id="reply-2"))
    assert len(relay.sink.received) == 2 and len(relay.sessions) == 2
    ids = [raw.split(b"Message-ID: ")[1].split(b"\r\n")[0] for _, _, raw in relay.sink.received]
    assert len(set(ids)) == 2  # each mail once
    await mail.close()
