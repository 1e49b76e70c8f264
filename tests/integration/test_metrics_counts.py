"""What /metrics counts (issue 13 item 8): deliveries by outcome through the real dispatcher,
reminders delivered, and the census of applications per state and failed messages."""

from __future__ import annotations

from typing import Any, ClassVar

from prometheus_client.parser import text_string_to_metric_families

from bot.config import Config
from bot.service import Person
from handlers import bootstrap, metrics
from handlers.census import Census
from handlers.outbox import Dispatcher, Permanent, Retry
from tests.conftest import WITHOUT_USER_CODE
from tests.email.conftest import SECRET
from tests.fakes import clock_at


def sample(name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


class Flaky:
    """Fails each message as told by its recipient, then sends."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, message: dict[str, Any]) -> None:
        if message["to"] == "retry@example.jp" and message["id"] not in self.sent:
            self.sent.append(message["id"])
            raise Retry("421 try later", after=0)
        if message["to"] == "refused@example.jp":
            raise Permanent("550 no such user")
        self.sent.append(message["id"])


class Store:
    """Just enough of a store for the dispatcher: the messages and their marks."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = {m["id"]: {**m, "app_id": "a1", "status": "pending"} for m in messages}

    def claim_outbox(self, channels, *, lease_seconds):
        return [dict(m) for m in self.messages.values() if m["status"] == "pending" and m["channel"] in channels]

    def mark_outbox(self, app_id, message_id, status, **info):
        self.messages[message_id].update(info, status=status)


async def test_deliveries_are_counted_by_outcome_and_reminders_by_kind():
    messages = [{"id": "m1", "channel": "mailtest", "to": "ok@example.jp", "kind": "notice", "notice": "reminder",
                 "params": {"reminder": "certificate"}},
                {"id": "m2", "channel": "mailtest", "to": "retry@example.jp", "kind": "reply"},
                {"id": "m3", "channel": "mailtest", "to": "refused@example.jp", "kind": "reply"}]
    before = {o: sample("webnaccs_outbox_deliveries_total", channel="mailtest", outcome=o)
              for o in ("sent", "retry", "failed")}
    reminded = sample("webnaccs_reminders_sent_total", reminder="certificate")
    flaky = Flaky()
    store = Store(messages)
    dispatcher = Dispatcher(store, metrics.counted({"mailtest": flaky}), clock=clock_at())
    await dispatcher.drain()
    await dispatcher.drain()  # the retried one goes now
    assert [store.messages[m]["status"] for m in ("m1", "m2", "m3")] == ["sent", "sent", "failed"]
    after = {o: sample("webnaccs_outbox_deliveries_total", channel="mailtest", outcome=o) - before[o]
             for o in ("sent", "retry", "failed")}
    assert after == {"sent": 2, "retry": 1, "failed": 1}
    assert sample("webnaccs_reminders_sent_total", reminder="certificate") - reminded == 1
    assert metrics.counted(metrics.counted({"mailtest": flaky}))["mailtest"].sender is flaky  # never twice


def test_the_census_counts_states_and_failed_messages_and_is_redone_only_when_old(tmp_path):
    bot = bootstrap.build(Config(data_dir=tmp_path / "data", secret=SECRET), clock=clock_at())
    for n in range(3):
        person = Person(key=f"email:p{n}@example.jp", channel="email", address=f"p{n}@example.jp")
        bot.service.start(person)
        for text in [*WITHOUT_USER_CODE, "登録"][: 20 if n else 3]:
            bot.service.handle(person, text)
    [message, *_] = bot.store.pending_outbox(["email"])
    bot.store.mark_outbox(message["app_id"], message["id"], "failed", last_error="550")
    now = [1000.0]
    census = Census(bot.store, every=300, clock=lambda: now[0])
    taken = census.take()
    assert taken.states == {"draft": 1, "under_review": 2}
    assert taken.failed == {"email": 1}
    person = Person(key="email:late@example.jp", channel="email", address="late@example.jp")
    bot.service.start(person)
    bot.service.handle(person, "損保")  # a draft from its first answer
    asked = Person(key="email:asked@example.jp", channel="email", address="asked@example.jp")
    bot.service.start(asked)  # asked the first question only: no application to count
    now[0] += 299
    assert census.latest() is taken and census.walks == 1  # young enough: not redone
    now[0] += 2
    assert census.latest() is taken  # old: the next count starts, this one is shown meanwhile
    census.settle()
    assert census.walks == 2 and census.latest().states == {"draft": 2, "under_review": 2}
    census.stop()
    bot.store.close()


def test_the_census_lets_turns_have_the_interpreter(tmp_path, monkeypatch):
    from handlers import census as census_module

    bot = bootstrap.build(Config(data_dir=tmp_path / "data", http_port=0, smtp_port=0), clock=clock_at())
    for n in range(census_module.PACE + 5):
        bot.store.commit({"id": f"app{n:04d}", "state": "draft", "people": [], "acceptance_number": None})

    class Time:
        now = 0.0
        slept: ClassVar[list[float]] = []

        @classmethod
        def monotonic(cls) -> float:
            return cls.now

        @classmethod
        def sleep(cls, seconds: float) -> None:
            cls.slept.append(seconds)

    real_get = bot.store.get

    def reading(app_id):
        Time.now += 0.01  # each application takes 10 ms to read
        return real_get(app_id)

    monkeypatch.setattr(census_module, "time", Time)
    monkeypatch.setattr(bot.store, "get", reading)
    taken = Census(bot.store, clock=lambda: 0.0).take()
    assert taken.states == {"draft": census_module.PACE + 5}
    assert len(Time.slept) == census_module.PACE + 5  # it lets go after every application
    pauses = [s for s in Time.slept if s > 0]
    reading_time = census_module.PACE * 0.01
    assert len(pauses) == 1 and abs(pauses[0] - census_module.IDLE_SHARE * reading_time) < 1e-6
    bot.store.close()
