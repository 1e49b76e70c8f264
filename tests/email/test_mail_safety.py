"""What arrives by mail that must not be taken at face value, and mail in every shape people send."""

from __future__ import annotations

import asyncio
import base64

import aiosmtplib
import pytest

from bot.service import Person
from bot.service.starting import PENDING
from tests.conftest import WITHOUT_USER_CODE
from tests.email.conftest import BOT, HANAKO, TARO
from tests.email.mailer import (
    gmail_reply,
    new_mail,
    outlook_reply,
    send,
    send_null_sender,
    text_of,
    thunderbird_reply,
)
from tests.email.test_conversation_by_mail import reply, start_by_mail

MALLORY = "mallory@evil.example"


def draft_of(service, address=TARO):
    return service.bot.service.open_draft(Person(key=f"email:{address}", channel="email"))


def first_asked(service, address=TARO):
    """The record (no application) that asked a person's first question, and where it waits."""
    [record] = service.bot.service.core.applications_of(Person(key=f"email:{address}", channel="email"))
    assert record.state == "contact" and draft_of(service, address) is None
    return record, record.conversation[PENDING]["field"]


def raw_reply(original, body: bytes, *, charset: str, cte: str, sender=TARO) -> bytes:
    """A reply as older Japanese mail programs write it, bytes exactly as given."""
    if cte == "base64":
        body = base64.encodebytes(body)
    head = (f"From: {sender}\r\nTo: {original['Reply-To']}\r\nSubject: Re: test\r\n"
            f"Date: Thu, 26 Nov 2026 10:05:00 +0900\r\nMessage-ID: <{cte}.{charset}@example.co.jp>\r\n"
            f"In-Reply-To: {original['Message-ID']}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n")
    return head.encode("ascii") + body.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")


async def test_a_reply_from_someone_else_is_ignored_and_audited(service):
    [mail] = await start_by_mail(service)
    forged = gmail_reply(mail, "その他", sender=MALLORY, name="Mallory")
    for _ in range(2):
        await send(service.port, forged, sender=MALLORY, to=str(mail["Reply-To"]))
        await service.settled()
    assert service.folder.new() == []
    record, field = first_asked(service)
    assert field == "industry"
    ignored = [e for e in service.bot.store.audit(record.id) if e["action"] == "mail_ignored"]
    assert len(ignored) == 1
    assert ignored[0]["reason"] == "sender_mismatch" and ignored[0]["actor"] == f"email:{MALLORY}"


async def test_an_out_of_office_reply_is_ignored(service):
    [mail] = await start_by_mail(service)
    auto = new_mail(sender=TARO, to=str(mail["Reply-To"]), subject="自動応答: " + str(mail["Subject"]),
                    body="ただいま不在にしております。12月1日に戻ります。",
                    extra={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All",
                           "In-Reply-To": str(mail["Message-ID"])})
    await send(service.port, auto, sender=TARO, to=str(mail["Reply-To"]))
    bounce = new_mail(sender="MAILER-DAEMON@example.co.jp", to=str(mail["Reply-To"]),
                      subject="Undelivered Mail Returned to Sender", body="損害保険会社")
    await send_null_sender(service.port, bounce, to=str(mail["Reply-To"]))
    await service.settled()
    assert service.folder.new() == []
    assert first_asked(service)[1] == "industry"
    assert [r.reason for _, r in service.channel.results][-2:] == ["auto_submitted", "null_sender"]


async def test_our_own_mail_coming_back_is_ignored(service):
    [mail] = await start_by_mail(service)
    await send(service.port, mail.as_bytes(), sender=BOT, to=str(mail["Reply-To"]))
    await service.settled()
    assert service.folder.new() == [] and service.channel.results[-1][1].action == "ignored"


