"""Mails built ahead: in the thread whose turn queued them, before the dispatcher can be woken.

A reply mail used to be built only once the dispatcher had woken, claimed it and handed it to a
thread: hops after the turn, then the building. Now the thread that commits a turn builds the
reply mails it queued right after the commit (``OutboxSignal.here`` → ``MailSender.build_ahead``
→ ``build``), and the dispatcher's ``built`` takes what is ready, waits for what is being built,
or builds it itself when nobody did (a notice, a retry, a restart). Each mail is built once
either way.

What is kept is bounded (``KEEP`` mails, each for ``FRESH`` seconds: a mail that waited longer,
behind a retry to the same person, is built again so that its Date is the sending day's).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")
Key = tuple[str, str]  # (app id, outbox message id)
KEEP = 64
FRESH = 30.0  # seconds


class Ahead(Generic[T]):
    def __init__(self, keep: int = KEEP, fresh: float = FRESH) -> None:
        self.keep = keep
        self.fresh = fresh
        self._lock = threading.Lock()
        self._made: OrderedDict[Key, tuple[Future[T], float]] = OrderedDict()

    def build(self, key: Key, make: Callable[[], T]) -> None:
        """In the thread that queued the message: build it now, unless someone else is. What
        goes wrong is kept for the dispatcher, which raises it as if it had built the mail."""
        future, mine = self._take(key)
        if mine:
            with contextlib.suppress(Exception):
                _fill(future, make)

    async def built(self, key: Key, make: Callable[[], T]) -> T:
        """For the dispatcher: the thing built ahead, or built now off the loop."""
        try:
            future, mine = self._take(key)
            if mine:
                return await asyncio.to_thread(_fill, future, make)
            return await asyncio.wrap_future(future)
        finally:
            with self._lock:
                self._made.pop(key, None)  # sent or failed: a retry builds it afresh

    def __len__(self) -> int:
        return len(self._made)

    def _take(self, key: Key) -> tuple[Future[T], bool]:
        """The future of ``key``, and whether the caller is to fill it: yes when nobody builds
        it, or what was built is stale."""
        now = time.monotonic()
        with self._lock:
            kept = self._made.get(key)
            if kept is not None and (not kept[0].done() or now - kept[1] < self.fresh):
                return kept[0], False
            future: Future[T] = Future()
            self._made[key] = (future, now)
            self._made.move_to_end(key)
            while len(self._made) > self.keep:
                self._made.popitem(last=False)
            return future, True


def _fill(future: Future[T], make: Callable[[], T]) -> T:
    try:
        value = make()
    except BaseException as e:  # whoever waits for it raises it, as if it had built it itself
        future.set_exception(e)
        raise
    future.set_result(value)
    return value
