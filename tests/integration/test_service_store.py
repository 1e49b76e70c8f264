"""The core on the real stores (TinyDB files, PostgreSQL): restarts, racing filings, racing
decisions — two store instances stand for two processes or two replicas."""

from __future__ import annotations

import threading

from bot.config import BUNDLED_SCHEDULE
from bot.service import Person, Service
from handlers.bootstrap import load_schedule
from store.vault import AesVault
from tests.conftest import WITHOUT_USER_CODE
from tests.fakes import clock_at


def make_service(backend) -> Service:
    return Service(store=backend(), clock=clock_at("2026-11-26T10:00"),
                   schedule=load_schedule(BUNDLED_SCHEDULE), vault=AesVault(b"test secret"))


def test_draft_resumes_after_restart_at_the_exact_question(backend):
    person = Person(key="slack:U1", channel="slack")
    first = make_service(backend)
    first.start(person)
    for text in WITHOUT_USER_CODE[:9]:
        first.handle(person, text)
    first.handle(person, "x" * 101)  # one failed try at the department question
    second = make_service(backend)  # a new process would build exactly this
    outcome = second.resume(person)
    assert outcome.replies[-1].field == "applicant_department"
    assert outcome.app.answers["change_reason"] == WITHOUT_USER_CODE[7]
    assert outcome.app.conversation["failures"] == 1
    outcome = second.handle(person, "業務部")
    assert outcome.replies[-1].field == "applicant_email"


def test_racing_filings_get_distinct_numbers(backend):
    services = [make_service(backend) for _ in range(2)]  # two store instances, one data dir
    people = [Person(key=f"console:{n}", channel="console") for n in range(8)]
    for n, who in enumerate(people):
        svc = services[n % 2]
        svc.start(who)
        for text in WITHOUT_USER_CODE:
            svc.handle(who, text)
    numbers: list[str] = []
    barrier = threading.Barrier(len(people))

    def file(n: int) -> None:
        barrier.wait()
        outcome = services[n % 2].handle(people[n], "登録")
        numbers.append(outcome.acceptance_number)

    threads = [threading.Thread(target=file, args=(n,)) for n in range(len(people))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == [f"26{n:04d}A" for n in range(1, 9)]
    for number in numbers:
        app = services[0].find(number)
        assert app is not None and app.state == "under_review"
        assert [m.get("notice") for m in services[0].store.outbox(app.id)] == ["acknowledgment"] * 2 + [None]


def test_reminders_on_the_real_store_go_out_once_across_restarts(backend):
    from datetime import datetime

    from tests.fakes import JST

    person = Person(key="console:r", channel="console")
    first = make_service(backend)
    first.start(person)
    for text in [*WITHOUT_USER_CODE, "登録"]:
        outcome = first.handle(person, text)
    first.decide(outcome.acceptance_number, decision="approve", actor="cli:op", start_date="2027-01-04")
    app_id = outcome.app.id
    assert ("2026-12-24", app_id) in first.store.wakeups_due("2026-12-24")  # older ones are stale
    first.clock.current = datetime(2027, 1, 4, 8, 0, tzinfo=JST)  # down over the certificate day
    assert first.run_reminders() == 1
    second = make_service(backend)  # restarted
    second.clock.current = first.clock.current
    assert second.run_reminders() == 0
    assert second.load(app_id).state == "active"
    assert second.store.wakeups_due("2099-12-31") == []  # nothing left to look at
    starts = [m for m in second.store.outbox(app_id) if (m.get("params") or {}).get("reminder") == "start"]
    assert len(starts) == 2  # applicant and administrator, once each


FILLED = dict(zip(["industry", "company_name", "office_name", "user_code", "netnaccs_terminals", "change_items",
                   "desired_start_date", "change_reason", "applicant_name", "applicant_department",
                   "applicant_email", "applicant_phone", "admin_name", "admin_email", "certificate_count",
                   "remarks"], WITHOUT_USER_CODE, strict=True))


def test_a_hundred_filings_racing_on_two_replicas_get_a_hundred_consecutive_numbers(backend):
    replicas = [make_service(backend) for _ in range(2)]
    people = [Person(key=f"email:p{n}@example.jp", channel="console") for n in range(100)]
    for n, who in enumerate(people):
        replicas[n % 2].fill(who, FILLED)
    numbers: list[str] = []
    barrier = threading.Barrier(10)

    def file(batch: int) -> None:
        barrier.wait()
        for n in range(batch, 100, 10):
            numbers.append(replicas[n % 2].handle(people[n], "登録").acceptance_number)

    threads = [threading.Thread(target=file, args=(b,)) for b in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == [f"26{n:04d}A" for n in range(1, 101)]


def test_two_reviewers_approving_on_two_replicas_make_one_decision(backend):
    a, b = make_service(backend), make_service(backend)
    person = Person(key="email:taro@example.jp", channel="console")
    a.fill(person, FILLED)
    number = a.handle(person, "登録").acceptance_number
    rulings = []
    barrier = threading.Barrier(2)

    def decide(service: Service, who: str, decision: str) -> None:
        barrier.wait()
        rulings.append((who, service.decide(number, decision=decision, actor=who, start_date="2027-01-04",
                                            reason="記載に誤りがあるため")))

    threads = [threading.Thread(target=decide, args=(a, "slack:UREV1", "approve")),
               threading.Thread(target=decide, args=(b, "email:rev2@example.jp", "reject"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    applied = [who for who, r in rulings if r.applied]
    assert len(applied) == 1
    assert [r.problem for _, r in rulings if not r.applied] == ["already_decided"]
    app = b.find(number)
    assert app.review["by"] == applied[0]
    decisions = [e for e in b.store.audit(app.id) if e.get("from") == "under_review"]
    assert len(decisions) == 1
