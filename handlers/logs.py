"""Log lines that outside traffic can cause, rate-limited: a flood of bad requests writes a few
lines and then one summary, never a line per request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any


class RateLimitedLog:
    """At most ``per_minute`` warnings (a token bucket that refills continuously); the rest are
    counted, and one line "… N more … suppressed" reports them a minute after the first one, or
    before the next line that is let through.

    Hand-written: rate-limit libraries (limits, pyrate-limiter) answer "allowed or not" but keep
    no count of what they refused, and the bucket is ten lines."""

    def __init__(self, logger: logging.Logger, *, per_minute: int = 10,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.per_minute = per_minute
        self.clock = clock
        self.tokens = float(per_minute)
        self.stamp = clock()
        self.suppressed = 0
        self._timer: asyncio.TimerHandle | None = None

    def warning(self, message: str, *args: Any) -> None:
        now = self.clock()
        self.tokens = min(float(self.per_minute), self.tokens + (now - self.stamp) * self.per_minute / 60.0)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            self.flush()
            self.logger.warning(message, *args)
            return
        self.suppressed += 1
        if self._timer is None:
            with contextlib.suppress(RuntimeError):  # no loop: the next line let through reports them
                self._timer = asyncio.get_running_loop().call_later(60.0, self.flush)

    def flush(self) -> None:
        """Report what was suppressed, in one line."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.suppressed:
            self.logger.warning("… %d more such lines suppressed (at most %d a minute)",
                                self.suppressed, self.per_minute)
            self.suppressed = 0
