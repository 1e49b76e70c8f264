"""Requests Slack did not sign are refused; Slack API failures go back to the outbox and are
delivered later, once; tokens never reach the logs."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta

from tests.slack.conftest import (
    APPLICANT,
    BOT_TOKEN,
    DM,
    FILLED,
    REVIEW_CHANNEL,
    SIGNING_SECRET,
    Slack,
    card_ts,
    file_application,
    sign,
)


def message_event(slack: Slack, text: str) -> str:
    return slack.event_body({"type": "message", "channel": DM, "channel_type": "im", "user": APPLICANT,
                             "text": text, "ts": "1.0"})


async def test_a_forged_signature_and_a_stale_timestamp_are_refused(slack: Slack):
    body = message_event(slack, "こんにちは")
    forged = sign(body, secret="not-the-secret")
    assert (await slack.post(body, "application/json", forged))[0] == 401
    stale = sign(body, timestamp=int(time.time()) - 6 * 60)  # Slack's window is five minutes
    assert (await slack.post(body, "application/json", stale))[0] == 401
    assert (await slack.post(body, "application/json", {}))[0] == 401
    tampered = sign(body)
    assert (await slack.post(body.replace(APPLICANT, "UAPP2"), "application/json", tampered))[0] == 401
    # nothing was handled
    assert slack.api.to("chat.postMessage") == [] and list(slack.bot.store.all_ids()) == []
    # and the genuine request goes through
    assert (await slack.post(body, "application/json", sign(body)))[0] == 200


async def test_a_rate_limited_post_is_delivered_after_retry_after_and_only_once(slack: Slack):
    slack.api.fail("chat.postMessage", status=429, retry_after=7, skip=1)  # the turn's second post
    await slack.dm("こんにちは")
    posted = [p["text"] for p in slack.posts()]
    assert len(posted) == 1 and "申込 → 受付" in posted[0]  # the guidance went out, the question waits
    [waiting] = slack.bot.store.pending_outbox()
    assert waiting["posted"] == 1 and waiting["attempts"] == 1 and waiting["last_error"] == "ratelimited"
    assert waiting["next_at"] == (slack.clock.now() + timedelta(seconds=7)).isoformat()

    slack.clock.advance(seconds=6)
    await slack.delivered()
    assert len(slack.posts()) == 1  # not before Retry-After

    slack.clock.advance(seconds=1)
    await slack.delivered()
    texts = [p["text"] for p in slack.posts()]
    assert len(texts) == 2 and texts[0] == posted[0] and "業種" in texts[1]
    assert [c.status for c in slack.api.calls if c.method == "chat.postMessage"] == [200, 429, 200]
    assert slack.bot.store.pending_outbox() == []


async def test_a_server_error_is_retried_and_an_unknown_channel_fails_for_the_operator(slack: Slack):
    slack.api.fail("chat.postMessage", status=500)
    await slack.dm("こんにちは")
    assert slack.posts() == []
    slack.clock.advance(seconds=2)  # the dispatcher's first backoff
    await slack.delivered()
    assert len(slack.posts()) == 2

    slack.api.fail("chat.postMessage", error="channel_not_found")
    await slack.dm("損害保険会社")
    app_id = slack.questions()[-1]["metadata"]["event_payload"]["application_id"]
    assert [a.id for a in slack.bot.service.applications_of(await slack.channel.people.person(APPLICANT))] == [app_id]
    failed = [m for m in slack.bot.store.outbox(app_id) if m["status"] == "failed"]
    assert [m["last_error"] for m in failed] == ["channel_not_found"]


async def test_a_rate_limited_review_card_is_posted_once_and_later_updated(slack: Slack):
    slack.api.fail("chat.postMessage", status=429, retry_after=30, channel=REVIEW_CHANNEL)
    person = await slack.channel.people.person(APPLICANT)
    await asyncio.to_thread(slack.bot.service.fill, person, dict(FILLED))
    number = (await asyncio.to_thread(slack.bot.service.handle, person, "登録")).acceptance_number
    await slack.delivered()
    assert slack.posts(REVIEW_CHANNEL) == []
    slack.clock.advance(seconds=30)
    await slack.delivered()
    assert len(slack.posts(REVIEW_CHANNEL)) == 1
    assert slack.bot.service.decide(number, decision="reject", actor="cli:operator", reason="テスト").applied
    await slack.delivered()
    [update] = slack.api.to("chat.update", channel=REVIEW_CHANNEL)
    assert update["ts"] == card_ts(slack, number)
    assert "cli:operator" in json.dumps(update["blocks"], ensure_ascii=False)
    assert len(slack.posts(REVIEW_CHANNEL)) == 1


async def test_tokens_and_the_signing_secret_never_reach_the_logs(slack: Slack, caplog):
    caplog.set_level(logging.DEBUG)
    await slack.dm("こんにちは")
    await file_application(slack, user="UAPP2")
    slack.api.fail("chat.postMessage", error="invalid_auth")
    await slack.dm("損害保険会社")
    for secret in (BOT_TOKEN, SIGNING_SECRET):
        assert secret not in caplog.text
    assert repr(slack.bot.config).count("xoxb") == 0
