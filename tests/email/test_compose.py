"""Mails the bot writes: headers of the integration contract, threading, tokens, no injection."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from bot.application import Application
from bot.conversation import Reply
from handlers.email.addresses import ADMIN, APPLICANT, Addresses, single_address
from handlers.email.compose import Composer, Unsendable
from handlers.render import Renderer
from tests.fakes import clock_at

BOT = "webnaccs@bot.example.jp"
ADDRESSES = Addresses(BOT, b"secret")
COMPOSER = Composer(Renderer(), ADDRESSES)
NOW = clock_at().now()


def app(**answers) -> Application:
    return Application(id="a1b2c3d4e5f60718", created_at=NOW.isoformat(), people=["email:taro@example.co.jp"],
                       answers=answers, conversation={"field": "company_name", "mode": "ask"},
                       prefill={"applicant_email": "Taro@Example.co.jp"})


def question(field="company_name", **params) -> dict:
    return {"kind": "question", "field": field, "params": {"number": 2, "total": 16, **params},
            "choices": []}


def reply_message(*replies, to="Taro@Example.co.jp", **extra) -> dict:
    return {"app_id": "a1b2c3d4e5f60718", "id": "reply-3", "kind": "reply", "channel": "email",
            "to": to, "lang": "ja", "acceptance_number": None, "replies": list(replies), **extra}


def notice(kind="acknowledgment", role="applicant", to="taro@example.co.jp", **params) -> dict:
    values = {"acceptance_number": "260001A", "filed_at": NOW.isoformat(), "filed_on": "2026-11-26",
              "answer_from": "2026-11-27", "company_name": "ABC損保", "office_name": "本店",
              "applicant_name": "山田 太郎", "desired_start_date": "2027-01-04", **params}
    return {"app_id": "a1b2c3d4e5f60718", "id": f"{kind}-7-{role}-email", "kind": "notice", "notice": kind,
            "channel": "email", "to": to, "role": role, "lang": "ja", "acceptance_number": "260001A",
            "params": values}


def roundtrip(mail):
    return message_from_bytes(mail.as_bytes(), policy=policy.default)


def test_a_question_mail_carries_the_contract_headers_and_a_fill_in_block():
    mail = roundtrip(COMPOSER.compose(reply_message(question()), app(industry="non_life"), NOW))
    assert mail["X-WebNACCS-Field"] == "company_name"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Message-ID"] == "<wn.a1b2c3d4e5f60718.reply-3@bot.example.jp>"
    assert mail["In-Reply-To"] == mail["References"] == "<wn.a1b2c3d4e5f60718@bot.example.jp>"
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    text = plain.get_content().replace("\r\n", "\n")
    assert text.startswith("##- この行より上にご返信ください -##")
    assert "企業名: \n" in text and "事業所名: \n" in text
    assert "申込担当者 メールアドレス: Taro@Example.co.jp" in text  # prefilled from the From
    assert "業種" not in text.split("【まとめて回答する場合】")[1]  # answered ones are not listed
    holder = ADDRESSES.holder(app(), ADDRESSES.token_of(str(mail["Reply-To"]))[1])
    assert holder is not None and (holder.address, holder.role) == ("taro@example.co.jp", APPLICANT)


def test_the_same_outbox_message_always_makes_the_same_message_id():
    one = COMPOSER.compose(reply_message(question()), app(), NOW)
    two = COMPOSER.compose(reply_message(question()), app(), clock_at("2026-11-27T09:00").now())
    assert one["Message-ID"] == two["Message-ID"]


def test_a_notice_carries_its_kind_and_number_and_greets_the_administrator_as_such():
    mail = roundtrip(COMPOSER.compose(notice(role="admin", to="hanako@example.co.jp"),
                                      app(admin_email="hanako@example.co.jp", admin_name="鈴木 花子"), NOW))
    assert mail["X-WebNACCS-Notice"] == "acknowledgment"
    assert mail["X-WebNACCS-Acceptance-Number"] == "260001A"
    assert "X-WebNACCS-Field" not in mail
    assert "260001A" in str(mail["Subject"])
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "鈴木 花子 様" in text and "ご返信いただいても対応いたしかねます" in text
    holder = ADDRESSES.holder(app(admin_email="hanako@example.co.jp"),
                              ADDRESSES.token_of(str(mail["Reply-To"]))[1])
    assert holder is not None and holder.role == ADMIN


def test_what_a_person_typed_cannot_start_a_header_and_html_is_escaped():
    evil = "ABC\r\nBcc: victim@example.com\r\n\r\n<script>alert(1)</script>"
    summary = {"kind": "summary", "field": "confirm", "choices": ["submit", "edit"],
               "params": {"answers": {"company_name": evil}, "fixed": None}}
    raw = COMPOSER.compose(reply_message(summary), app(company_name=evil), NOW).as_bytes()
    mail = message_from_bytes(raw, policy=policy.default)
    assert "Bcc" not in mail and b"\r\nBcc:" not in raw.split(b"\r\n\r\n")[0]
    assert "<script>" not in mail.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in mail.get_body(("html",)).get_content()
    notice_mail = COMPOSER.compose(notice(acceptance_number="260001A\r\nBcc: x@y.jp"), app(), NOW)
    assert "Bcc" not in roundtrip(notice_mail)


@pytest.mark.parametrize("to", ["a@x.jp, b@y.jp", "a@x.jp\r\nBcc: b@y.jp", "", "not an address",
                                "太郎@example.co.jp", "taro@例え.jp"])  # these two need SMTPUTF8
def test_a_recipient_that_is_not_one_plain_address_is_refused(to):
    with pytest.raises(Unsendable):
        COMPOSER.compose(reply_message(question(), to=to), app(), NOW)


def test_a_notice_without_a_template_is_refused():
    with pytest.raises(Unsendable):
        COMPOSER.compose(notice(kind="no_such_notice"), app(), NOW)


def test_reply_tokens_are_bound_to_the_application_and_the_recipient():
    address = ADDRESSES.reply_to("a1b2c3d4e5f60718", "taro@example.co.jp")
    local = address.split("@")[0]
    assert len(local) <= 64 and len(local.split(".")[-1]) * 5 >= 128
    app_id, mac = ADDRESSES.token_of(address.upper().replace("A1B2C3D4E5F60718", "a1b2c3d4e5f60718"))
    assert app_id == "a1b2c3d4e5f60718" and ADDRESSES.holder(app(), mac).address == "taro@example.co.jp"
    other = Application(id="ffffffffffffffff", created_at="", people=["email:taro@example.co.jp"])
    assert ADDRESSES.holder(other, mac) is None  # another application
    assert ADDRESSES.holder(app(), "a" * 26) is None  # a guessed token
    assert Addresses(BOT, b"other secret").holder(app(), mac) is None  # another key
    assert ADDRESSES.token_of("webnaccs@bot.example.jp") is None
    assert ADDRESSES.token_of("someone+a1b2c3d4e5f60718." + mac + "@bot.example.jp") is None


def test_single_address_accepts_one_plain_address_only():
    assert single_address("山田 <taro@example.co.jp>") == "taro@example.co.jp"
    assert single_address("a@x.jp, b@y.jp") is None
    assert single_address("undisclosed-recipients:;") is None


def test_an_unknown_message_kind_is_refused():
    with pytest.raises(Unsendable):
        COMPOSER.compose({**reply_message(Reply("question").__dict__), "kind": "review"}, app(), NOW)


def test_the_id_notice_link_goes_to_the_applicant_only_and_is_clickable():
    from handlers.links import LinkSigner

    composer = Composer(Renderer(), ADDRESSES, LinkSigner(b"secret", "https://bot.example.jp"))
    params = {"count": 2, "issued_on": "2027-01-04", "expires_on": "2027-01-05", "start_date": "2027-01-04"}
    mail = roundtrip(composer.compose(notice("id_notification", **params), app(), NOW))
    link = LinkSigner(b"secret", "https://bot.example.jp").url("a1b2c3d4e5f60718", "2027-01-05")
    assert link in mail.get_body(("plain",)).get_content()
    assert f'<a href="{link}">' in mail.get_body(("html",)).get_content()
    admin = roundtrip(composer.compose(notice("reminder", role="admin", to="hanako@example.co.jp",
                                              reminder="certificate", **params), app(), NOW))
    assert "/id/" not in admin.get_body(("plain",)).get_content()


def test_a_requested_document_is_attached():
    import io

    from pypdf import PdfReader

    filed = app(company_name="ABC損保", office_name="本店", applicant_name="山田 太郎",
                applicant_email="taro@example.co.jp", industry="non_life", change_items=["webnaccs_terminals"])
    filed.acceptance_number = "260001A"
    filed.filed_at = NOW.isoformat()
    message = notice("document", document="form")
    mail = message_from_bytes(COMPOSER.compose(message, filed, NOW).as_bytes(), policy=policy.default)
    assert mail["X-WebNACCS-Notice"] == "document"
    [pdf] = [part for part in mail.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "260001A-application-form.pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_content())).pages)
    assert "システムサービス利用契約変更申込書" in text and "260001A" in text


def test_what_a_person_typed_is_never_a_link_in_the_html_part():
    """Issue 15.7: a URL an applicant typed (company name, reason, remarks) must not become a
    link in a mail from the bot's trusted address, least of all in the administrator's copy."""
    lure = "https://evil.example/login?next=naccs"
    summary = {"kind": "summary", "field": "confirm", "choices": ["submit", "edit"],
               "params": {"answers": {"company_name": f"ABC損保 {lure}", "remarks": lure}, "fixed": None}}
    mail = roundtrip(COMPOSER.compose(reply_message(summary), app(company_name=lure), NOW))
    page = mail.get_body(("html",)).get_content()
    assert lure in mail.get_body(("plain",)).get_content() and "evil.example" in page  # shown ...
    assert "<a " not in page and "href" not in page  # ... as text only
    for role, to in (("applicant", "taro@example.co.jp"), ("admin", "hanako@example.co.jp")):
        rejected = notice("rejected", role=role, to=to, company_name=lure, reason=f"詳細は {lure} をご覧ください",
                          comment="", start_date=None, start_date_differs=False)
        page = roundtrip(COMPOSER.compose(rejected, app(admin_email="hanako@example.co.jp"), NOW)
                         ).get_body(("html",)).get_content()
        assert "evil.example" in page and "<a " not in page, role


def test_only_the_bots_own_link_is_a_link_even_when_a_person_typed_urls():
    from handlers.links import LinkSigner

    signer = LinkSigner(b"secret", "https://bot.example.jp")
    composer = Composer(Renderer(), ADDRESSES, signer)
    params = {"count": 1, "issued_on": "2027-01-04", "expires_on": "2027-01-05", "start_date": "2027-01-04",
              "company_name": "https://evil.example/"}
    mail = roundtrip(composer.compose(notice("id_notification", **params), app(), NOW))
    page = mail.get_body(("html",)).get_content()
    link = signer.url("a1b2c3d4e5f60718", "2027-01-05")
    assert page.count("<a ") == 1 and f'<a href="{link}">' in page
    assert 'href="https://evil.example/' not in page
