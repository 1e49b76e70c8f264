"""The outbox dispatcher: delivers every queued message through its channel, with retries.

Messages were written by the core in the same write as the change that caused them. Each is
handed to the sender of its channel; success marks it sent, ``Retry`` schedules another try with
exponential backoff and full jitter (:func:`backoff`; or exactly the server's Retry-After),
``Permanent`` marks it failed for the operator. Messages to one recipient go out in order;
different recipients in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.ports import Clock, Store

log = logging.getLogger("webnaccs.outbox")
LEASE = 120.0  # seconds a claimed message is this dispatcher's before another may take it
MIN_DELAY = 0.5  # seconds: full jitter may draw ~0, and a retry at once rarely finds things mended


class Retry(Exception):
    """A temporary failure (429, 5xx, SMTP 4xx, connection): try again later."""

    def __init__(self, reason: str = "", *, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class Permanent(Exception):
    """A failure retrying cannot fix (SMTP 5xx, Slack channel_not_found): shown to the operator."""


class Sender(Protocol):
    async def send(self, message: dict[str, Any]) -> None: ...


class OutboxSignal:
    """Rung by the core (from any thread) after it queued messages; a dispatcher running on
    a loop listens. Built by the composition root before either, so neither is patched later."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __call__(self) -> None:
        loop, event = self._loop, self._event
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # it closed meanwhile: nobody listens any more
                loop.call_soon_threadsafe(event.set)

    def listen(self) -> asyncio.Event:
        """The event to wait on, bound to the running loop."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
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

    def wake(self) -> None:
        """Thread-safe: something was queued, look now."""
        self.signal()

    async def run(self, stop: asyncio.Event) -> None:
        event = self.signal.listen()
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

    async def drain(self) -> int:
        """Deliver every message that is due; returns how many were sent."""
        pending = await asyncio.to_thread(self.store.claim_outbox, list(self.senders),
                                          lease_seconds=LEASE)
        now = self.clock.now()
        queues: dict[tuple[str, str], list[dict[str, Any]]] = {}
        waiting: set[tuple[str, str]] = set()  # recipients whose earlier message waits for a retry
        for message in pending:
            recipient = (str(message.get("channel")), str(message.get("to")))
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
        try:
            await self.senders[message["channel"]].send(message)
        except Retry as e:
            delay = e.after if e.after is not None else backoff(
                attempts, base=self.base_delay, cap=self.max_delay, rng=self.rng)
            next_at = self.clock.now() + timedelta(seconds=delay)
            log.warning("outbox %s/%s: retry in %.1fs (%s)", app_id, message_id, delay, e)
            await asyncio.to_thread(mark, app_id, message_id, "pending", attempts=attempts,
                                    next_at=next_at.isoformat(), last_error=str(e))
            return False
        except Permanent as e:
            log.error("outbox %s/%s: failed (%s)", app_id, message_id, e)
            await asyncio.to_thread(mark, app_id, message_id, "failed", attempts=attempts,
                                    last_error=str(e))
            return True  # it will not go out; the next ones may
        await asyncio.to_thread(mark, app_id, message_id, "sent", attempts=attempts,
                                sent_at=self.clock.now().isoformat())
        return True


def backoff(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds before try ``attempts + 1``: "full jitter" (a uniform draw up to the exponential
    step ``base·2^(attempts-1)``, capped at ``cap``), at least MIN_DELAY. Messages that failed
    together (a relay or Slack down for everyone) come back spread out, not as one wave."""
    ceiling = min(cap, base * 2.0 ** max(0, attempts - 1))
    return max(min(MIN_DELAY, ceiling), rng.uniform(0.0, ceiling))


def _due(message: dict[str, Any], now: datetime) -> bool:
    next_at = message.get("next_at")
    return not next_at or datetime.fromisoformat(next_at) <= now
