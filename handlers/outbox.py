"""The outbox dispatcher: delivers every queued message through its channel, with retries.

Messages were written by the core in the same write as the change that caused them. Each is
handed to the sender of its channel; success marks it sent, ``Retry`` schedules another try with
exponential backoff and full jitter (:func:`backoff`; or exactly the server's Retry-After),
``Permanent`` marks it failed for the operator. Messages to one recipient go out in order;
different recipients in parallel.

Exactly once, in effect: a message whose earlier attempt may have reached its channel is handed
to the sender with ``MAYBE_SENT`` set, and a sender that can look (Slack: the conversation's
history) records it instead of sending it again, setting ``FOUND``. A first attempt is never
suspect, so it costs nothing. Suspect are: the first pending message of each recipient when the
dispatcher starts (the one a killed process may have been sending: messages to a recipient go
out one after the other, so those behind it were never tried; this costs no write, and also
covers marks a power cut lost), the next message of a recipient after one was found (its mark
was lost too), a message whose last attempt ended in a failure after which it may have arrived
(``Retry(maybe_sent=True)``: a 5xx, a timeout; written with the retry's own mark), and one a
store hands over from a replica whose lease expired (``MAYBE_SENT`` in what ``claim_outbox``
returns).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from bot.ports import ClaimsAtOnce, Clock, Store

log = logging.getLogger("webnaccs.outbox")
LEASE = 120.0  # seconds a claimed message is this dispatcher's before another may take it
MIN_DELAY = 0.5  # seconds: full jitter may draw ~0, and a retry at once rarely finds things mended
MAYBE_SENT = "maybe_sent"  # an earlier attempt may have delivered it: look before sending
FOUND = "found"  # set by a sender: it was delivered before, and is recorded now, not sent again


class Retry(Exception):
    """A temporary failure (429, 5xx, SMTP 4xx, connection): try again later. ``maybe_sent``:
    the message may have arrived all the same (a 5xx, a timeout after the request went out)."""

    def __init__(self, reason: str = "", *, after: float | None = None, maybe_sent: bool = False) -> None:
        super().__init__(reason)
        self.after = after
        self.maybe_sent = maybe_sent


class Permanent(Exception):
    """A failure retrying cannot fix (SMTP 5xx, Slack channel_not_found): shown to the operator."""


class Sender(Protocol):
    async def send(self, message: dict[str, Any]) -> None: ...


@runtime_checkable
class Prepares(Protocol):
    def prepare(self, message: dict[str, Any]) -> None:
        """On the loop, before the message may be sent: get it ready (render it), nothing more."""
        ...


class OutboxSignal:
    """Rung by the core (from any thread) after it queued messages; a dispatcher running on
    a loop listens. Built by the composition root before either, so neither is patched later."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._prepare: Callable[[str, Sequence[Any]], None] | None = None
        self._here: list[Callable[[str, Sequence[Any]], None]] = []

    def __call__(self) -> None:
        loop, event = self._loop, self._event
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # it closed meanwhile: nobody listens any more
                loop.call_soon_threadsafe(event.set)

    def here(self, build: Callable[[str, Sequence[Any]], None]) -> None:
        """Register ``build``: called by ``ahead`` in the committing thread itself, before the
        dispatcher can be woken (the composition root registers the mail sender's)."""
        self._here.append(build)

    def ahead(self, app_id: str, messages: Sequence[Any]) -> None:
        """Committed, not yet synced (``bot.ports.Ahead``): what registered ``here`` builds
        them now, in this thread; the listener gets them ready on its loop, which is idle while
        the turn's thread waits for the disk."""
        for build in self._here:
            try:
                build(app_id, messages)
            except Exception:  # getting ready is an optimisation: sending does it all again
                log.debug("outbox %s: not built ahead", app_id, exc_info=True)
        loop, prepare = self._loop, self._prepare
        if loop is not None and prepare is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(prepare, app_id, list(messages))

    def listen(self, prepare: Callable[[str, Sequence[Any]], None] | None = None) -> asyncio.Event:
        """The event to wait on, bound to the running loop; ``prepare`` gets what is ahead."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._prepare = prepare
        return self._event


class Dispatcher:
    def __init__(self, store: Store, senders: Mapping[str, Sender], *, clock: Clock,
                 signal: OutboxSignal | None = None, base_delay: float = 2.0,
                 max_delay: float = 600.0, poll: float = 5.0, rng: random.Random | None = None) -> None:
        self.store = store
        self.senders = dict(senders)
        self.clock = clock
        self.signal = signal or OutboxSignal()
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.poll = poll
        self.rng = rng or random.Random()
        # Claims and marks get threads of their own: in the loop's default pool they would queue
        # behind turns under load (seconds, in the crash drill), and a message posted but not
        # yet marked is one a kill makes suspect.
        self._books = _book_threads()
        self._started = False
        self._suspects: set[tuple[str, str]] = set()  # (app id, message id) that may have gone out
        self._after_found: set[tuple[str, str]] = set()  # recipients whose next message is suspect

    def wake(self) -> None:
        """Thread-safe: something was queued, look now."""
        self.signal()

    async def run(self, stop: asyncio.Event) -> None:
        event = self.signal.listen(prepare=self._prepare)
        while not stop.is_set():
            event.clear()
            try:
                await self.drain()
            except Exception:  # keep delivering whatever one bad message does
                log.exception("outbox pass failed")
            waiter = asyncio.ensure_future(event.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=self.poll,
                               return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
        old, self._books = self._books, _book_threads()  # the old threads end; a later drain gets new
        old.shutdown(wait=False)

    async def _book(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``call`` (a store's claim or mark) on the dispatcher's own threads."""
        return await asyncio.get_running_loop().run_in_executor(self._books, functools.partial(call, *args, **kwargs))

    def _prepare(self, app_id: str, messages: Sequence[Any]) -> None:
        for message in messages:
            sender = self.senders.get(str(message.get("channel")))
            if isinstance(sender, Prepares):
                try:
                    sender.prepare({**message, "app_id": app_id})
                except Exception:  # getting ready is an optimisation: sending does it all again
                    log.debug("outbox %s/%s: not prepared", app_id, message.get("id"), exc_info=True)

    async def _claim(self) -> list[dict[str, Any]]:
        """What to deliver: asked right here when the store can answer without waiting (the
        hop to a thread and back is most of a claim's cost), else on the dispatcher's thread."""
        if isinstance(self.store, ClaimsAtOnce):
            pending = self.store.claim_outbox_now(list(self.senders), lease_seconds=LEASE)
            if pending is not None:
                return pending
        claimed: list[dict[str, Any]] = await self._book(self.store.claim_outbox, list(self.senders),
                                                         lease_seconds=LEASE)
        return claimed

    async def drain(self) -> int:
        """Deliver every message that is due; returns how many were sent."""
        pending = await self._claim()
        if not self._started:  # what a killed process may have been sending
            self._started = True
            firsts: dict[tuple[str, str], tuple[str, str]] = {}
            for message in pending:
                firsts.setdefault(_recipient(message), (message["app_id"], message["id"]))
            self._suspects.update(firsts.values())
        now = self.clock.now()
        queues: dict[tuple[str, str], list[dict[str, Any]]] = {}
        waiting: set[tuple[str, str]] = set()  # recipients whose earlier message waits for a retry
        for message in pending:
            recipient = _recipient(message)
            if message.get("channel") not in self.senders or recipient in waiting:
                continue
            if not _due(message, now):
                waiting.add(recipient)  # later messages to this recipient must not overtake it
                continue
            queues.setdefault(recipient, []).append(message)
        sent = await asyncio.gather(*(self._deliver_in_order(q) for q in queues.values()))
        return sum(sent)

    async def _deliver_in_order(self, messages: list[dict[str, Any]]) -> int:
        sent = 0
        for message in messages:
            if not await self._deliver(message):
                break  # keep the order: later messages to this recipient wait for this one
            sent += 1
        return sent

    async def _deliver(self, message: dict[str, Any]) -> bool:
        mark: Callable[..., None] = self.store.mark_outbox
        app_id, message_id = message["app_id"], message["id"]
        attempts = int(message.get("attempts", 0)) + 1
        recipient = _recipient(message)
        if (app_id, message_id) in self._suspects or recipient in self._after_found:
            message[MAYBE_SENT] = True
        self._after_found.discard(recipient)
        try:
            await self.senders[message["channel"]].send(message)
        except Retry as e:
            delay = e.after if e.after is not None else backoff(
                attempts, base=self.base_delay, cap=self.max_delay, rng=self.rng)
            next_at = self.clock.now() + timedelta(seconds=delay)
            log.warning("outbox %s/%s: retry in %.1fs (%s)", app_id, message_id, delay, e)
            unsure = {MAYBE_SENT: True} if e.maybe_sent or message.get(MAYBE_SENT) else {}
            await self._book(mark, app_id, message_id, "pending", attempts=attempts,
                             next_at=next_at.isoformat(), last_error=str(e), **unsure)
            self._suspects.discard((app_id, message_id))  # the mark holds it now
            return False
        except Permanent as e:
            log.error("outbox %s/%s: failed (%s)", app_id, message_id, e)
            await self._book(mark, app_id, message_id, "failed", attempts=attempts, last_error=str(e))
            self._suspects.discard((app_id, message_id))
            return True  # it will not go out; the next ones may
        found = {FOUND: True} if message.get(FOUND) else {}
        if found:
            log.info("outbox %s/%s: already delivered before a restart, recorded without sending it again",
                     app_id, message_id)
            self._after_found.add(recipient)
        await self._book(mark, app_id, message_id, "sent", attempts=attempts,
                         sent_at=self.clock.now().isoformat(), **found)
        self._suspects.discard((app_id, message_id))
        return True


def _book_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="outbox")


def _recipient(message: dict[str, Any]) -> tuple[str, str]:
    return (str(message.get("channel")), str(message.get("to")))


def backoff(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds before try ``attempts + 1``: "full jitter" (a uniform draw up to the exponential
    step ``base·2^(attempts-1)``, capped at ``cap``), at least MIN_DELAY. Messages that failed
    together (a relay or Slack down for everyone) come back spread out, not as one wave."""
    ceiling = min(cap, base * 2.0 ** max(0, attempts - 1))
    return max(min(MIN_DELAY, ceiling), rng.uniform(0.0, ceiling))


def _due(message: dict[str, Any], now: datetime) -> bool:
    next_at = message.get("next_at")
    return not next_at or datetime.fromisoformat(next_at) <= now
