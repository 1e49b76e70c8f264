"""The HTTP listener, guarded against slow and numerous clients.

aiohttp has no header-read or body-read timeout of its own (a connection that sends half a
header stays open until its keep-alive timeout, an hour by default) and no connection limit.
Here each connection is wrapped in ``_Connection``, an asyncio protocol that passes everything
to aiohttp's ``RequestHandler`` and keeps one timer:

* from the connection's first byte (or its opening) until the request handler starts:
  ``header_timeout``; then, until the body has arrived: ``body_timeout``. Past either, the
  connection is closed. The handler's own run time and an idle keep-alive connection are not
  limited here (aiohttp closes idle ones after ``keepalive_timeout``).
* at most ``max_connections`` open at once. A new connection beyond that closes the oldest
  one that is idle or still sending its header — a slow client must not keep out one that is
  ready to talk, and a request in progress is never cut; only if every connection is inside a
  request is the new one answered 503 and closed. (Waiting instead would let a few hundred slow
  clients hold everyone else in the queue for up to ``header_timeout`` each.)

The request handler's start and end come from a middleware (``Guard.middleware``), the one
place aiohttp calls on every request, and the request task's completion (after the response
is written).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from handlers.logs import RateLimitedLog

log = logging.getLogger("webnaccs.http")
_REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n"
            b"Retry-After: 1\r\n\r\n")


@dataclass(frozen=True)
class Limits:
    """Seconds and counts for one listener; ``from_env`` reads WEBNACCS_HTTP_<NAME>."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keepalive_timeout: float = 75.0
    max_connections: int = 512

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Limits:
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f"WEBNACCS_HTTP_{f.name.upper()}"
            text = (env.get(name) or "").strip()
            if not text:
                continue
            kind = int if f.name == "max_connections" else float
            try:
                value = kind(text)
            except ValueError:
                value = 0
            if value <= 0:
                raise ValueError(f"{name} must be a positive {'whole ' if kind is int else ''}number, not {text!r}")
            values[f.name] = value
        return cls(**values)


_HEADERS, _BODY, _HANDLING, _IDLE = "headers", "body", "handling", "idle"


class _Connection(asyncio.Protocol):
    """One client connection: aiohttp's protocol inside, the timer and the state outside."""

    def __init__(self, guard: Guard, inner: web.RequestHandler) -> None:
        self.guard = guard
        self.inner = inner
        self.state = _HEADERS
        self.refused = False
        self.timed_out = False
        self.peer = "?"
        self.current: web.BaseRequest | None = None
        self._more = False  # bytes of a next request arrived while this one was handled
        self._timer: asyncio.TimerHandle | None = None
        self._transport: asyncio.Transport | None = None

    # --- asyncio.Protocol, passed on to aiohttp --------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        if not self.guard.admit(self):
            self.refused = True
            transport.write(_REFUSED)
            transport.close()
            return
        self.inner.connection_made(transport)
        self._await_header()

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        if self.state == _IDLE:
            self._await_header()
        elif self.state == _HANDLING:
            self._more = True
        self.inner.data_received(data)

    def eof_received(self) -> None:
        if not self.refused:
            self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.guard.forget(self)
        if not self.refused:
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    # --- the request's progress --------------------------------------------------------------

    def request_started(self, request: web.BaseRequest) -> None:
        self.current = request
        self._more = False
        self.guard.evictable.pop(self, None)
        if request.content.is_eof():
            self._handling()
            return
        self.state = _BODY
        self._arm(self.guard.limits.body_timeout, "the body was not received")
        request.content.on_eof(lambda: self._body_read(request))

    def _body_read(self, request: web.BaseRequest) -> None:
        if self.current is request and self.state == _BODY:
            self._handling()

    def _handling(self) -> None:
        self._disarm()
        self.state = _HANDLING

    def request_done(self, request: web.BaseRequest) -> None:
        """The response is written (or the request failed)."""
        if self.current is not request:
            return  # a pipelined next request has started already
        self.current = None
        if self._more:
            self._await_header()
        else:
            self._disarm()
            self.state = _IDLE
            self.guard.evictable[self] = None

    def _await_header(self) -> None:
        self.state = _HEADERS
        self._arm(self.guard.limits.header_timeout, "no complete request header")
        self.guard.evictable.pop(self, None)
        self.guard.evictable[self] = None  # the newest at the end

    # --- closing -----------------------------------------------------------------------------

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(seconds, self._expire, seconds, what)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self, seconds: float, what: str) -> None:
        self._timer = None
        self.timed_out = True
        self.guard.log.warning("HTTP: closed a connection from %s: %s within %g s", self.peer, what, seconds)
        self.close()

    def close(self) -> None:
        self.guard.forget(self)
        self.inner.force_close()
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()


