"""Applications per state and failed messages per channel, for ``/metrics``.

The store keeps neither count (its indexes hold people, numbers, wake-ups and pending
messages), so they are counted by walking it: in a thread of its own, at most every
``CENSUS_SECONDS`` and only when a scrape asks, paced so the turns keep the interpreter: it
lets go after every application (a turn waiting for it would otherwise wait for Python's 5 ms
switch interval) and pauses so that it takes at most a quarter of the time. A scrape reads the
last count taken and never waits for one: at 100,000 applications a walk reads 200,000 small
files, which is fine every few minutes and not on every scrape. (A store that counted states in
memory would make this exact, and free the turns of the walk; see the report.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.ports import Store
from bot.vocabulary import State

log = logging.getLogger("webnaccs.metrics")
CENSUS_SECONDS = 300.0
PACE = 50  # applications read between two pauses
IDLE_SHARE = 3.0  # each pause lasts 3 × the reading before it: the walk takes at most a quarter
MIN_PAUSE = 0.005  # seconds


@dataclass(frozen=True)
class Taken:
    states: dict[str, int]
    failed: dict[str, int]  # channel → messages marked failed
    at: float  # monotonic time the walk ended
    clock: Callable[[], float] = time.monotonic

    def age(self) -> float:
        return max(0.0, self.clock() - self.at)


class Census:
    def __init__(self, store: Store, *, every: float = CENSUS_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.every = every
        self.clock = clock
        self._taken: Taken | None = None
        self._running: threading.Thread | None = None
        self._guard = threading.Lock()
        self._stopped = threading.Event()
        self.walks = 0  # how many counts were taken

    def start(self) -> None:
        """Take the first count now, in the background."""
        self._kick()

    def stop(self) -> None:
        self._stopped.set()
        self.settle()

    def settle(self, timeout: float = 10.0) -> None:
        """Wait for a count under way to end."""
        thread = self._running
        if thread is not None:
            thread.join(timeout=timeout)

    def latest(self) -> Taken | None:
        """The last count (None until the first is done); an old one starts the next."""
        taken = self._taken
        if taken is None or self.clock() - taken.at >= self.every:
            self._kick()
        return taken

    def take(self) -> Taken:
        """Walk the store now (in the calling thread) and keep the result."""
        states: dict[str, int] = {}
        failed: dict[str, int] = {}
        chunk = time.monotonic()
        for n, app_id in enumerate(self.store.all_ids(), 1):
            if self._stopped.is_set():
                break
            record = self.store.get(app_id)
            if record is None:
                continue
            state = str(record.get("state") or "")
            if state != State.CONTACT:  # a first contact's record is no application
                states[state] = states.get(state, 0) + 1
            for message in self.store.outbox(app_id):
                if message.get("status") == "failed":
                    channel = str(message.get("channel") or "")
                    failed[channel] = failed.get(channel, 0) + 1
            if n % PACE == 0:  # a quarter of the interpreter at most, whatever the disk's speed
                time.sleep(max(MIN_PAUSE, (time.monotonic() - chunk) * IDLE_SHARE))
                chunk = time.monotonic()
            else:
                time.sleep(0)  # a turn waiting for the interpreter gets it now, not in 5 ms
        taken = Taken(states, failed, self.clock(), self.clock)
        self._taken = taken
        self.walks += 1
        return taken

    def _kick(self) -> None:
        with self._guard:
            if self._stopped.is_set() or (self._running is not None and self._running.is_alive()):
                return
            self._running = threading.Thread(target=self._run, name="webnaccs-census", daemon=True)
            self._running.start()

    def _run(self) -> None:
        try:
            self.take()
        except Exception:  # a store closed under it at shutdown, a file gone: the next scrape tries again
            if not self._stopped.is_set():
                log.exception("counting applications for /metrics failed")
