"""A service process for the kill test: it accepts mail into the spool but never processes it,
so the test can kill it exactly between the 250 and the processing.

    python -m tests.email.runner DATA_DIR  → prints {"port": N} once listening
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bot.config import Config
from handlers import bootstrap
from tests.email.conftest import BOT, SECRET
from tests.fakes import clock_at


async def main(data_dir: Path) -> None:
    config = Config(data_dir=data_dir, smtp_port=0, http_port=0, mail_address=BOT, secret=SECRET)
    bot = bootstrap.build(config, clock=clock_at("2026-11-26T10:00"))
    channel = bootstrap.email_channel(bot, process=False)
    await channel.start()
    print(json.dumps({"port": channel.port}), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
