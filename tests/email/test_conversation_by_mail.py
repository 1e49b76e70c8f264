"""A person completes an application by mail alone, with the mail programs people use."""

from __future__ import annotations

from bot.service import Person
from tests.conftest import BOTH, WITHOUT_USER_CODE
from tests.email.conftest import BOT, HANAKO, TARO
from tests.email.mailer import (
    gmail_reply,
    new_mail,
    outlook_reply,
    send,
    text_of,
    thunderbird_reply,
)

pytestmark = BOTH  # on TinyDB files and on PostgreSQL
CLIENTS = [outlook_reply, gmail_reply, thunderbird_reply]


async def reply(service, mail, answer, client=outlook_reply, **options):
    await send(service.port, client(mail, answer, sender=TARO, **options), sender=TARO,
               to=str(mail["Reply-To"]))
    await service.settled()
    return service.folder.new()


async def start_by_mail(service, subject="申込", body=""):
    raw = new_mail(sender=TARO, to=BOT, subject=subject, body=body, name="山田 太郎")
    await send(service.port, raw, sender=TARO, to=BOT)
    await service.settled()
    return service.folder.new()


async def test_an_application_started_by_mail_is_filed_by_replies_alone(service):
    [mail] = await start_by_mail(service)
    assert mail["X-WebNACCS-Field"] == "industry"
    assert mail["To"] == TARO and mail["Auto-Submitted"] == "auto-generated"
    assert "申込 → 受付 → 内容確認中 → 審査終了 → 利用開始" in text_of(mail)
    asked = []
    for i, answer in enumerate(WITHOUT_USER_CODE):
        [mail] = await reply(service, mail, answer, CLIENTS[i % 3])
        asked.append(mail["X-WebNACCS-Field"])
        assert "恐れ入りますが" not in text_of(mail), (answer, text_of(mail))
    assert asked[:3] == ["company_name", "office_name", "user_code"]
    assert asked[-1] == "confirm" and "申込内容をご確認ください" in text_of(mail)

    mails = await reply(service, mail, "登録", gmail_reply)
    by_kind = {(m["To"], m["X-WebNACCS-Notice"]) for m in mails}
    # one mail each (issue 12): the acknowledgment answers the applicant's 登録, no reply beside it
    assert by_kind == {(TARO, "acknowledgment"), (HANAKO, "acknowledgment")} and len(mails) == 2
    assert {m["X-WebNACCS-Acceptance-Number"] for m in mails} == {"260001A"}
    app = service.app("260001A")
    assert app.state == "under_review"
    assert app.answers["company_name"] == "ABC損害保険株式会社"
    assert app.answers["applicant_email"] == TARO
    assert app.people == [f"email:{TARO}"]


async def test_every_mail_of_an_application_threads_under_one_root(service):
    [first] = await start_by_mail(service)
    [second] = await reply(service, first, "損害保険会社")
    assert first["References"] == second["References"] == first["In-Reply-To"]
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Subject"] == second["Subject"]
    assert first["Reply-To"] == second["Reply-To"]


async def test_a_first_mail_in_english_gets_the_conversation_in_english(service):
    [mail] = await start_by_mail(service, subject="WebNACCS application", body="Hello, I would like to apply.")
    assert mail["Content-Language"] == "en" and mail["X-WebNACCS-Field"] == "industry"
    assert "Please type your reply above this line" in text_of(mail)


async def test_a_resend_after_a_crash_rewrites_the_same_file(service):
    [mail] = await start_by_mail(service)
    [message] = [m for a in service.bot.store.all_ids() for m in service.bot.store.outbox(a)]
    await service.channel.sender.send({**message, "app_id": next(service.bot.store.all_ids())})
    assert len(service.folder.all()) == 1 and service.folder.all()[0]["Message-ID"] == mail["Message-ID"]


async def test_a_mismatched_weekday_is_asked_back_by_mail(service):
    [mail] = await start_by_mail(service)
    for answer in WITHOUT_USER_CODE[:6]:
        [mail] = await reply(service, mail, answer)
    [mail] = await reply(service, mail, "1月4日（火）")
    assert mail["X-WebNACCS-Field"] == "desired_start_date"
    body = text_of(mail)
    assert "1月4日は月曜日です。" in body and "1月5日（火）" in body
    [mail] = await reply(service, mail, "1")
    assert mail["X-WebNACCS-Field"] == "change_reason"
    draft = service.bot.service.open_draft(Person(key=f"email:{TARO}", channel="email"))
    assert draft.answers["desired_start_date"] == "2027-01-04"
