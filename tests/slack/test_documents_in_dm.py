"""The PDFs in the applicant's DM: the application form with the confirmation, the approval
notice with the start-date reminder — uploaded with files_upload_v2 to the DM's channel id,
once, also when the upload has to be retried."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import timedelta
from pathlib import Path

from pypdf import PdfReader

from handlers import outbox_cli
from tests.slack.conftest import APP_TOKEN, APPLICANT, DM, Slack, file_application, until

START = "2027-01-18"  # a scheduled date other than the desired 2027-01-04


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def notices(slack: Slack, kind: str) -> list[dict]:
    return [p for p in slack.posts(APPLICANT)
            if (p.get("metadata") or {}).get("event_payload", {}).get("notice") == kind]


def dm_sequence(slack: Slack) -> list[str]:
    """The notices posted to the applicant's DM and the files shared there, in order."""
    out = []
    for call in slack.api.calls:
        if call.status != 200:
            continue
        if call.method == "chat.postMessage" and call.args.get("channel") == APPLICANT:
            notice = (call.args.get("metadata") or {}).get("event_payload", {}).get("notice")
            if notice:
                out.append(notice)
        elif call.method == "files.completeUploadExternal" and call.args.get("channel_id") == DM:
            out.append("file")
    return out


async def approve(slack: Slack, number: str) -> None:
    decided = await asyncio.to_thread(slack.bot.service.decide, number, decision="approve",
                                      actor="cli:operator", start_date=START)
    assert decided.applied
    await slack.delivered()


async def test_the_confirmation_brings_the_application_form_into_the_dm(slack: Slack):
    number = await file_application(slack)
    assert slack.api.files() == []  # the acknowledgment carries no file
    await approve(slack, number)

    [confirmation] = notices(slack, "confirmation")
    [form] = slack.api.files()
    assert form.channel_id == DM  # the DM's id from the post's answer, never the user id
    assert form.filename == f"{number}-application-form.pdf"
    assert form.title == f"システムサービス利用契約変更申込書 {number}"
    text = pdf_text(form.data or b"")
    for words in ("システムサービス利用契約変更申込書", number, "申込受付年月日", "ABC損害保険株式会社",
                  "デジタル証明書数"):
        assert words in text, words
    # in the DM: each notice once, the form right after the confirmation; the ID通知 brings no file
    assert dm_sequence(slack) == ["acknowledgment", "confirmation", "file", "id_notification"]
    assert len(notices(slack, "id_notification")) == 1 and len(slack.api.files()) == 1
    app = slack.bot.service.find(number)
    assert all(m["status"] == "sent" for m in slack.bot.store.outbox(app.id) if m["channel"] in ("slack", "review"))
    assert confirmation["text"].startswith("【WebNACCS】利用申込確認完了のお知らせ")


async def test_a_failed_upload_is_retried_without_posting_the_notice_again(slack: Slack):
    number = await file_application(slack)
    slack.api.fail("upload", status=500)  # the upload URL does not take the bytes
    await approve(slack, number)
    app = slack.bot.service.find(number)
    [waiting] = [m for m in slack.bot.store.pending_outbox() if m.get("notice") == "confirmation"
                 and m["channel"] == "slack"]
    assert waiting["posted"] == 1 and waiting["slack_channel"] == DM
    assert waiting["last_error"] == "file_upload_failed"
    assert len(notices(slack, "confirmation")) == 1 and slack.api.files() == []

    slack.api.fail("files.completeUploadExternal", status=429, retry_after=9)  # then Slack is busy
    slack.clock.advance(seconds=2)  # the dispatcher's first backoff
    await slack.delivered()
    assert len(notices(slack, "confirmation")) == 1 and slack.api.files() == []
    waiting = next(m for m in slack.bot.store.outbox(app.id) if m["id"] == waiting["id"])
    assert waiting["status"] == "pending" and waiting["last_error"] == "ratelimited"
    assert waiting["next_at"] == (slack.clock.now() + timedelta(seconds=9)).isoformat()

    slack.clock.advance(seconds=9)
    await slack.delivered()
    assert dm_sequence(slack) == ["acknowledgment", "confirmation", "file", "id_notification"]  # in order, once each
    [form] = slack.api.files(DM)  # shared once; the earlier tries were never completed
    assert number in pdf_text(form.data or b"")
    assert len(slack.api.uploads) == 3
    assert next(m for m in slack.bot.store.outbox(app.id) if m["id"] == waiting["id"])["status"] == "sent"


