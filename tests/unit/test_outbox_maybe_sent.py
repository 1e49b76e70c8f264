"""Which messages the dispatcher hands over as "may have been sent" (issue 15 item 10): only
those an earlier attempt may have delivered, so a first attempt costs nothing."""

from __future__ import annotations

from typing import Any

from handlers.outbox import FOUND, MAYBE_SENT, Dispatcher, Retry
from tests.fakes import MemoryStore, clock_at


class Recording:
    """A sender that notes what it was handed; ``found`` ids it says were delivered before,
    ``fail`` ids fail once with that Retry."""

    def __init__(self, *, found: frozenset[str] = frozenset(), fail: dict[str, Retry] | None = None) -> None:
        self.seen: list[tuple[str, bool]] = []
        self.found = set(found)
        self.fail = dict(fail or {})

    async def send(self, message: dict[str, Any]) -> None:
        self.seen.append((message["id"], bool(message.get(MAYBE_SENT))))
        if message["id"] in self.fail:
            raise self.fail.pop(message["id"])
        if message["id"] in self.found:
            message[FOUND] = True


def queue(store: MemoryStore, app_id: str, *messages: tuple[str, str]) -> None:
    store.commit({"id": app_id}, outbox=[{"id": mid, "channel": "slack", "to": to, "kind": "reply",
                                          "created_at": "2026-11-26T10:00:00+09:00"} for mid, to in messages])


async def test_at_start_only_the_first_message_of_each_recipient_may_have_been_sent():
    store = MemoryStore()
    queue(store, "a1", ("m1", "U1"), ("m2", "U1"), ("m3", "U2"))
    sender = Recording()
    dispatcher = Dispatcher(store, {"slack": sender}, clock=clock_at())
    await dispatcher.drain()
    assert sorted(sender.seen) == [("m1", True), ("m2", False), ("m3", True)]

    queue(store, "a2", ("n1", "U1"))  # queued while running: a first attempt
    await dispatcher.drain()
    assert sender.seen[-1] == ("n1", False)


async def test_after_a_message_found_delivered_the_next_one_may_have_been_too():
    store = MemoryStore()
    queue(store, "a1", ("m1", "U1"), ("m2", "U1"), ("m3", "U1"))
    sender = Recording(found={"m1"})
    await Dispatcher(store, {"slack": sender}, clock=clock_at()).drain()
    assert sender.seen == [("m1", True), ("m2", True), ("m3", False)]  # m2 was not found: m3 never tried
    assert [m.get(FOUND) for m in store.outbox("a1")] == [True, None, None]
    assert [m["status"] for m in store.outbox("a1")] == ["sent", "sent", "sent"]


async def test_a_retry_after_which_it_may_have_arrived_is_looked_for_next_time():
    store = MemoryStore()
    clock = clock_at()
    dispatcher = Dispatcher(store, {"slack": Recording()}, clock=clock)
    await dispatcher.drain()  # started with nothing pending
    queue(store, "a1", ("m1", "U1"), ("m2", "U2"))
    sender = Recording(fail={"m1": Retry("http_503", maybe_sent=True), "m2": Retry("ratelimited", after=1)})
    dispatcher.senders["slack"] = sender
    await dispatcher.drain()
    assert [m.get(MAYBE_SENT) for m in store.outbox("a1")] == [True, None]  # kept with the retry's mark
    clock.advance(seconds=600)
    await dispatcher.drain()
    assert sorted(sender.seen[:2]) == [("m1", False), ("m2", False)]  # first attempts
    assert sorted(sender.seen[2:]) == [("m1", True), ("m2", False)]  # a 429 is a refusal: it never arrived
