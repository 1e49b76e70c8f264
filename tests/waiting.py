"""Waiting in tests: poll until something is true, with generous timeouts and no fixed sleeps,
so a slow machine makes a test slower, never red."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


async def until(predicate: Callable[[], Any], *, timeout: float = 20.0, what: str = "",
                in_thread: bool = False) -> Any:
    """``predicate()``'s first truthy value; ``in_thread`` for checks that read files."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(predicate) if in_thread else predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {what or predicate}")
        await asyncio.sleep(0.02)
