"""A mail that takes longer than its time budget to read is set aside and its sender told; the
worker goes on with the next mail, and the abandoned reading saves nothing when it ends."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.config import Config
from bot.service import Person
from handlers.email import budget, process
from handlers.email.budget import Budget, OverBudget, run_within
from tests.email.conftest import BOT, HANAKO, TARO
from tests.email.mailer import eventually, new_mail, send, text_of


async def test_a_mail_over_its_budget_is_set_aside_and_the_next_one_is_answered(start_service, config,
                                                                               monkeypatch):
    release = threading.Event()
    finished = threading.Event()
    real = process.read

    def slow_read(raw, **kwargs):  # a runaway step that nothing can cut short
        if b"Subject: slow" in raw:
            release.wait(60)
            try:
                return real(raw, **kwargs)
            finally:
                finished.set()
        return real(raw, **kwargs)

    monkeypatch.setattr(process, "read", slow_read)
    service = await start_service(config, time_budget=0.5)
    await send(service.port, new_mail(sender=TARO, to=BOT, subject="slow", body="端末を追加します"),
               sender=TARO, to=BOT)
    await eventually(lambda: service.channel.spool.set_aside_list(), what="the slow mail set aside")
    service.channel.time_budget = 60.0  # the next mail may take its time on a busy machine
    await send(service.port, new_mail(sender=HANAKO, to=BOT, subject="申込"), sender=HANAKO, to=BOT)
    await eventually(lambda: [m for m in service.folder.all() if m["To"] == HANAKO],
                     what="the next mail answered while the slow one is still stuck")
    assert not finished.is_set()

    [aside] = service.channel.spool.set_aside_list()
    assert (aside.info["reason"], aside.info["attempts"]) == ("time_budget", 1)  # never tried again
    [told] = await eventually(lambda: [m for m in service.folder.all() if m["To"] == TARO], what="told")
    assert told["X-WebNACCS-Notice"] == "set_aside" and "時間がかかりすぎた" in text_of(told)
    assert "端末を追加" not in text_of(told)

    release.set()  # the stuck reading ends at last: it is abandoned, and saves nothing
    await eventually(finished.is_set, what="the abandoned reading to end")
    await asyncio.sleep(0.2)
    await service.channel.drain()
    assert service.bot.service.open_draft(Person(key=f"email:{TARO}", channel="email")) is None
    assert [m["To"] for m in service.folder.all()].count(TARO) == 1


async def test_a_reading_that_checks_the_clock_stops_itself():
    def reading() -> None:
        while True:
            budget.check()

    with pytest.raises(OverBudget):
        await run_within(reading, Budget(0.05))


async def test_a_mail_that_began_to_save_is_waited_for():
    started, go_on = threading.Event(), threading.Event()

    def saving() -> str:
        budget.act()  # within the budget: from here its effects are on the way
        started.set()
        go_on.wait(30)
        return "saved"

    task = asyncio.ensure_future(run_within(saving, Budget(0.05)))
    await asyncio.to_thread(started.wait, 30)
    await asyncio.sleep(0.1)  # past the budget
    go_on.set()
    assert await task == "saved"


async def test_an_abandoned_reading_cannot_begin_to_save():
    reached, go_on = threading.Event(), threading.Event()
    outcome: list[str] = []

    def stuck() -> None:
        go_on.wait(30)
        try:
            budget.act()
            outcome.append("saved")
        except OverBudget:
            outcome.append("refused")
        finally:
            reached.set()

    with pytest.raises(OverBudget):
        await run_within(stuck, Budget(0.05))
    go_on.set()
    await asyncio.to_thread(reached.wait, 30)
    assert outcome == ["refused"]


def test_the_budget_is_configured_in_seconds():
    assert Config.from_env({}).mail_time_budget == 20.0
    assert Config.from_env({"WEBNACCS_MAIL_TIME_BUDGET": "５"}).mail_time_budget == 5.0
    for bad in ("0", "-1", "soon", "inf"):
        with pytest.raises(ValueError, match="WEBNACCS_MAIL_TIME_BUDGET"):
            Config.from_env({"WEBNACCS_MAIL_TIME_BUDGET": bad})


def test_the_reading_steps_check_the_budget():
    from handlers.email import quotes, reading

    spent = Budget(0.0)
    budget._current.budget = spent
    try:
        with pytest.raises(OverBudget):
            quotes.answer_text("損害保険会社\n\n> 業種を選んでください")
        with pytest.raises(OverBudget):
            reading.read(new_mail(sender=TARO, to=BOT, subject="x"), envelope_sender=TARO)
    finally:
        budget._current.budget = None
    assert quotes.answer_text("損害保険会社\n\n> 業種を選んでください") == "損害保険会社"  # no budget: read


class _SlowInMailThreads:
    """The mail threads' lock, slow to take in a mail thread: a thread that puts itself back
    among the idle ones only after its caller resumed would be seen as busy."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def __enter__(self) -> None:
        if threading.current_thread().name == "mail":
            time.sleep(0.05)
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


async def test_the_next_mail_finds_the_thread_of_the_last_one_idle(monkeypatch):
    monkeypatch.setattr(budget._MailThread, "_lock", _SlowInMailThreads())
    first = await run_within(threading.get_ident, Budget(5))
    for _ in range(3):
        assert await run_within(threading.get_ident, Budget(5)) == first  # no new thread


def test_a_thread_left_just_as_its_mail_ended_ends_and_is_not_used_again():
    worker = budget._MailThread.get()
    ran: list[threading.Thread] = []
    ended = threading.Event()

    def mail() -> None:  # read in time, and back among the idle ones: then its caller gives up
        ran.append(threading.current_thread())
        worker.done()
        ended.set()

    worker.jobs.put(mail)
    assert ended.wait(5)
    worker.leave()
    ran[0].join(5)
    assert not ran[0].is_alive() and worker not in budget._MailThread._idle


async def test_mails_are_read_in_one_thread_and_a_stuck_one_does_not_hold_the_next():
    def ident() -> int:
        return threading.get_ident()

    first = await run_within(ident, Budget(5))
    assert await run_within(ident, Budget(5)) == first  # no thread started per mail
    go_on = threading.Event()

    def stuck() -> int:
        go_on.wait(30)
        return threading.get_ident()

    with pytest.raises(OverBudget):
        await run_within(stuck, Budget(0.05))
    try:
        nxt = await asyncio.wait_for(run_within(ident, Budget(5)), 5)  # not queued behind the stuck one
        assert nxt != first
    finally:
        go_on.set()