class Guard:
    """The connections of one listener and the limits they live under."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.log = RateLimitedLog(log, per_minute=10)
        self.server: web.Server | None = None
        self.open: dict[web.RequestHandler, _Connection] = {}
        self.evictable: dict[_Connection, None] = {}  # idle or reading a header, oldest first

    def __call__(self) -> _Connection:
        """The protocol factory for ``loop.create_server``."""
        assert self.server is not None
        return _Connection(self, self.server())

    def admit(self, connection: _Connection) -> bool:
        if len(self.open) >= self.limits.max_connections:
            if not self.evictable:
                self.log.warning("HTTP: refused a connection from %s: %d connections, every one in a request",
                                 connection.peer, len(self.open))
                return False
            oldest = next(iter(self.evictable))
            self.log.warning("HTTP: %d connections open (the limit): closed the oldest idle one, from %s",
                             len(self.open), oldest.peer)
            oldest.close()
        self.open[connection.inner] = connection
        return True

    def forget(self, connection: _Connection) -> None:
        self.open.pop(connection.inner, None)
        self.evictable.pop(connection, None)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        connection = self.open.get(request.protocol)
        if connection is None:
            response: web.StreamResponse = await handler(request)
            return response
        connection.request_started(request)
        task = asyncio.current_task()
        if task is not None:  # aiohttp runs each request in a task of its own
            task.add_done_callback(lambda _: connection.request_done(request))
        try:
            response = await handler(request)
        except ConnectionResetError:
            if request.protocol.transport is not None:
                raise  # not this client's connection: a real error
            # the client went away, or was cut off above, while its body was read: no traceback
            response = web.Response(status=408 if connection.timed_out else 400)
        return response


class QuietParseErrors(logging.Filter):
    """aiohttp logs a request it cannot parse (a bad header line, a line over 8 kB) at ERROR
    with a traceback that quotes the bytes sent: outside input. Here it becomes one short,
    rate-limited warning; aiohttp still answers 400."""

    def __init__(self) -> None:
        super().__init__()
        self.limited = RateLimitedLog(log, per_minute=10)

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        peer = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        self.limited.warning("HTTP: answered %s to a malformed request from %s (%s)",
                             exc.code, peer, type(exc).__name__)
        return False


def quiet_parse_errors() -> None:
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, QuietParseErrors) for f in server_log.filters):
        server_log.addFilter(QuietParseErrors())


GUARD = web.AppKey("http_guard", Guard)  # the app's guard, for tests and diagnostics


class GuardedSite(web.BaseSite):
    """``web.TCPSite`` with the guard's protocol factory in place of ``runner.server``."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, guard: Guard, *, backlog: int = 128) -> None:
        super().__init__(runner, backlog=backlog)
        self._host, self._port, self._guard = host, port, guard

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        self._guard.server = self._runner.server
        self._server = await asyncio.get_running_loop().create_server(
            self._guard, self._host, self._port, backlog=self._backlog)


async def serve(app: web.Application, host: str, port: int, limits: Limits | None = None) -> web.AppRunner:
    """Start ``app`` on ``host:port`` under ``limits`` (default: from the environment)."""
    limits = limits or Limits.from_env(os.environ)
    quiet_parse_errors()
    guard = Guard(limits)
    app.middlewares.append(guard.middleware)
    app[GUARD] = guard
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=limits.keepalive_timeout)
    await runner.setup()
    await GuardedSite(runner, host, port, guard).start()
    return runner
