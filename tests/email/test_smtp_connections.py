"""The SMTP listener keeps a cap on open connections (issue 15.4): idle clients beyond it are
answered 421 and closed, and once they are gone a real mail goes through."""

from __future__ import annotations

import asyncio
import smtplib

from bot.config import Config
from tests.email.conftest import BOT, TARO
from tests.email.mailer import eventually, new_mail

CAP = 8


async def idle(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    """A client that connects, reads the first line, and then says nothing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    line = await asyncio.wait_for(reader.readline(), 30)
    return reader, writer, line


async def test_the_connection_over_the_cap_gets_421_and_mail_goes_through_afterwards(start_service, config):
    service = await start_service(config, max_connections=CAP)
    clients = [await idle(service.port) for _ in range(CAP)]
    assert all(line.startswith(b"220 ") for _, _, line in clients)
    assert service.channel.connections.open == CAP

    reader, writer, line = await idle(service.port)
    assert line.startswith(b"421 4.3.2 ")
    assert await asyncio.wait_for(reader.read(), 30) == b""  # and closed by the bot
    writer.close()
    for _, w, _ in clients[:CAP - 1]:
        assert not w.is_closing()  # the idle ones are still served (the 120 s timeout is theirs)

    for _, w, _ in clients:
        w.close()
    await eventually(lambda: service.channel.connections.open == 0, what="the idle connections to end")

    def deliver() -> dict[str, tuple[int, bytes]]:
        with smtplib.SMTP("127.0.0.1", service.port, timeout=30) as client:
            return client.sendmail(TARO, [BOT], new_mail(sender=TARO, to=BOT, subject="申込"))

    assert await asyncio.to_thread(deliver) == {}
    await service.settled()
    [question] = service.folder.new()
    assert question["To"] == TARO and question["X-WebNACCS-Field"] == "industry"
    assert service.channel.connections.refused == 1


def test_the_cap_is_configured_by_its_variable():
    assert Config.from_env({}).smtp_max_connections == 256
    assert Config.from_env({"WEBNACCS_SMTP_MAX_CONNECTIONS": "40"}).smtp_max_connections == 40
