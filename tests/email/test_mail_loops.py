"""Mail loops are broken (issue 15.5): a responder that marks itself by no header gets at most
a few answers, then one notice and silence; a person answering the questions is never held."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import BOTH, WITHOUT_USER_CODE
from tests.email.conftest import BOT, HANAKO, TARO
from tests.email.mailer import gmail_reply, new_mail, outlook_reply, send, text_of
from tests.email.test_mail_safety import file_by_mail, values_for_a_whole_application

pytestmark = BOTH  # the counts are in the application's record: on TinyDB files and PostgreSQL

# What a responder sends back to every mail: no Auto-Submitted, X-Autoreply, Precedence, nothing
# in the Subject or the body that says it is automatic — only that it received the mail.
RECEIVED = "メールを受信しました。内容を確認のうえ、担当者より改めてご連絡いたします。"


def responder(mail):
    """What the responder sends to one of the bot's mails: a plain reply, as a person's."""
    return gmail_reply(mail, RECEIVED, sender=TARO)


async def start(service):
    await send(service.port, new_mail(sender=TARO, to=BOT, subject="申込", name="山田 太郎"),
               sender=TARO, to=BOT)
    await service.settled()
    [first] = service.folder.new()
    return first


async def loop(service, last, tries, *, to_from=False):
    """The responder answers the bot's newest mail, ``tries`` times, at its Reply-To (or at its
    From, the bot's own address, as some responders do); every mail the bot sends."""
    sent = []
    for _ in range(tries):
        to = BOT if to_from else str(last["Reply-To"])
        await send(service.port, responder(last), sender=TARO, to=to)
        await service.settled()
        fresh = service.folder.new()
        sent += fresh
        last = fresh[-1] if fresh else last
    return sent


def paused(mail) -> bool:
    return "お休みします" in text_of(mail)


@pytest.mark.parametrize("to_from", [False, True], ids=["reply_to", "from"])
async def test_a_responder_without_headers_gets_at_most_the_limit_then_one_notice(service, to_from):
    first = await start(service)
    sent = await loop(service, first, 25, to_from=to_from)
    answers = [m for m in sent if not paused(m)]
    notices = [m for m in sent if paused(m)]
    assert len(answers) == 5, [text_of(m)[:80] for m in sent]
    assert len(notices) == 1 and sent[-1] is notices[0]  # the notice last, then silence
    assert "10時10分" in text_of(notices[0]) or "10:10" in text_of(notices[0])
    assert all(m["To"] == TARO for m in sent)
    [app_id] = service.bot.store.all_ids()
    assert [e["action"] for e in service.bot.store.audit(app_id)].count("mail_paused") == 1


async def test_the_pause_survives_a_restart_and_ends_with_its_window(service, start_service, config, clock):
    first = await start(service)
    sent = await loop(service, first, 7)
    assert len(sent) == 6 and paused(sent[-1])
    await service.stop()

    again = await start_service(config)
    again.folder.seen = set(service.folder.seen)
    assert await loop(again, sent[-1], 5) == []  # still paused after the restart

    clock.advance(seconds=601)
    resumed = await loop(again, sent[-1], 1)
    assert len(resumed) == 1 and resumed[0]["X-WebNACCS-Field"] == "industry"


async def test_a_person_answering_every_question_is_never_held(start_service, config):
    service = await start_service(replace(config, mail_reply_limit=2))
    mail = await start(service)
    # Mistakes and questions in between change nothing, but stay under the limit between answers.
    answers = [*WITHOUT_USER_CODE[:3], "あいう", "状況", *WITHOUT_USER_CODE[3:], "登録"]
    for n, answer in enumerate(answers):
        client = outlook_reply if n % 2 else gmail_reply
        await send(service.port, client(mail, answer, sender=TARO), sender=TARO, to=str(mail["Reply-To"]))
        await service.settled()
        fresh = service.folder.new()
        assert fresh and not any(paused(m) for m in fresh), (answer, [text_of(m) for m in fresh])
        mail = next((m for m in fresh if m["To"] == TARO), fresh[-1])
    app = service.app("260001A")
    assert app.state == "under_review"
    assert {m["To"] for m in fresh} == {TARO, HANAKO}


async def test_a_responder_answering_the_acknowledgment_is_held_the_same_way(service):
    mails = await file_by_mail(service, values_for_a_whole_application())
    [ack] = [m for m in mails if m["To"] == TARO]
    sent = await loop(service, ack, 10)
    assert len(sent) == 6 and paused(sent[-1])
    assert all("260001A" in text_of(m) for m in sent[:5])  # where the application stands, 5 times
