"""The outbox retry backoff (issue 15.11): exponential with full jitter, within its bounds, so
messages that failed together do not all come back at the same moment; Retry-After is kept."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from handlers.outbox import MIN_DELAY, Dispatcher, Retry, backoff
from tests.fakes import clock_at


def test_the_backoff_stays_within_its_bounds_and_spreads():
    rng = random.Random(7)
    for attempts in range(1, 16):
        ceiling = min(600.0, 2.0 * 2 ** (attempts - 1))
        drawn = [backoff(attempts, base=2.0, cap=600.0, rng=rng) for _ in range(500)]
        assert all(MIN_DELAY <= d <= ceiling for d in drawn), attempts
        assert len(set(drawn)) > 300  # spread, not one value (a quarter of the first step is the floor)
        if ceiling >= 16:  # full jitter: the whole range is used, not only its top
            assert min(drawn) < ceiling / 4 and max(drawn) > ceiling * 3 / 4
    assert max(backoff(40, base=2.0, cap=600.0, rng=rng) for _ in range(200)) <= 600.0


def test_a_tiny_base_is_not_raised_above_its_own_step():
    rng = random.Random(1)
    assert all(backoff(1, base=0.1, cap=600.0, rng=rng) <= 0.1 for _ in range(100))


class Failing:
    def __init__(self, after: float | None = None) -> None:
        self.after = after

    async def send(self, message: dict[str, Any]) -> None:
        raise Retry("http_503", after=self.after)


class Store:
    def __init__(self, count: int, attempts: int) -> None:
        self.messages = {f"m{n}": {"id": f"m{n}", "app_id": "a1", "channel": "test", "to": f"p{n}@example.jp",
                                   "status": "pending", "attempts": attempts} for n in range(count)}

    def claim_outbox(self, channels: list[str], *, lease_seconds: float) -> list[dict[str, Any]]:
        return [dict(m) for m in self.messages.values() if m["status"] == "pending"]

    def mark_outbox(self, app_id: str, message_id: str, status: str, **info: Any) -> None:
        self.messages[message_id].update(info, status=status)


async def test_messages_that_fail_together_are_retried_spread_out():
    clock = clock_at()
    store = Store(50, attempts=4)  # the fifth try fails for all of them
    await Dispatcher(store, {"test": Failing()}, clock=clock, rng=random.Random(3)).drain()
    waits = [(datetime.fromisoformat(m["next_at"]) - clock.now()).total_seconds() for m in store.messages.values()]
    assert all(MIN_DELAY <= w <= 2.0 * 2 ** 4 for w in waits)
    assert len(set(waits)) == 50


async def test_the_servers_retry_after_is_kept_as_it_is():
    clock = clock_at()
    store = Store(3, attempts=0)
    await Dispatcher(store, {"test": Failing(after=7)}, clock=clock).drain()
    waits = {(datetime.fromisoformat(m["next_at"]) - clock.now()).total_seconds() for m in store.messages.values()}
    assert waits == {7.0}
