"""The dispatcher claims from TinyDB on its event loop when the lock is free this instant, and on a
thread of its own when a turn (or another process) holds it (store.tiny.store.claim_outbox_now)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from bot.ports import ClaimsAtOnce
from handlers.outbox import Dispatcher
from store import TinyStore
from tests.fakes import clock_at


def record(app_id: str) -> dict:
    return {"id": app_id, "state": "draft", "people": [], "acceptance_number": None}


@contextlib.contextmanager
def held(store: TinyStore, key: str) -> Iterator[None]:
    """A turn in another thread holds the store's lock meanwhile."""
    holding, release = threading.Event(), threading.Event()

    def turn() -> None:
        with store.locked(key):
            holding.set()
            release.wait(5)

    worker = threading.Thread(target=turn)
    worker.start()
    holding.wait(5)
    try:
        yield
    finally:
        release.set()
        worker.join(5)


def queued(tmp_path) -> TinyStore:
    store = TinyStore(tmp_path / "data")
    store.commit(record("app1"), outbox=[{"id": "m1", "channel": "email", "to": "a@example.jp"}])
    return store


def test_a_free_lock_answers_at_once_as_claim_outbox_does(tmp_path):
    store = queued(tmp_path)
    assert isinstance(store, ClaimsAtOnce)
    now = store.claim_outbox_now(["email"], lease_seconds=60)
    assert now == store.claim_outbox(["email"], lease_seconds=60)
    assert [m["id"] for m in now] == ["m1"] and now[0]["app_id"] == "app1"
    store.mark_outbox("app1", "m1", "sent")
    assert store.claim_outbox_now(["email"], lease_seconds=60) == []


def test_a_turn_in_another_thread_makes_it_say_none_and_wait_for_nothing(tmp_path):
    store = queued(tmp_path)
    with held(store, "app1"):
        assert store.claim_outbox_now(["email"], lease_seconds=60) is None
    assert [m["id"] for m in store.claim_outbox_now(["email"], lease_seconds=60) or []] == ["m1"]


def test_the_lock_of_another_process_makes_it_say_none(tmp_path):
    store = queued(tmp_path)
    other = TinyStore(tmp_path / "data")  # its own lock file description, as the CLI beside serve
    with other.locked():
        assert store.claim_outbox_now(["email"], lease_seconds=60) is None
    other.commit(record("app2"), outbox=[{"id": "m2", "channel": "email", "to": "b@example.jp"}])
    seen = store.claim_outbox_now(["email"], lease_seconds=60) or []
    assert sorted(m["id"] for m in seen) == ["m1", "m2"]  # what the other process wrote, followed


class Recording:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, message: dict) -> None:
        self.sent.append(message["id"])


async def test_the_dispatcher_delivers_whether_the_lock_is_free_or_held(tmp_path):
    store = queued(tmp_path)
    sender = Recording()
    dispatcher = Dispatcher(store, {"email": sender}, clock=clock_at())
    assert await dispatcher.drain() == 1 and sender.sent == ["m1"]
    store.commit(record("app2"), outbox=[{"id": "m2", "channel": "email", "to": "b@example.jp"}])
    with held(store, "app2"):
        draining = asyncio.ensure_future(dispatcher.drain())
        await asyncio.sleep(0.1)
        assert not draining.done()  # asked on its own thread, which waits for the turn; the loop does not
    assert await draining == 1 and sender.sent == ["m1", "m2"]
