"""By mail after filing, as in Slack: withdrawal, the PDFs, the language, the status; coming back
with a new mail; one mail on filing; and a reply to an earlier question mail."""

from __future__ import annotations

import asyncio

import pytest

from bot.service import Person
from store.tiny import apps
from tests.beside import listed
from tests.conftest import BOTH, WITHOUT_USER_CODE
from tests.email.conftest import BOT, HANAKO, TARO
from tests.email.mailer import gmail_reply, new_mail, send, text_of
from tests.email.test_conversation_by_mail import reply, start_by_mail
from tests.email.test_mail_safety import file_by_mail, values_for_a_whole_application

TARO_PERSON = Person(key=f"email:{TARO}", channel="email")


async def filed_by_mail(service):
    mails = await file_by_mail(service, values_for_a_whole_application())
    return {m["To"]: m for m in mails}


def attachments(mail) -> list[str]:
    return [part.get_filename() for part in mail.iter_attachments()]


async def new_to_bot(service, body, subject="WebNACCS"):
    await send(service.port, new_mail(sender=TARO, to=BOT, subject=subject, body=body), sender=TARO, to=BOT)
    await service.settled()
    return service.folder.new()


async def test_filing_by_mail_sends_the_applicant_one_mail(service):
    mails = await filed_by_mail(service)
    assert sorted(mails) == [HANAKO, TARO]  # one each: no reply mail beside the acknowledgment
    assert mails[TARO]["X-WebNACCS-Notice"] == "acknowledgment"
    assert "260001A" in text_of(mails[TARO])


async def test_withdrawal_by_mail_is_confirmed_then_both_people_are_told(service):
    ack = (await filed_by_mail(service))[TARO]
    [asked] = await reply(service, ack, "取下げ")
    assert "取り下げてよろしいですか" in text_of(asked)
    assert service.app("260001A").state == "under_review"
    mails = await reply(service, asked, "はい")
    assert {(m["To"], m["X-WebNACCS-Notice"]) for m in mails} == {(TARO, "withdrawn"), (HANAKO, "withdrawn")}
    assert service.app("260001A").state == "withdrawn"
    states = [e["to"] for e in service.bot.store.audit(service.app("260001A").id) if e["action"] == "transition"]
    assert states[-1] == "withdrawn"


async def test_the_documents_come_by_mail_the_approval_notice_from_the_start_date(service, clock):
    ack = (await filed_by_mail(service))[TARO]
    [form] = await reply(service, ack, "申込書", gmail_reply)
    assert attachments(form) == ["260001A-application-form.pdf"]
    assert form["X-WebNACCS-Notice"] == "document"
    [early] = await reply(service, ack, "承認通知")
    assert attachments(early) == [] and "まだ承認されていない" in text_of(early)
    ruling = service.bot.service.decide("260001A", decision="approve", actor="cli:op", start_date="2027-01-04")
    assert ruling.applied
    await service.settled()
    service.folder.new()
    [before] = await reply(service, ack, "承認通知")
    assert attachments(before) == [] and "2027年1月4日" in text_of(before)
    clock.current = clock.current.replace(year=2027, month=1, day=4)
    [notice] = await reply(service, ack, "承認通知")
    assert attachments(notice) == ["260001A-approval-notice.pdf"]


async def test_language_and_status_by_mail_after_filing(service):
    ack = (await filed_by_mail(service))[TARO]
    [english] = await reply(service, ack, "English")
    assert english["Content-Language"] == "en" and "260001A" in text_of(english)
    [status] = await reply(service, ack, "status")
    assert status["Content-Language"] == "en" and "under review" in text_of(status)
    assert service.app("260001A").lang == "en"
    assert len(service.bot.service.applications_of(TARO_PERSON)) == 1


async def test_a_new_mail_after_filing_shows_the_application_and_new_starts_one(service):
    await filed_by_mail(service)
    [status] = await new_to_bot(service, "WebNACCSの追加を申し込みます。")
    assert "260001A" in text_of(status) and "内容確認中" in text_of(status) and "「新規」" in text_of(status)
    assert status["X-WebNACCS-Field"] is None
    assert len(service.bot.service.applications_of(TARO_PERSON)) == 1  # no empty draft
    [first] = await new_to_bot(service, "新規")
    assert first["X-WebNACCS-Field"] == "industry"
    assert len(service.bot.service.applications_of(TARO_PERSON)) == 1  # still nothing stored
    [second] = await reply(service, first, "損害保険会社")
    assert second["X-WebNACCS-Field"] == "company_name"
    draft = service.bot.service.open_draft(TARO_PERSON)
    assert draft is not None and draft.answers == {"industry": "non_life"}
    assert draft.acceptance_number is None and len(service.bot.service.applications_of(TARO_PERSON)) == 2


