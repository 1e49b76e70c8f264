"""The email channel: an SMTP listener on the service's loop, a spool, and the outbound sender.

Inbound, in order: at most ``max_connections`` connections are open at once, a new one above
that is answered 421 and closed (listener.py); RCPT is accepted only for the bot's address, live reply addresses and the
bounce addresses of messages it sent (550 otherwise); DATA above ``max_size`` is refused with
552 (aiosmtpd); an accepted message is written to the spool, fsynced, and only then answered
250 — 451 when the spool cannot take it, so the sending server tries again. One worker
processes the spool in arrival order and removes each file once the core has saved what it
meant; files left by a crash are processed at start.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, Protocol

from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.service import Service
from handlers import intake, metrics
from handlers.email import bounces, listener
from handlers.email.addresses import Addresses
from handlers.email.outbound import MailSender
from handlers.email.process import Processor, Result
from handlers.outbox import Sender
from store.spool import Spooled

log = logging.getLogger("webnaccs.email")

MAX_SIZE = 10 * 1024 * 1024  # bytes of one inbound mail; larger ones get 552
IDLE_TIMEOUT = 120  # seconds without a complete command, DATA included (10 MB at ~90 kB/s)
ATTEMPTS = 3  # tries at processing one spooled mail before it is set aside for the operator


class MailSpool(Protocol):
    """Where accepted mail waits (files under the data dir, or PostgreSQL rows)."""

    def put(self, raw: bytes, envelope: dict[str, Any]) -> str: ...

    def names(self) -> list[str]: ...

    def read(self, name: str) -> Spooled: ...

    def done(self, name: str) -> None: ...

    def processed(self, name: str) -> None: ...

    @property
    def processed_count(self) -> int: ...

    def release(self, count: int) -> int: ...

    def set_aside(self, name: str) -> None: ...


class EmailChannel:
    """SMTP in, mail out. ``port`` is the bound SMTP port once started (config port 0 works)."""

    name = "email"

    def __init__(self, *, service: Service, addresses: Addresses, spool: MailSpool, sender: MailSender,
                 processor: Processor, host: str, port: int, max_size: int = MAX_SIZE,
                 process: bool = True, retry_delay: float = 1.0, rescan: float = 30.0,
                 max_connections: int = listener.MAX_CONNECTIONS) -> None:
        self.service = service
        self.host = host
        self.port = port
        self.max_size = max_size
        self.max_connections = max_connections  # open at once; more are answered 421
        self.connections: listener.Connections | None = None
        self.process = process  # False only in tests that stop between 250 and processing
        self.retry_delay = retry_delay
        self.rescan = rescan
        self._queued: set[str] = set()
        self._rescanning: asyncio.Task[None] | None = None
        self.addresses = addresses
        self.spool = spool
        self.sender = sender
        self.mail_dir = sender.mail_dir
        self.senders: dict[str, Sender] = {"email": sender}
        self.processor = processor
        self.results: deque[tuple[str, Result]] = deque(maxlen=200)  # recent (spool name, result)
        self._server: asyncio.base_events.Server | None = None
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._stopping = False

    def routes(self, app: web.Application) -> None:
        """No web routes: mail comes over SMTP."""

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.connections = self._connections(Gate(self), loop)
        aiosmtpd_log = logging.getLogger("mail.log")
        if aiosmtpd_log.level == logging.NOTSET:  # it logs every command, addresses included
            aiosmtpd_log.setLevel(logging.WARNING)

        self._server = await loop.create_server(self.connections, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("SMTP listening on %s:%s for %s", self.host, self.port, self.addresses.bot)
        if self.process:
            await self._rescan()  # left by a crash
            self._worker = asyncio.create_task(self._work())
            self._rescanning = asyncio.create_task(self._rescan_every(self.rescan))

    def _connections(self, gate: Gate, loop: asyncio.AbstractEventLoop) -> listener.Connections:
        """The listener's protocol factory: aiosmtpd's SMTP for each connection up to the cap,
        ``421`` above it (handlers/email/listener.py)."""

        def make() -> SMTP:
            return SMTP(gate, data_size_limit=self.max_size, enable_SMTPUTF8=True,
                        decode_data=False, hostname=self.addresses.domain, ident="webnaccs-bot",
                        auth_exclude_mechanism=["LOGIN", "PLAIN"], loop=loop, timeout=IDLE_TIMEOUT)

        return listener.Connections(make, cap=self.max_connections, hostname=self.addresses.domain)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if self._rescanning is not None:
            self._rescanning.cancel()
        if self._worker is not None:
            self._stopping = True  # what is still queued stays in the spool for the next start
            self._queue.put_nowait(None)
            await self._worker
            self._worker = None

    def before_checkpoint(self) -> int:
        return self.spool.processed_count

    async def close(self) -> None:
        """Nothing to release once the dispatcher stopped (the relay connection is per mail)."""

    async def checkpointed(self, mark: int) -> None:
        """A checkpoint of the store began after ``mark`` mails were processed: their turns
        are durable now, so the mails can go."""
        await asyncio.to_thread(self.spool.release, mark)

    async def drain(self) -> None:
        """Wait until every mail accepted so far has been processed (for tests and shutdown)."""
        await self._queue.join()

    # --- inbound --------------------------------------------------------------------------

    async def accepts(self, address: str) -> bool:
        if self.addresses.is_bot(address):
            return True
        bounce = self.addresses.bounce_token_of(address)
        if bounce is not None:
            return await intake.run(bounces.known, self.service.store, self.addresses, *bounce) is not None
        token = self.addresses.token_of(address)
        if token is None:
            return False
        app = await intake.run(self.service.load, token[0])
        return self.addresses.holder(app, token[1]) is not None

    async def accept(self, envelope: Envelope, session: Session) -> str:
        """Spool one message; the SMTP answer depends on the spool having it on disk."""
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                "peer": str(session.peer), "received_at": self.service.clock.now().isoformat()}
        raw = envelope.original_content or b""
        try:
            name = await intake.run(self.spool.put, raw, meta)
        except OSError as e:
            log.error("cannot spool an inbound mail: %s", e)
            return "451 4.3.0 Temporarily unable to accept the message, please try again later"
        if self.process:
            self._enqueue(name)
        return f"250 2.0.0 OK queued as {name.split('.')[0]}"

    def _enqueue(self, name: str) -> None:
        if name not in self._queued:
            self._queued.add(name)
            self._queue.put_nowait(name)

    async def _rescan(self) -> None:
        for name in await asyncio.to_thread(self.spool.names):
            self._enqueue(name)

    async def _rescan_every(self, every: float) -> None:
        """Mails another replica accepted and could not process (it died) wait in the shared
        spool: look for them now and then. (With one process this finds nothing new.)"""
        while not self._stopping:
            await asyncio.sleep(every)
            try:
                await self._rescan()
            except Exception:
                log.exception("looking for waiting mail failed")

    async def _work(self) -> None:
        while True:
            name = await self._queue.get()
            try:
                if name is None:
                    return
                if not self._stopping:
                    await self._process(name)
            finally:
                if name is not None:
                    self._queued.discard(name)
                self._queue.task_done()

    async def _process(self, name: str) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                def read_and_process(name: str = name) -> Result:
                    spooled = self.spool.read(name)
                    return self.processor.process(spooled.raw, spooled.envelope)

                with metrics.turn("email"):
                    result = await asyncio.to_thread(read_and_process)
            except FileNotFoundError:
                return  # already processed and removed (a duplicate entry in the queue)
            except Exception:
                log.exception("processing inbound mail %s failed (attempt %d)", name, attempt)
                if attempt < ATTEMPTS:
                    await asyncio.sleep(self.retry_delay * attempt)
                    continue
                await asyncio.to_thread(self.spool.set_aside, name)
                self.results.append((name, Result("failed")))
                return
            log.info("inbound mail %s: %s %s", name, result.action, result.reason)
            self.results.append((name, result))
            self.spool.processed(name)  # removed once a checkpoint has made its turn durable
            return


class Gate:
    """The aiosmtpd handler: decides RCPT and stores DATA."""

    def __init__(self, channel: EmailChannel) -> None:
        self.channel = channel

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if not await self.channel.accepts(address):
            return "550 5.1.1 Recipient address rejected: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return await self.channel.accept(envelope, session)

    def __repr__(self) -> str:  # aiosmtpd logs its handler
        return f"<Gate {self.channel.addresses.bot}>"