async def test_without_files_write_the_upload_fails_for_the_operator_and_the_dm_goes_on(slack: Slack, caplog):
    """An app not reinstalled with files:write: the confirmation is posted, its upload fails
    (shown by ``webnaccs-bot outbox``) without holding back the ID通知; a retry after the
    reinstall uploads the form and posts nothing twice."""
    number = await file_application(slack)
    slack.api.fail("files.getUploadURLExternal", error="missing_scope")
    await approve(slack, number)
    app = slack.bot.service.find(number)
    [failed] = [m for m in slack.bot.store.outbox(app.id) if m["status"] == "failed"]
    assert (failed["notice"], failed["channel"], failed["last_error"]) == ("confirmation", "slack", "missing_scope")
    assert failed["posted"] == 1 and slack.api.files() == []
    assert dm_sequence(slack) == ["acknowledgment", "confirmation", "id_notification"]
    assert "files:write" in caplog.text and f"outbox retry {app.id}/{failed['id']}" in caplog.text

    assert outbox_cli.retry(slack.bot.store, f"{app.id}/{failed['id']}") == "retried"
    await slack.delivered()
    assert dm_sequence(slack) == ["acknowledgment", "confirmation", "id_notification", "file"]
    assert next(m for m in slack.bot.store.outbox(app.id) if m["id"] == failed["id"])["status"] == "sent"


def test_the_manifest_asks_for_files_write():
    manifest = json.loads((Path(__file__).resolve().parents[2] / "manifest.json").read_text(encoding="utf-8"))
    assert "files:write" in manifest["oauth_config"]["scopes"]["bot"]


async def test_the_start_date_reminder_brings_the_approval_notice(slack: Slack):
    number = await file_application(slack)
    await approve(slack, number)
    assert len(slack.api.files()) == 1

    slack.clock.current = slack.clock.current.replace(year=2027, month=1, day=13, hour=9)
    assert await asyncio.to_thread(slack.bot.service.run_reminders) == 1  # the certificate reminder
    await slack.delivered()
    [certificate] = notices(slack, "reminder")
    assert "デジタル証明書の取得" in certificate["text"] and len(slack.api.files()) == 1

    slack.clock.current = slack.clock.current.replace(month=1, day=18, hour=0, minute=5)
    assert await asyncio.to_thread(slack.bot.service.run_reminders) == 1
    await slack.delivered()
    assert slack.bot.service.find(number).state == "active"
    start = notices(slack, "reminder")[-1]
    assert "本日から利用開始です" in start["text"]
    notice = slack.api.files()[-1]
    assert notice.channel_id == DM and notice.filename == f"{number}-approval-notice.pdf"
    text = pdf_text(notice.data or b"")
    assert "システムサービス利用契約変更承認通知" in text and number in text and "2027年1月18日" in text
    assert await asyncio.to_thread(slack.bot.service.run_reminders) == 0
    await slack.delivered()
    assert len(slack.api.files()) == 2


async def test_socket_mode_never_logs_what_slack_sends(make_bot, api, caplog):
    """Slack echoes the bot's own DM (the ID通知 with its codes among them) to the app: the Socket
    Mode client's DEBUG line with every envelope received must not carry it into the log."""
    from handlers import bootstrap, server

    caplog.set_level(logging.DEBUG)
    bot = make_bot(slack_signing_secret=None, slack_app_token=APP_TOKEN)
    channel = bootstrap.slack_channel(bot, ping_interval=30)
    running = await server.start(bot, [channel])
    try:
        await asyncio.wait_for(api.connected.wait(), 20)
        marker = "SECRET-ACCESS-KEY-7Q4Z"
        envelope = {"envelope_id": "env-echo", "type": "events_api", "accepts_response_payload": False,
                    "payload": {"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
                                "event_id": "EvEcho", "event_time": 1,
                                "event": {"type": "message", "channel": DM, "channel_type": "im",
                                          "user": "UBOT", "bot_id": "BBOT", "ts": "2.0",
                                          "text": "ID通知", "blocks": [{"type": "section", "text": {
                                              "type": "mrkdwn", "text": marker}}]}}}
        await api.push(envelope)
        await until(lambda: any(m.get("envelope_id") == "env-echo" for m in api.socket_messages))
        assert marker not in caplog.text
        assert json.dumps(marker) not in caplog.text
    finally:
        await running.stop()
