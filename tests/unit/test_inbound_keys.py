"""The inbound message key travels with its command, never between turns."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.config import BUNDLED_SCHEDULE
from bot.service import Person, Service
from handlers.bootstrap import load_schedule
from tests.fakes import JST, FixedClock


class FailingOnce(FixedClock):
    """A clock that fails the next time it is read (any fault inside a turn would do)."""

    fail = False

    def now(self) -> datetime:
        if self.fail:
            self.fail = False
            raise RuntimeError("clock unavailable")
        return super().now()


def test_a_failed_turn_leaves_its_key_to_nobody(store):
    clock = FailingOnce(datetime(2026, 11, 26, 10, 0, tzinfo=JST))
    service = Service(store=store, clock=clock, schedule=load_schedule(BUNDLED_SCHEDULE))
    alice = Person(key="email:alice@example.co.jp", channel="console")
    bob = Person(key="email:bob@example.co.jp", channel="console")

    clock.fail = True
    with pytest.raises(RuntimeError):
        service.handle(alice, "申込をお願いします", key="<mail-of-alice@example.co.jp>")

    service.start(bob, key="<mail-of-bob@example.co.jp>")
    [bobs] = service.core.applications_of(bob)  # the record that asked Bob's first question
    assert bobs.inbound == ["<mail-of-bob@example.co.jp>"]  # Alice's key not written into Bob's record
    # Alice's mail was never saved, so its redelivery is handled, not taken for a duplicate.
    again = service.handle(alice, "申込をお願いします", key="<mail-of-alice@example.co.jp>")
    assert not again.duplicate and again.app is not None
    [alices] = service.core.applications_of(alice)
    assert alices.inbound == ["<mail-of-alice@example.co.jp>"]