async def test_a_reply_to_an_earlier_question_mail_answers_that_question(service):
    [industry] = await start_by_mail(service)
    [company] = await reply(service, industry, WITHOUT_USER_CODE[0])
    [office] = await reply(service, company, WITHOUT_USER_CODE[1])
    [user_code] = await reply(service, office, WITHOUT_USER_CODE[2])
    assert user_code["X-WebNACCS-Field"] == "user_code"
    [after] = await reply(service, company, "XYZ損害保険株式会社")  # the company mail, again
    draft = service.bot.service.open_draft(TARO_PERSON)
    assert draft.answers["company_name"] == "XYZ損害保険株式会社" and draft.answers["office_name"] == "本店"
    assert "user_code" not in draft.answers
    assert after["X-WebNACCS-Field"] == "user_code"
    assert "企業名" in text_of(after) and "XYZ損害保険株式会社" in text_of(after)


@pytest.mark.parametrize("database_url", ["tiny"], indirect=True)
async def test_a_reply_to_a_question_mail_reads_no_history_even_after_a_checkpoint(service, monkeypatch):
    """Issue 10: what a reply answers is looked up without reading the application's history
    (it grows with the conversation); only a mail old enough to be forgotten is looked for there."""
    [industry] = await start_by_mail(service)
    [company] = await reply(service, industry, WITHOUT_USER_CODE[0])
    reads: list[object] = []
    real = apps.history
    monkeypatch.setattr(apps, "history", lambda path: reads.append(path) or real(path))
    await asyncio.to_thread(service.bot.store.checkpoint)  # the sent question mails are archived
    [office] = await reply(service, company, WITHOUT_USER_CODE[1])
    [after] = await reply(service, company, "XYZ損害保険株式会社")  # the company mail, again
    assert office["X-WebNACCS-Field"] == "office_name" and after["X-WebNACCS-Field"] == "office_name"
    assert service.bot.service.open_draft(TARO_PERSON).answers["company_name"] == "XYZ損害保険株式会社"
    assert reads == []


async def test_a_reply_to_an_old_summary_says_which_question_is_current(service):
    [mail] = await start_by_mail(service)
    for answer in WITHOUT_USER_CODE:
        [mail] = await reply(service, mail, answer)
    summary = mail
    assert summary["X-WebNACCS-Field"] == "confirm"
    [phone] = await reply(service, summary, "修正 電話番号")
    assert phone["X-WebNACCS-Field"] == "applicant_phone"
    [told] = await reply(service, summary, "登録")  # the old summary mail, while the phone is asked
    assert told["X-WebNACCS-Field"] == "applicant_phone"
    assert "申込内容の確認" in text_of(told) and "電話番号" in text_of(told)
    assert service.bot.service.open_draft(TARO_PERSON).state == "draft"  # not filed


async def test_the_first_question_answered_again_changes_nothing_else(service):
    [industry] = await start_by_mail(service)
    [company] = await reply(service, industry, "損害保険会社")
    [office] = await reply(service, company, "ABC損保")
    await reply(service, office, "本店")
    [again] = await reply(service, industry, "損保")  # the very first mail, answered again
    assert again["X-WebNACCS-Field"] == "user_code" and "恐れ入りますが" not in text_of(again)
    draft = service.bot.service.open_draft(TARO_PERSON)
    assert draft.answers == {"industry": "non_life", "company_name": "ABC損保", "office_name": "本店"}


@BOTH  # on TinyDB files and on PostgreSQL
async def test_a_first_mail_stores_no_application_until_its_first_answer(service):
    [industry] = await start_by_mail(service)
    assert industry["X-WebNACCS-Field"] == "industry" and listed(service.bot) == []  # no empty draft
    [company] = await reply(service, industry, "損害保険会社")
    assert company["X-WebNACCS-Field"] == "company_name"
    [app] = listed(service.bot)
    assert app["state"] == "draft" and service.bot.service.open_draft(TARO_PERSON).id == app["id"]
    [again] = await reply(service, industry, "損保")  # the first mail, answered again: nothing new
    assert again["X-WebNACCS-Field"] == "company_name" and [a["id"] for a in listed(service.bot)] == [app["id"]]
