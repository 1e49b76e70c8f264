"""The whole lifecycle of one application, end to end over both channels (SPEC §2 second half,
§5, §6): filed in a Slack DM, approved by a reviewer with another start date, confirmed with
the application form, the ID通知 in the DM and behind the mailed link, the certificate reminder,
the start date — and afterwards not one secret anywhere it should not be."""

from __future__ import annotations

import asyncio
import html
import json
import re
from datetime import date
from urllib.parse import urlsplit

import pytest

from handlers import documents
from tests.conftest import WITHOUT_USER_CODE
from tests.e2e.conftest import (
    BOTH,
    HANAKO,
    TARO,
    World,
    attachments,
    leaks,
    one_notice_each,
    pdf_text,
    secrets_of,
)
from tests.email.mailer import text_of
from tests.slack.conftest import APPLICANT, DM, REVIEW_CHANNEL, card_ts, until
from tests.slack.test_reviewers import open_modal, select, typed

DESIRED, START = "2027-01-04", "2027-01-18"  # the reviewer confirms a later scheduled date


def html_links(world: World, mail) -> list[str]:
    """The links of a mail's HTML part, pointed at the running server."""
    page = mail.get_body(preferencelist=("html",)).get_content()
    return [world.base_url + urlsplit(html.unescape(href)).path for href in re.findall(r'href="([^"]+)"', page)]


async def apply_in_the_dm(world: World) -> str:
    """Answer by answer, as the applicant types them; then 登録."""
    await world.slack.dm("こんにちは")
    for answer in WITHOUT_USER_CODE:
        await world.slack.dm(answer)
    summary = world.slack.questions()[-1]
    assert summary["metadata"]["event_payload"]["field"] == "confirm"
    await world.slack.dm("登録")
    await world.settled()
    [app] = [a for a in map(world.bot.service.load, world.bot.store.all_ids()) if a and a.acceptance_number]
    assert app.state == "under_review"
    return str(app.acceptance_number)


