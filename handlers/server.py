"""``webnaccs-bot serve``: one asyncio loop running every configured channel.

The web server (``/healthz`` and the routes channels add), each channel's listeners, and the
outbox dispatcher that delivers what the core queued all share this loop. The core is
synchronous (TinyDB files under one lock), so listeners call it with ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from bot import dates
from handlers import bootstrap, http_guard, metrics, scheduler, upkeep
from handlers.bootstrap import Bot
from handlers.outbox import Dispatcher, Sender
from handlers.web import make_app

log = logging.getLogger("webnaccs.server")


class Channel(Protocol):
    """A way people reach the bot (Slack, email). ``senders`` maps outbox channel names to
    the objects that deliver them."""

    name: str
    senders: dict[str, Sender]

    def routes(self, app: web.Application) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def close(self) -> None:
        """After the dispatcher has stopped: release what sending needed."""
        ...


@dataclass
class Running:
    """What ``start`` brought up, for tests and for a clean stop."""

    bot: Bot
    channels: Sequence[Channel]
    dispatcher: Dispatcher
    runner: web.AppRunner
    port: int
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    async def stop(self) -> None:
        self.stop_event.set()
        for channel in reversed(self.channels):
            await channel.stop()
        for task in self.tasks:
            await task
        for channel in self.channels:
            await channel.close()
        await self.runner.cleanup()
        await upkeep.checkpoint(self.bot.store, holders(self.channels))
        self.bot.store.disown()


async def start(bot: Bot, channels: Sequence[Channel] | None = None) -> Running:
    channels = list(bootstrap.channels(bot) if channels is None else channels)
    await asyncio.to_thread(dates.warm_up)
    warming = asyncio.ensure_future(asyncio.to_thread(bot.renderer.warm_up))  # compiled meanwhile
    bot.store.own()  # one serve per data directory: it alone takes checkpoints
    bot.store.listen(bot.signal)  # replicas: another's commit wakes this dispatcher too
    await asyncio.to_thread(bot.store.sweep_temp_files)  # left by a kill in the middle of a write
    app = make_app(service=bot.service, renderer=bot.renderer, links=bot.links, lang=bot.config.lang)
    for channel in channels:
        channel.routes(app)
    runner = await http_guard.serve(app, bot.config.http_host, bot.config.http_port)
    port = runner.addresses[0][1]
    senders = metrics.counted({name: s for channel in channels for name, s in channel.senders.items()})
    dispatcher = Dispatcher(bot.store, senders, clock=bot.service.clock, signal=bot.signal)
    running = Running(bot, channels, dispatcher, runner, port)
    running.tasks.append(asyncio.ensure_future(_quietly(warming)))
    running.tasks.append(asyncio.create_task(dispatcher.run(running.stop_event)))
    running.tasks.append(asyncio.create_task(scheduler.run(bot.service, running.stop_event)))
    running.tasks.append(asyncio.create_task(upkeep.run(bot.store, holders(channels), bot.service.clock,
                                                        running.stop_event)))
    for channel in channels:
        await channel.start()
    return running


async def _quietly(task: asyncio.Future[int]) -> None:
    try:
        await task
    except Exception:  # a template that does not compile shows when it is used
        log.exception("compiling the templates failed")


def holders(channels: Sequence[Channel]) -> list[upkeep.Holder]:
    return [c for c in channels if isinstance(c, upkeep.Holder)]


def run(bot: Bot) -> int:
    """``serve`` until SIGINT/SIGTERM; an operator's fault at start is one line and exit 1."""
    from handlers import logging_setup, metrics, startup

    try:
        logging_setup.configure(bootstrap.load_env())
    except ValueError as e:
        return startup.say_refused(bot, {"problem": "setting", "error": str(e)})
    ready = startup.Ready()

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            channels = metrics.instrument(bootstrap.channels(bot))
        except ValueError as e:  # a setting the channels cannot use (a relay address, a CA bundle …)
            return startup.say_refused(bot, {"problem": "setting", "error": str(e)})
        try:
            running = await start(bot, channels)
        except (OSError, RuntimeError) as e:
            refused = startup.refusal(bot, e)
            if refused is None:
                raise
            return startup.say_refused(bot, refused)
        census = metrics.watch(bot.store, bootstrap.spool(bot))
        print(startup.started(bot, running.port, [c.name for c in running.channels]), flush=True)
        ready.ready(f"serving on {bot.config.http_host}:{running.port}")
        await stop.wait()
        ready.stopping()
        census.stop()
        metrics.unwatch()
        await running.stop()
        return 0

    return asyncio.run(main())
