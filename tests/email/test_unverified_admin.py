"""An administrator address is whatever the applicant typed (issue 15.8): its mails say who asked
for them and carry none of the applicant's words beyond names — no reason, no remarks, no link,
no application form; the applicant's own mails are as before."""

from __future__ import annotations

from datetime import datetime

from bot import notices
from bot.application import Application
from tests.email.conftest import HANAKO, TARO
from tests.email.mailer import text_of
from tests.email.test_mail_after_filing import attachments
from tests.email.test_mail_safety import file_by_mail, values_for_a_whole_application

REASON = "至急のご対応をお願いします。詳細は https://evil.example/login をご覧ください"
REMARKS = "パスワードの再設定は www.evil.example から行ってください"
COMPANY = "ABC損害保険株式会社 evil.example"


def flat(mail) -> str:
    """The plain text without its line breaks (the text is wrapped at 74 columns)."""
    return text_of(mail).replace("\n", "")


async def filed(service):
    values = {**values_for_a_whole_application(), "change_reason": REASON, "remarks": REMARKS,
              "company_name": COMPANY}
    mails = await file_by_mail(service, values)
    return {m["To"]: m for m in mails}


async def test_the_administrators_acknowledgment_names_who_asked_for_it(service):
    mails = await filed(service)
    admin, applicant = flat(mails[HANAKO]), flat(mails[TARO])
    assert ("申込担当者 山田 太郎 様（ご本人確認済みのメールアドレス：taro@example.co.jp）"
            "のご依頼によりお送りしています") in admin
    assert "当システムでは確認しておりません" in admin
    for typed in ("evil.example", "https://", "至急のご対応", "パスワード"):
        assert typed not in admin and typed not in mails[HANAKO].get_body(("html",)).get_content()
    assert "evil[.]example" in admin  # the company name, with its link-shaped part defused
    # the applicant's own copy: as before, no such line, their company name as typed
    assert "のご依頼により" not in applicant and "ご確認ください】" not in applicant
    assert COMPANY in applicant and "WebNACCS処理方式の追加申込を受け付けました。" in applicant


async def test_the_administrator_gets_no_application_form_and_the_applicant_does(service):
    await filed(service)
    ruling = service.bot.service.decide("260001A", decision="approve", actor="cli:op", start_date="2027-01-04")
    assert ruling.applied
    await service.settled()
    confirmations = {m["To"]: m for m in service.folder.new() if m["X-WebNACCS-Notice"] == "confirmation"}
    assert attachments(confirmations[TARO]) == ["260001A-application-form.pdf"]
    assert attachments(confirmations[HANAKO]) == []
    admin = flat(confirmations[HANAKO])
    assert "申込書（PDF）は、申込担当者の方にお送りしました。" in admin and "のご依頼により" in admin
    assert "添付ファイル" not in admin and REASON not in admin


def test_an_address_a_channel_verified_is_mailed_as_before():
    now = datetime.fromisoformat("2026-11-26T10:00+09:00")
    app = Application(id="a1", created_at=now.isoformat(), acceptance_number="260001A",
                      people=["slack:U1", f"email:{HANAKO.upper()}"],
                      answers={"applicant_email": TARO, "admin_email": HANAKO, "applicant_name": "山田 太郎"})
    [_, _, admin] = notices.acknowledgment(app, now)
    assert admin["role"] == "admin" and "requested_by" not in admin
    app.people = ["slack:U1"]
    [_, _, admin] = notices.acknowledgment(app, now)
    assert admin["requested_by"] == {"applicant_name": "山田 太郎", "slack_user": "U1"}