async def test_the_same_mail_delivered_twice_is_answered_once(service):
    [mail] = await start_by_mail(service)
    raw = outlook_reply(mail, "損害保険会社", sender=TARO, message_id="<twice@example.co.jp>")
    for _ in range(2):
        await send(service.port, raw, sender=TARO, to=str(mail["Reply-To"]))
    await service.settled()
    [answered] = service.folder.new()
    assert answered["X-WebNACCS-Field"] == "company_name"
    assert [r.action for _, r in service.channel.results][-2:] == ["handled", "duplicate"]
    # and again later, after other answers: still nothing happens
    await reply(service, answered, "ABC損保")
    await send(service.port, raw, sender=TARO, to=str(mail["Reply-To"]))
    await service.settled()
    assert service.folder.new() == [] and draft_of(service).conversation["field"] == "office_name"


async def test_an_oversized_mail_is_refused_with_552(start_service, config):
    service = await start_service(config, max_size=20_000)
    raw = new_mail(sender=TARO, to=BOT, subject="申込", body="あ" * 20_000)
    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        await send(service.port, raw, sender=TARO, to=BOT)
    assert refused.value.code == 552
    assert service.channel.spool.names() == [] and service.folder.new() == []


async def test_unknown_recipients_are_refused_with_550(service):
    [mail] = await start_by_mail(service)
    app_id, mac = service.channel.addresses.token_of(str(mail["Reply-To"]))
    for rcpt in ("nobody@localhost", "webnaccs@elsewhere.example", f"webnaccs+{app_id}.{'a' * 26}@localhost",
                 f"webnaccs+ffffffffffffffff.{mac}@localhost", f"other+{app_id}.{mac}@localhost"):
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await send(service.port, new_mail(sender=TARO, to=rcpt, subject="x"), sender=TARO, to=rcpt)
        assert refused.value.recipients[0].code == 550, rcpt


