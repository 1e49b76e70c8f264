"""``webnaccs-bot serve``: one asyncio loop running every configured channel.

So far the core runs here on its own (warmed up, store opened); the Slack, email and web
channels attach to this loop as they arrive.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from bot import dates
from bot.bootstrap import Bot

log = logging.getLogger("webnaccs.server")


async def serve(bot: Bot, stop: asyncio.Event) -> None:
    await asyncio.to_thread(dates.warm_up)
    print(bot.renderer.render("cli/serve_started.j2", bot.config.lang,
                              data_dir=str(bot.config.data_dir.resolve()),
                              schedule=str(bot.config.schedule), channels=[]), flush=True)
    await stop.wait()


def run(bot: Bot) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(bot, stop)

    asyncio.run(main())
    return 0
