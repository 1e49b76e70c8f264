"""The email channel: an SMTP listener on the service's loop, a spool, and the outbound sender.

Inbound, in order: at most ``max_connections`` connections are open at once, a new one above
that is answered 421 and closed (listener.py); RCPT is accepted only for the bot's address, live reply addresses and the
bounce addresses of messages it sent (550 otherwise); DATA above ``max_size`` is refused with
552 (aiosmtpd); an accepted message is written to the spool, fsynced, and only then answered
250 — 451 when the spool cannot take it, so the sending server tries again. One worker
processes the spool in arrival order and removes each file once the core has saved what it
meant; files left by a crash are processed at start.

A mail is read in a thread of its own under a time budget (``budget``): one that takes longer
is abandoned and the worker goes on. A failure is classified (``failures``): a temporary one
(disk, database) is tried again with backoff and jitter, the tries kept with the spooled mail
so a restart goes on where it was; what can never succeed is set aside for the operator
(``webnaccs-bot inbound``) and its sender told once (``set_aside``).
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
from handlers.email import bounces, failures, listener, set_aside
from handlers.email.addresses import Addresses
from handlers.email.budget import Budget, run_within
from handlers.email.failures import Backoff
from handlers.email.outbound import MailSender
from handlers.email.process import Processor, Result
from handlers.outbox import Retry, Sender
from store.spool import SetAside, Spooled

log = logging.getLogger("webnaccs.email")

MAX_SIZE = 10 * 1024 * 1024  # bytes of one inbound mail; larger ones get 552
FRESH_BYTES = 32 * 1024 * 1024  # of accepted mail kept in memory until processed (beyond: read back)
IDLE_TIMEOUT = 120  # seconds without a complete command, DATA included (10 MB at ~90 kB/s)


class MailSpool(Protocol):
    """Where accepted mail waits (files under the data dir, or PostgreSQL rows)."""

    def put(self, raw: bytes, envelope: dict[str, Any]) -> str: ...

    def sweep(self) -> int: ...

    def names(self) -> list[str]: ...

    def read(self, name: str) -> Spooled: ...

    def done(self, name: str) -> None: ...

    def processed(self, name: str) -> None: ...

    @property
    def processed_count(self) -> int: ...

    def release(self, count: int) -> int: ...

    def retry_later(self, name: str, *, attempts: int, delay: float, reason: str) -> None: ...

    def set_aside(self, name: str, info: dict[str, Any] | None = None) -> None: ...

    def set_aside_list(self) -> list[SetAside]: ...

    def mark_told(self, name: str) -> None: ...


class EmailChannel:
    """SMTP in, mail out. ``port`` is the bound SMTP port once started (config port 0 works)."""

    name = "email"

    def __init__(self, *, service: Service, addresses: Addresses, spool: MailSpool, sender: MailSender,
                 processor: Processor, host: str, port: int, max_size: int = MAX_SIZE,
                 process: bool = True, backoff: Backoff | None = None, time_budget: float = 20.0,
                 rescan: float = 30.0, lang: str = "ja", max_connections: int = listener.MAX_CONNECTIONS) -> None:
        self.service = service
        self.host = host
        self.port = port
        self.max_size = max_size
        self.max_connections = max_connections  # open at once; more are answered 421
        self.connections: listener.Connections | None = None
        self.process = process  # False only in tests that stop between 250 and processing
        self.backoff = backoff or Backoff()
        self.time_budget = time_budget  # seconds to read one mail (WEBNACCS_MAIL_TIME_BUDGET)
        self.lang = lang
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._untold = True  # set-aside mails whose sender may not have been told yet
        self.rescan = rescan
        self._queued: set[str] = set()
        self._fresh: dict[str, Spooled] = {}  # accepted here, not yet processed: no need to read back
        self._fresh_bytes = 0
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

        if self.process:  # the service that owns the spool: what a crash left that is no mail
            await asyncio.to_thread(self.spool.sweep)
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
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._worker is not None:
            self._stopping = True  # what is still queued stays in the spool for the next start
            self._queue.put_nowait(None)
            await self._worker
            self._worker = None

    def before_checkpoint(self) -> int:
        return self.spool.processed_count

    async def close(self) -> None:
        """Once the dispatcher stopped: the relay connections kept open are closed."""
        await self.sender.close()

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
        except Exception as e:  # a disk or a database: never a 250 without the mail kept
            log.error("cannot spool an inbound mail: %s", e)
            return "451 4.3.0 Temporarily unable to accept the message, please try again later"
        if self.process:
            if self._fresh_bytes + len(raw) <= FRESH_BYTES:
                self._fresh[name] = Spooled(name, meta, raw)
                self._fresh_bytes += len(raw)
            self._enqueue(name)
        return f"250 2.0.0 OK queued as {name.split('.')[0]}"

    def _enqueue(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()
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
                if self._untold:
                    self._untold = False
                    await self._tell_untold()
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
            except Exception:  # the worker itself must go on with the next mail
                log.exception("inbound mail %s: the worker failed; it is looked at again later", name)
            finally:
                if name is not None:
                    self._queued.discard(name)
                self._queue.task_done()

    async def _process(self, name: str) -> None:
        try:
            fresh = self._fresh.pop(name, None)
            if fresh is not None:
                self._fresh_bytes -= len(fresh.raw)
            spooled = fresh if fresh is not None else await asyncio.to_thread(self.spool.read, name)
        except FileNotFoundError:
            return  # already processed and removed (a duplicate entry in the queue)
        except Exception as e:  # the spool itself (a disk, the database): the mail stays and waits
            log.error("cannot read inbound mail %s from the spool: %s", name, e)
            self._later(name, self.backoff.delay(1))
            return
        try:
            with metrics.turn("email"):
                result = await run_within(lambda: self.processor.process(spooled.raw, spooled.envelope),
                                          Budget(self.time_budget))
        except Exception as e:
            await self._failed(spooled, e)
            return
        log.info("inbound mail %s: %s %s", name, result.action, result.reason)
        self.results.append((name, result))
        self.spool.processed(name)  # removed once a checkpoint has made its turn durable

    async def _failed(self, spooled: Spooled, error: Exception) -> None:
        """Try the mail again later, or set it aside when it can never succeed (failures.py)."""
        name, attempts, kind = spooled.name, spooled.attempts + 1, failures.kind_of(error)
        reason = f"{type(error).__name__}: {error}"[:500]
        if not failures.gives_up(kind, attempts):
            delay = self.backoff.delay(attempts)
            if kind == failures.TEMPORARY:
                log.warning("inbound mail %s: temporary failure (%s), try %d again in %.0f s",
                            name, reason, attempts, delay)
            else:
                log.error("processing inbound mail %s failed (try %d, again in %.0f s)", name, attempts, delay,
                          exc_info=error)
            try:
                await asyncio.to_thread(self.spool.retry_later, name, attempts=attempts, delay=delay,
                                        reason=reason)
            except Exception as e:  # the spool is where the trouble is: remember it here meanwhile
                log.error("cannot record the try of inbound mail %s: %s", name, e)
            self._later(name, delay)
            return
        log.error("inbound mail %s set aside after %d tries (%s): %s", name, attempts, kind, reason,
                  exc_info=error if kind == failures.ERROR else None)
        try:
            described = await asyncio.to_thread(set_aside.describe, spooled.raw, spooled.envelope, self.addresses)
        except Exception:  # a header block that cannot be read either: nobody to tell
            log.exception("inbound mail %s: its headers cannot be read", name)
            described = {"sender": "", "subject": "", "notify": None, "automatic": "unreadable_headers",
                         "received_at": str(spooled.envelope.get("received_at") or "")}
        info = {**described, "reason": kind, "error": reason, "attempts": attempts, "told": False,
                "set_aside_at": self.service.clock.now().isoformat()}
        try:
            await asyncio.to_thread(self.spool.set_aside, name, info)
        except Exception as e:
            log.error("cannot set inbound mail %s aside: %s; it is tried again later", name, e)
            self._later(name, self.backoff.delay(attempts))
            return
        self.results.append((name, Result("failed", kind)))
        await self._tell(name, info, spooled.envelope)

    async def _tell(self, name: str, info: dict[str, Any], envelope: dict[str, Any]) -> None:
        """Tell the sender once that the mail was set aside (not a program's mail, see set_aside)."""
        try:
            lang = await asyncio.to_thread(self._lang_of, envelope)  # the store is not read on the loop
            mail = set_aside.notice(self.sender.composer.renderer, self.addresses, name, info,
                                    lang=lang, now=self.service.clock.now())
            if mail is None:
                return
            await self.sender.deliver(mail, envelope_sender="")
        except Exception as e:  # kept as not told; a temporary failure is tried again at the next look
            log.warning("cannot tell the sender of inbound mail %s that it was set aside: %s", name, e)
            self._untold = self._untold or isinstance(e, Retry)
            return
        await asyncio.to_thread(self.spool.mark_told, name)

    async def _tell_untold(self) -> None:
        for aside in await asyncio.to_thread(self.spool.set_aside_list):
            if aside.info.get("told") is False and aside.info.get("notify"):
                await self._tell(aside.name, aside.info, aside.envelope)

    def _lang_of(self, envelope: dict[str, Any]) -> str:
        """The language of the application a reply belongs to, else the service's default."""
        for rcpt in envelope.get("rcpt_tos") or []:
            token = self.addresses.token_of(str(rcpt))
            if token is not None:
                try:
                    app = self.service.load(token[0])
                except Exception:
                    return self.lang
                return app.lang if app is not None else self.lang
        return self.lang

    def _later(self, name: str, delay: float) -> None:
        """Queue ``name`` again after ``delay`` seconds (the periodic look finds it, too)."""
        if self._stopping:
            return
        old = self._timers.pop(name, None)
        if old is not None:
            old.cancel()
        self._timers[name] = asyncio.get_running_loop().call_later(delay, self._due, name)

    def _due(self, name: str) -> None:
        self._timers.pop(name, None)
        if not self._stopping:
            self._enqueue(name)


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

