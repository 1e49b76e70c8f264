"""Mails built ahead (handlers/email/ahead.py): the mail thread that committed a turn builds the
mails it queued, once; the dispatcher takes them, waits for them, or builds what nobody did."""

from __future__ import annotations

import asyncio
import threading

import pytest

from handlers.email.ahead import Ahead
from handlers.email.outbound import MailSender
from tests.email.conftest import BOT, TARO
from tests.email.mailer import new_mail, send


def counted(value: str, calls: list[str]):
    def make() -> str:
        calls.append(threading.current_thread().name)
        return value

    return make


async def test_what_was_built_ahead_is_taken_once_and_not_built_again():
    ahead: Ahead[str] = Ahead()
    calls: list[str] = []
    ahead.build(("a1", "m1"), counted("built", calls))
    assert await ahead.built(("a1", "m1"), counted("again", calls)) == "built"
    assert len(calls) == 1 and len(ahead) == 0  # handed out: a retry builds afresh
    assert await ahead.built(("a1", "m1"), counted("again", calls)) == "again"


async def test_the_dispatcher_builds_off_the_loop_what_nobody_built():
    ahead: Ahead[str] = Ahead()
    calls: list[str] = []
    assert await ahead.built(("a1", "m1"), counted("now", calls)) == "now"
    assert calls and calls[0] != threading.current_thread().name


async def test_the_dispatcher_waits_for_a_mail_being_built():
    ahead: Ahead[str] = Ahead()
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow() -> str:
        started.set()
        release.wait(5)
        calls.append("ahead")
        return "ahead"

    builder = threading.Thread(target=ahead.build, args=(("a1", "m1"), slow))
    builder.start()
    started.wait(5)
    waiting = asyncio.ensure_future(ahead.built(("a1", "m1"), counted("twice", calls)))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    release.set()
    assert await waiting == "ahead" and calls == ["ahead"]
    builder.join(5)


async def test_a_failure_building_ahead_is_raised_to_the_dispatcher_only():
    ahead: Ahead[str] = Ahead()

    def broken() -> str:
        raise ValueError("no template")

    ahead.build(("a1", "m1"), broken)  # the mail thread goes on
    with pytest.raises(ValueError, match="no template"):
        await ahead.built(("a1", "m1"), broken)


async def test_what_is_kept_is_bounded_and_a_stale_mail_is_built_again(monkeypatch):
    ahead: Ahead[str] = Ahead(keep=2, fresh=30.0)
    calls: list[str] = []
    for n in range(3):
        ahead.build(("a1", f"m{n}"), counted(f"v{n}", calls))
    assert len(ahead) == 2
    assert await ahead.built(("a1", "m0"), counted("rebuilt", calls)) == "rebuilt"  # dropped: built now
    stale: Ahead[str] = Ahead(fresh=0.0)
    stale.build(("a1", "m1"), counted("old", calls))
    assert await stale.built(("a1", "m1"), counted("fresh", calls)) == "fresh"


async def test_a_reply_mail_is_built_once_in_the_thread_of_its_turn(service, monkeypatch):
    threads: list[str] = []
    real = MailSender._built

    def recording(self, message):
        threads.append(threading.current_thread().name)
        return real(self, message)

    monkeypatch.setattr(MailSender, "_built", recording)
    await send(service.port, new_mail(sender=TARO, to=BOT, subject="申込", body=""), sender=TARO, to=BOT)
    await service.settled()
    [mail] = service.folder.new()
    assert mail["X-WebNACCS-Field"] == "industry"
    assert threads == ["mail"]  # built by the mail's own thread, and by nobody else
    assert len(service.channel.sender.ahead) == 0
