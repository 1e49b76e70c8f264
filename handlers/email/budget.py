"""A time budget for processing one inbound mail (``WEBNACCS_MAIL_TIME_BUDGET``).

The mail is processed in a thread of its own. Its reading checks the budget at its steps
(``check``), and before the first write the thread declares that it acts (``act``): from then on
the mail's effects are being saved and it is waited for, however long the store takes. When the
budget runs out before that, the worker abandons the thread (``run_within`` raises
``OverBudget``) and goes on with the next mail: a thread stuck in a step that cannot be cut off
finds itself abandoned at its next check, or at ``act``, and saves nothing."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")
_current = threading.local()
IDLE_KEPT = 2  # mail threads kept waiting for the next mail


class OverBudget(Exception):
    """The mail took longer than its budget to read: it is set aside, never tried again."""


class Budget:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self._lock = threading.Lock()
        self.abandoned = False
        self.acting = False

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def check(self) -> None:
        if self.abandoned or (not self.acting and time.monotonic() > self.deadline):
            raise OverBudget(f"reading took longer than {self.seconds:g} s")

    def act(self) -> None:
        """About to save what the mail means: within the budget, it is no longer abandoned."""
        with self._lock:
            self.check()
            self.acting = True

    def abandon(self) -> bool:
        """Give up on the thread unless it is saving already (then it must be waited for)."""
        with self._lock:
            if self.acting:
                return False
            self.abandoned = True
            return True


def check() -> None:
    """A reading step: raise ``OverBudget`` when this thread's mail ran out of time."""
    budget: Budget | None = getattr(_current, "budget", None)
    if budget is not None:
        budget.check()


def act() -> None:
    """Before the first write of this thread's mail."""
    budget: Budget | None = getattr(_current, "budget", None)
    if budget is not None:
        budget.act()


class _MailThread:
    """A daemon thread mails are read in, used again for the next mail (starting a thread per
    mail cost a tenth of a millisecond and a hand-over of the GIL). One left behind with an
    abandoned mail ends when that mail does, and is never used again."""

    _idle: ClassVar[list[_MailThread]] = []  # at most IDLE_KEPT, waiting for a mail
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.left = False
        self.kept = False  # back among the idle ones after its last mail
        threading.Thread(target=self._run, name="mail", daemon=True).start()

    @classmethod
    def get(cls) -> _MailThread:
        with cls._lock:
            if cls._idle:
                return cls._idle.pop()
        return cls()

    def leave(self) -> None:
        with self._lock:
            self.left = True
            if self in self._idle:  # its mail ended just as its time ran out: it must end too
                self._idle.remove(self)
                self.kept = False
                self.jobs.put(_nothing)

    def done(self) -> None:
        """In the thread, once its mail is read and before the caller hears of it, so that the
        next mail finds this thread idle."""
        with self._lock:
            self.kept = not self.left and len(self._idle) < IDLE_KEPT
            if self.kept:
                self._idle.append(self)

    def _run(self) -> None:
        while True:
            self.jobs.get()()
            if not self.kept:
                return


async def run_within(fn: Callable[[], T], budget: Budget) -> T:
    """``fn()`` in the mail thread under ``budget``; ``OverBudget`` once the budget is spent
    before ``fn`` began to save (the thread is left behind and saves nothing)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def target() -> None:
        _current.budget = budget
        result: Any = None
        error: BaseException | None = None
        try:
            result = fn()
        except BaseException as e:  # handed to the worker, which decides what it means
            error = e
        finally:
            _current.budget = None
            worker.done()
        with contextlib.suppress(RuntimeError):  # the loop is gone (the service stopped meanwhile)
            loop.call_soon_threadsafe(settle, result, error)

    worker = _MailThread.get()
    worker.jobs.put(target)
    try:
        return await asyncio.wait_for(asyncio.shield(future), timeout=budget.left())
    except TimeoutError:
        if budget.abandon():
            worker.leave()  # stuck with this mail: the next one gets a thread of its own
            future.add_done_callback(_forget)
            raise OverBudget(f"reading took longer than {budget.seconds:g} s") from None
        return await future  # saving already: its effects are on the way


def _nothing() -> None:
    """The job that wakes a thread so that it ends."""


def _forget(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # an abandoned thread's error is expected; do not log it as unretrieved