async def test_when_the_spool_cannot_take_a_mail_the_sender_is_told_to_retry(service, monkeypatch):
    def full(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(service.channel.spool, "put", full)
    with pytest.raises(aiosmtplib.SMTPResponseException) as deferred:
        await send(service.port, new_mail(sender=TARO, to=BOT, subject="申込"), sender=TARO, to=BOT)
    assert deferred.value.code == 451


@pytest.mark.parametrize(("charset", "cte", "encode"), [
    ("ISO-2022-JP", "7bit", lambda s: b"\x1b$B\x2d\x6a\x1b(B" + s.encode("iso2022_jp")),  # ㈱ as Outlook writes it
    ("Shift_JIS", "base64", lambda s: ("㈱" + s).encode("cp932")),
    ("iso-2022-jp", "base64", lambda s: b"\x1b$B\x2d\x6a\x1b(B" + s.encode("iso2022_jp")),
])
async def test_japanese_legacy_charsets_in_replies(service, charset, cte, encode):
    [mail] = await start_by_mail(service)
    [mail] = await reply(service, mail, "損害保険会社")
    body = encode("ＡＢＣ損保\n\n-----Original Message-----\nFrom: WebNACCS\nSent: 2026/11/26\n\n")
    await send(service.port, raw_reply(mail, body, charset=charset, cte=cte), sender=TARO,
               to=str(mail["Reply-To"]))
    await service.settled()
    [asked] = service.folder.new()
    assert asked["X-WebNACCS-Field"] == "office_name"
    assert draft_of(service).answers["company_name"] == "(株)ABC損保"


async def test_an_html_only_reply_is_read(service):
    [mail] = await start_by_mail(service)
    [asked] = await reply(service, mail, "損害保険会社", gmail_reply, html_only=True)
    assert asked["X-WebNACCS-Field"] == "company_name"


async def test_several_fields_in_one_reply_each_validated(service):
    [mail] = await start_by_mail(service)
    [mail] = await reply(service, mail, "損害保険会社")
    block = [line for line in text_of(mail).split("\n") if line.rstrip().endswith(":")]
    answers = {"企業名": "ABC損保", "事業所名": "本店", "利用者コード（現在）": "abc12",
               "現在のnetNACCS台数": "たくさん", "変更内容": "1", "申込担当者 電話番号": "0120"}
    filled = "\n".join(f"{line.rstrip()} {answers.get(line.split('（1.')[0].strip().rstrip(':'), '')}".rstrip()
                        for line in block)
    [asked] = await reply(service, mail, "お世話になっております。\n\n" + filled, thunderbird_reply, top=True)
    text = text_of(asked)
    assert "次の項目を受け付けました：企業名、事業所名、利用者コード（現在）、変更内容" in text
    assert "・現在のnetNACCS台数：" in text and "・申込担当者 電話番号：" in text
    assert asked["X-WebNACCS-Field"] == "netnaccs_terminals"
    draft = draft_of(service)
    assert draft.answers["user_code"] == "ABC12" and "netnaccs_terminals" not in draft.answers
    assert draft.answers["change_items"] == ["webnaccs_terminals"]


async def test_a_new_mail_cannot_answer_an_open_draft(service):
    """Only a reply to a reply address answers; a forged From on a new mail gets the question
    mailed to the real person instead."""
    [mail] = await start_by_mail(service)
    await reply(service, mail, "損害保険会社")  # the draft is stored with its first answer
    forged = new_mail(sender=TARO, to=BOT, subject="Re: 申込", body="MALLORY損保")
    await send(service.port, forged, sender=MALLORY, to=BOT)
    await service.settled()
    [again] = service.folder.new()
    assert again["To"] == TARO and again["X-WebNACCS-Field"] == "company_name"
    assert draft_of(service).state == "draft" and "company_name" not in draft_of(service).answers


async def test_a_draft_started_in_slack_continues_by_mail_and_back(service):
    slack = Person(key="slack:U1", channel="slack", aliases=(f"email:{TARO}",))
    bot = service.bot.service
    await asyncio.to_thread(bot.start, slack)
    await asyncio.to_thread(bot.handle, slack, "損害保険会社")
    mixed_case = "Taro@Example.co.jp"
    await send(service.port, new_mail(sender=mixed_case, to=BOT, subject="WebNACCSの申込の続き"),
               sender=mixed_case, to=BOT)
    await service.settled()
    [mail] = service.folder.new()
    assert mail["X-WebNACCS-Field"] == "company_name" and mail["To"] == mixed_case
    await send(service.port, outlook_reply(mail, "ABC損保", sender=mixed_case), sender=mixed_case,
               to=str(mail["Reply-To"]))
    await service.settled()
    draft = bot.open_draft(slack)
    assert draft.answers["company_name"] == "ABC損保" and len(bot.applications_of(slack)) == 1
    assert draft.conversation["field"] == "office_name"


def values_for_a_whole_application() -> dict[str, str]:
    keys = ["industry", "company_name", "office_name", "user_code", "netnaccs_terminals", "change_items",
            "desired_start_date", "change_reason", "applicant_name", "applicant_department",
            "applicant_email", "applicant_phone", "admin_name", "admin_email", "certificate_count", "remarks"]
    return dict(zip(keys, WITHOUT_USER_CODE, strict=True))


async def file_by_mail(service, values):
    block = "\n".join(f"{k}: {v}" for k, v in values.items())
    await send(service.port, new_mail(sender=TARO, to=BOT, subject="申込", body=block), sender=TARO, to=BOT)
    await service.settled()
    [summary] = service.folder.new()
    assert summary["X-WebNACCS-Field"] == "confirm", text_of(summary)
    return await reply(service, summary, "登録")


async def test_a_whole_application_in_the_first_mail_then_replies_to_the_notices(service):
    mails = await file_by_mail(service, values_for_a_whole_application())
    notices = {m["To"]: m for m in mails if m["X-WebNACCS-Notice"] == "acknowledgment"}
    assert set(notices) == {TARO, HANAKO}
    # the applicant replying to the notice hears where the application stands; no new draft
    [status] = await reply(service, notices[TARO], "ありがとうございました。")
    assert "260001A" in text_of(status) and "内容確認中" in text_of(status)
    assert draft_of(service) is None
    # the administrator's reply is not acted on
    await send(service.port, gmail_reply(notices[HANAKO], "了解しました", sender=HANAKO), sender=HANAKO,
               to=str(notices[HANAKO]["Reply-To"]))
    await service.settled()
    assert service.folder.new() == []
    assert service.channel.results[-1][1].reason == "not_the_applicant"
