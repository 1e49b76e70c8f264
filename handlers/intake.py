"""A small thread pool of its own for taking messages in (spool writes, address checks).

The core's work runs in asyncio's default pool; under load that pool is busy, and a message
that is only to be written to disk before it is acknowledged must not queue behind it — Slack
wants its answer within 3 seconds, and a sending mail server is waiting too.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="intake")


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_POOL, functools.partial(fn, *args, **kwargs))
