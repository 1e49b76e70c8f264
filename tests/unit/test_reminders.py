"""Reminders and the start date, with a clock that moves: each goes out once, on time in Japan."""

from __future__ import annotations

from datetime import datetime

from bot.service import Person
from tests.conftest import file_application
from tests.fakes import JST


def notices(store, app_id, kind="reminder"):
    return [m for m in store.outbox(app_id) if m.get("notice") == kind]


def test_idle_draft_gets_one_reminder_then_is_closed(service, store, clock):
    who = Person(key="email:taro@example.co.jp", channel="email", address="taro@example.co.jp")
    app = service.start(who).app
    service.handle(who, "損保")
    clock.advance(hours=23)
    assert service.run_reminders() == 0
    clock.advance(hours=2)  # a day and an hour since the last answer
    assert service.run_reminders() == 1
    assert service.run_reminders() == 0  # once only
    sent = notices(store, app.id)
    assert [(m["channel"], m["to"], m["params"]["reminder"]) for m in sent] == [
        ("email", "taro@example.co.jp", "idle")]
    clock.advance(days=13)
    service.run_reminders()
    closed = service.load(app.id)
    assert closed.state == "closed" and closed.closed_reason == "idle"
    assert [m["params"]["reminder"] for m in notices(store, app.id)] == ["idle", "closed"]
    assert store.audit(app.id)[-1]["to"] == "closed"


def test_an_answer_resets_the_idle_clock(service, store, clock):
    who = Person(key="slack:U1", channel="slack", address="U1")
    app = service.start(who).app
    clock.advance(hours=20)
    service.handle(who, "損保")
    clock.advance(hours=20)
    assert service.run_reminders() == 0 and notices(store, app.id) == []


def approved(service, person, start="2027-01-04"):
    number = file_application(service, person).acceptance_number
    service.decide(number, decision="approve", actor="cli:op", start_date=start)
    return service.find(number)


def test_certificate_reminder_three_business_days_before_and_activation_on_the_start_date(
        service, store, clock, person):
    # start Mon 2027-01-04; three business days before (12-29..01-03 closed): Thu 2026-12-24
    app = approved(service, person)
    clock.current = datetime(2026, 12, 23, 23, 0, tzinfo=JST)
    assert service.run_reminders() == 0
    clock.current = datetime(2026, 12, 24, 0, 5, tzinfo=JST)
    assert service.run_reminders() == 1
    sent = notices(store, app.id)
    assert {(m["role"], m["params"]["reminder"]) for m in sent} == {("applicant", "certificate"),
                                                                    ("admin", "certificate")}
    clock.current = datetime(2027, 1, 3, 23, 59, tzinfo=JST)
    assert service.run_reminders() == 0 and service.load(app.id).state == "approved"
    clock.current = datetime(2027, 1, 4, 0, 1, tzinfo=JST)
    assert service.run_reminders() == 1
    assert service.load(app.id).state == "active"
    assert [m["params"]["reminder"] for m in notices(store, app.id)].count("start") == 2
    assert store.audit(app.id)[-1]["to"] == "active"
    clock.advance(days=3)
    assert service.run_reminders() == 0


def test_reminders_missed_while_down_are_sent_on_the_next_run(service, store, clock, person):
    app = approved(service, person, start="2027-01-18")
    clock.current = datetime(2027, 1, 14, 9, 0, tzinfo=JST)  # past the certificate day (01-13)
    assert service.run_reminders() == 1
    assert [m["params"]["reminder"] for m in notices(store, app.id)] == ["certificate"] * 2
    clock.current = datetime(2027, 1, 20, 9, 0, tzinfo=JST)  # down over the start date
    assert service.run_reminders() == 1 and service.load(app.id).state == "active"