@pytest.mark.parametrize("world", ["relay", "folder"], indirect=True)
async def test_from_filing_to_the_start_date_on_both_channels(world: World):
    service, renderer = world.bot.service, world.bot.renderer

    # --- 受付: filed in the DM; the acknowledgment to both people, on both channels ---------
    number = await apply_in_the_dm(world)
    assert number == "260001A"
    ack = one_notice_each(world, "acknowledgment", number)
    for text in (json.dumps(ack["dm"]["blocks"], ensure_ascii=False), text_of(ack[TARO]), text_of(ack[HANAKO])):
        assert number in text and "2026年11月26日" in text
        assert "翌営業日の2026年11月27日（金）以降" in text
    assert text_of(ack[TARO]).count("山田 太郎") >= 1
    [card] = world.slack.posts(REVIEW_CHANNEL)
    assert card["metadata"]["event_type"] == "webnaccs_review"
    assert card["metadata"]["event_payload"]["acceptance_number"] == number  # with its outbox id

    # --- 審査: a reviewer approves through the card's button and the modal, another date ---
    view = await open_modal(world.slack, "approve", number, user="UREV1")
    start = next(b for b in view["blocks"] if b.get("block_id") == "start_date")["element"]
    assert start["initial_option"]["value"] == DESIRED
    status, body = await world.slack.submit(view, {"start_date": {"start_date": select(START)},
                                                   "comment": {"comment": typed("端末の準備をお願いします")}},
                                            user="UREV1")
    assert (status, body) == (200, "")
    await world.settled()
    app = service.find(number)
    assert app.state == "approved" and app.review["start_date"] == START and app.review["by"] == "slack:UREV1"
    update = await until(lambda: world.api.to("chat.update", channel=REVIEW_CHANNEL))
    assert update[-1]["ts"] == card_ts(world.slack, number) and "review_actions" not in json.dumps(update[-1])

    # --- 確認完了: says the date differs; the form PDF attached to the mail, uploaded to the DM
    confirmation = one_notice_each(world, "confirmation", number)
    for text in (json.dumps(confirmation["dm"]["blocks"], ensure_ascii=False),
                 text_of(confirmation[TARO]), text_of(confirmation[HANAKO])):
        assert "利用開始日　　：2027年1月18日（月）" in text
        assert "ご希望の利用開始日 2027年1月4日（月） と異なります" in text
        assert "端末の準備をお願いします" in text
    form_words = ("システムサービス利用契約変更申込書", number, "申込受付番号", "申込受付年月日", "2026年11月26日",
                  "ABC損害保険株式会社", "変更する理由", "デジタル証明書数", "鈴木 花子")
    files = attachments(confirmation[TARO])
    assert list(files) == [f"{number}-application-form.pdf"]
    text = pdf_text(files[f"{number}-application-form.pdf"])
    assert all(w in text for w in form_words), text
    # the administrator's address was typed in the DM, not verified: no form, who asked (15.8)
    assert attachments(confirmation[HANAKO]) == {}
    assert "のご依頼によりお送りしています" in text_of(confirmation[HANAKO]).replace("\n", "")
    [form] = world.api.files(DM)
    assert form.filename == f"{number}-application-form.pdf"
    assert all(w in pdf_text(form.data or b"") for w in form_words)

    # --- ID通知: the codes in the DM; by mail only a link (to the applicant, not the admin) ---
    codes = service.id_codes(app)
    assert len(codes) == 2 and all(len(c["auth_codes"]) == 3 for c in codes)
    ids = one_notice_each(world, "id_notification", number, mail_to=(TARO,))
    dm_blocks = json.dumps(ids["dm"]["blocks"], ensure_ascii=False)
    for secret in secrets_of(codes):
        assert secret in dm_blocks
        assert secret not in ids["dm"]["text"]  # the notification preview
        assert secret not in text_of(ids[TARO])
    link = world.id_link(ids[TARO])
    assert html_links(world, ids[TARO]) == [link]  # the HTML part links the very same page
    status, html = await world.page("GET", link)
    assert status == 200 and "ID通知内容を表示する" in html
    assert not any(secret in html for secret in secrets_of(codes))  # a link scanner sees nothing
    status, html = await world.page("POST", link)
    assert status == 200 and all(secret in html for secret in secrets_of(codes))
    assert service.find(number).id_notice["expires_on"] == "2027-01-19"  # the day after the start date
    altered = link[:-1] + ("0" if link[-1] != "0" else "1")
    for url in (altered, link.replace("2027-01-19", "2027-12-31")):
        status, html = await world.page("POST", url)
        assert status == 404 and not any(secret in html for secret in secrets_of(codes))

    # --- time moves: nothing early; the certificate reminder three business days before ------
    assert await world.remind("2027-01-12T23:59") == 0
    assert world.dm_notices("reminder") == [] and world.mails(notice="reminder") == []
    with pytest.raises(documents.NotYetAvailable):
        documents.approval_notice(service.find(number), renderer, date(2027, 1, 17))
    world.clock.current = world.clock.current.replace(day=13, hour=9, minute=0)
    taken = await asyncio.gather(asyncio.to_thread(service.run_reminders), asyncio.to_thread(service.run_reminders))
    assert sum(taken) <= 1  # (the scheduler may have taken it first)
    assert await asyncio.to_thread(service.run_reminders) == 0
    await world.settled()
    certificate = one_notice_each(world, "reminder", number)
    assert "デジタル証明書の取得" in certificate["dm"]["text"]
    assert world.id_link(certificate[TARO]) == link  # the way to the ID通知, for the applicant only
    assert html_links(world, certificate[TARO]) == [link]
    assert "/id/" not in text_of(certificate[HANAKO])
    assert service.find(number).state == "approved" and "2027年1月18日" in text_of(certificate[HANAKO])
    assert len(world.api.files()) == 1  # no file with this one

    # --- the start date: active, the start notice on both channels, the approval notice ---
    assert await world.remind("2027-01-18T08:30") == 1
    assert await world.remind("2027-01-18T08:31") == 0  # once
    app = service.find(number)
    assert app.state == "active"
    assert len(world.dm_notices("reminder")) == 2
    start_dm = world.dm_notices("reminder")[-1]
    assert "本日から利用開始です" in start_dm["text"]
    assert "パッケージソフトにログオンし、必要なU業務を実施してください" in json.dumps(start_dm["blocks"],
                                                                                 ensure_ascii=False)
    notice_words = ("システムサービス利用契約変更承認通知", number, "利用開始日", "2027年1月18日", "承認日")
    for address in BOTH:
        start_mail = world.mails(address, notice="reminder")[-1]
        assert "本日から利用開始です" in str(start_mail["Subject"])
        text = pdf_text(attachments(start_mail)[f"{number}-approval-notice.pdf"])
        assert all(w in text for w in notice_words), text
    notice = world.api.files(DM)[-1]
    assert notice.filename == f"{number}-approval-notice.pdf"
    assert all(w in pdf_text(notice.data or b"") for w in notice_words)
    assert all(w in pdf_text(documents.approval_notice(app, renderer, date(2027, 1, 18))) for w in notice_words)

    # --- the link expires after the day after the start date ------------------------------
    world.clock.current = world.clock.current.replace(day=20)
    for method in ("GET", "POST"):
        status, html = await world.page(method, link)
        assert status == 410 and "有効期限" in html
        assert not any(secret in html for secret in secrets_of(codes))

    # --- every transition in the audit trail, and each message went out once ---------------
    audit = world.bot.store.audit(app.id)
    transitions = [(e["from"], e["to"], e["actor"]) for e in audit if e["action"] == "transition"]
    assert transitions == [("draft", "under_review", f"slack:{APPLICANT}"),
                           ("under_review", "approved", "slack:UREV1"),
                           ("approved", "active", "system:reminders")]
    assert [e["actor"] for e in audit if e["action"] == "id_revealed"] == ["web:id-page"]
    outbox = world.bot.store.outbox(app.id)
    assert all(m["status"] == "sent" for m in outbox), [(m["id"], m["status"]) for m in outbox]
    assert len({m["id"] for m in outbox}) == len(outbox)

    # --- no secret anywhere else: files, mails, Slack calls, logs ---------------------------
    if world.relay is not None:  # the relay's SMTP dialogue was captured at DEBUG too
        assert ("mail.log", "DEBUG") in {(r.name, r.levelname) for r in world.caplog.records}
    else:  # the .eml files are among the stored files swept
        assert len(list((world.data_dir / "mail").glob("*.eml"))) == len(world.mails()) == 9  # 2+2+1+2+2 notices
    assert leaks(world, secrets_of(codes)) == []
