"""A running service with the email channel on loopback (ports 0), on a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config
from handlers import bootstrap, server
from handlers.email import EmailChannel
from tests.email.mailer import Folder, eventually
from tests.fakes import FixedClock, clock_at

BOT = "webnaccs@localhost"
TARO = "taro@example.co.jp"
HANAKO = "hanako@example.co.jp"
SECRET = "test-secret-for-reply-tokens"


@pytest.fixture
def clock() -> FixedClock:
    return clock_at("2026-11-26T10:00")


@pytest.fixture
def config(tmp_path: Path, database_url: str | None) -> Config:
    return Config(data_dir=tmp_path / "data", http_port=0, smtp_port=0, mail_address=BOT,
                  secret=SECRET, database_url=database_url)


@dataclass
class Service:
    """What a test needs of the running service."""

    bot: bootstrap.Bot
    channel: EmailChannel
    running: server.Running
    folder: Folder

    @property
    def port(self) -> int:
        return self.channel.port

    async def settled(self) -> None:
        """Every accepted mail processed and every outgoing mail delivered (or given up)."""
        await self.channel.drain()

        def quiet() -> bool:
            return not [m for m in self.bot.store.pending_outbox()
                        if m.get("channel") == "email" and not m.get("next_at")]

        await eventually(quiet, what="the outbox to be delivered")

    stopped: bool = False

    def app(self, number_or_id: str) -> Any:
        return self.bot.service.find(number_or_id) or self.bot.service.load(number_or_id)

    async def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            await self.running.stop()
            self.bot.store.close()


@pytest.fixture
async def start_service(clock: FixedClock) -> AsyncIterator[Callable[..., Any]]:
    started: list[Service] = []

    async def start(config: Config, **channel_options: Any) -> Service:
        bot = bootstrap.build(config, clock=clock)
        channel = bootstrap.email_channel(bot, **channel_options)
        running = await server.start(bot, [channel])
        svc = Service(bot, channel, running, Folder(config.data_dir / "mail"))
        started.append(svc)
        return svc

    yield start
    for svc in started:
        await svc.stop()


@pytest.fixture
async def service(start_service: Callable[..., Any], config: Config) -> Service:
    return await start_service(config)


def with_relay(config: Config, port: int) -> Config:
    return replace(config, smtp_relay=f"127.0.0.1:{port}")
