"""The SMTP listener's connections: at most ``cap`` open at once (issue 15.4).

Each accepted connection gets an aiosmtpd ``SMTP`` protocol while fewer than ``cap`` are open;
above that it is answered ``421`` (RFC 5321 §3.8: the service is not available, try later) and
closed at once, before any command is read, so a crowd of idle or slow clients costs one
greeting each and the mail servers that queue mail try again. aiosmtpd's own idle timeout (120 s
without a complete command) closes the idle ones, and a place is free again as soon as any
connection ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiosmtpd.smtp import SMTP

log = logging.getLogger("webnaccs.email")

MAX_CONNECTIONS = 256  # WEBNACCS_SMTP_MAX_CONNECTIONS
LOG_EVERY = 60.0  # seconds between two lines about refused connections


class Refusal(asyncio.Protocol):
    """A connection above the cap: one ``421`` line, then closed."""

    def __init__(self, hostname: str) -> None:
        self.hostname = hostname

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        line = f"421 4.3.2 {self.hostname} Too many connections, try again later\r\n"
        transport.write(line.encode("ascii", "replace"))
        transport.close()


class Connections:
    """The protocol factory of one listener, counting the connections it let in."""

    def __init__(self, make: Callable[[], SMTP], *, cap: int, hostname: str) -> None:
        if cap < 1:
            raise ValueError(f"WEBNACCS_SMTP_MAX_CONNECTIONS must be at least 1, not {cap}")
        self.make = make
        self.cap = cap
        self.hostname = hostname
        self.open = 0
        self.refused = 0
        self._logged_at: float | None = None
        self._unlogged = 0

    def __call__(self) -> asyncio.BaseProtocol:
        if self.open >= self.cap:
            self.refused += 1
            self._log_refusal()
            return Refusal(self.hostname)
        protocol = self.make()
        self.open += 1
        lost = protocol.connection_lost

        def connection_lost(error: Exception | None) -> None:  # asyncio calls it once per connection
            try:
                lost(error)
            finally:
                self.open -= 1

        protocol.connection_lost = connection_lost  # type: ignore[method-assign]
        return protocol

    def _log_refusal(self) -> None:
        """One WARNING line a minute at most, counting those it did not write."""
        now = time.monotonic()
        if self._logged_at is not None and now - self._logged_at < LOG_EVERY:
            self._unlogged += 1
            return
        more = f" ({self._unlogged} more since the last line)" if self._unlogged else ""
        log.warning("SMTP: %d connections open, the limit (WEBNACCS_SMTP_MAX_CONNECTIONS): a new one was "
                    "answered 421%s", self.open, more)
        self._logged_at, self._unlogged = now, 0
