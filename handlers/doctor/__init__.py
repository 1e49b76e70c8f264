"""``webnaccs-bot doctor``: checks the configuration without changing anything.

Each check gives one :class:`Check` (ok, warn, fail, or skip when there is nothing to check);
its words live in ``templates/<lang>/cli/doctor.j2``, one block per ``code``. The data
directory and the schedule are read from disk (never created nor repaired: the store is not
opened); Slack, the relay and the public URL are asked over the network, with short timeouts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date

from bot.config import Config
from handlers.doctor.checks import FAIL, OK, SKIP, WARN, Check
from handlers.doctor.local import data_dir, public_url, schedule
from handlers.doctor.remote import relay, slack

__all__ = ["FAIL", "OK", "SKIP", "WARN", "Check", "run"]


async def run(config: Config, *, today: date, env: Mapping[str, str] | None = None,
              timeout: float = 10.0) -> list[Check]:
    """Every check, in the order they are shown; the network ones run at the same time."""
    local = [*data_dir(config), *schedule(config, today)]
    remote = await asyncio.gather(slack(config, timeout=timeout), relay(config, timeout=timeout),
                                  public_url(config, env or {}, timeout=timeout))
    return [*local, *(check for group in remote for check in group)]
