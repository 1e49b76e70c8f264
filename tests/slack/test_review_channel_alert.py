"""A review channel the bot cannot post in (issue 15.11): an operator alert — one ERROR line,
``webnaccs_operator_alert`` in /metrics, the reason in ``outbox`` — and the card stays pending,
so it goes out once the operator has fixed the channel."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from handlers.outbox_cli import render_list, rows
from handlers.slack.senders import CHANNEL_DELAY
from tests.slack.conftest import FILLED, REVIEW_CHANNEL, Slack, until


async def file_without_waiting_for_the_card(slack: Slack) -> str:
    person = await slack.channel.people.person("UAPP1")
    await asyncio.to_thread(slack.bot.service.fill, person, dict(FILLED))
    outcome = await asyncio.to_thread(slack.bot.service.handle, person, "登録")
    assert outcome.filed
    return str(outcome.acceptance_number)


def cards(slack: Slack) -> list[dict]:
    return [m for m in slack.bot.store.pending_outbox() if m.get("channel") == "review"]


async def metrics_text(slack: Slack) -> str:
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{slack.running.port}/metrics") as response:
        return await response.text()


@pytest.mark.parametrize("error", ["not_in_channel", "is_archived", "channel_not_found"])
async def test_a_review_channel_the_bot_cannot_post_in_alerts_and_keeps_the_card(
        slack: Slack, caplog: pytest.LogCaptureFixture, error: str):
    caplog.set_level(logging.INFO)
    for _ in range(2):
        slack.api.fail("chat.postMessage", error=error, channel=REVIEW_CHANNEL)
    number = await file_without_waiting_for_the_card(slack)
    await until(lambda: cards(slack) and cards(slack)[0].get("attempts"))
    [card] = cards(slack)
    assert card["status"] == "pending" and card["last_error"] == error  # not failed: retried after the fix
    alerts = [r for r in caplog.records if r.levelno == logging.ERROR and REVIEW_CHANNEL in r.getMessage()]
    assert len(alerts) == 1 and error in alerts[0].getMessage() and "/invite" in alerts[0].getMessage()
    assert f'webnaccs_operator_alert{{alert="slack_review_channel",reason="{error}"}} 1.0' in await metrics_text(slack)
    [row] = [r for r in rows(slack.bot.store) if r.channel == "review"]
    assert row.status == "pending" and row.last_error == error and row.acceptance_number == number
    assert "招待" in render_list(slack.bot.renderer, "ja", slack.bot.store)

    slack.clock.advance(seconds=CHANNEL_DELAY)  # still not fixed: tried again, no second ERROR line
    slack.running.dispatcher.wake()
    await until(lambda: cards(slack)[0].get("attempts") == 2)
    assert len([r for r in caplog.records if r.levelno == logging.ERROR and REVIEW_CHANNEL in r.getMessage()]) == 1

    slack.clock.advance(seconds=CHANNEL_DELAY)  # the operator invited the bot
    await slack.delivered()
    posted = await until(lambda: slack.api.to("chat.postMessage", channel=REVIEW_CHANNEL))
    assert len(posted) == 1 and posted[0]["metadata"]["event_payload"]["acceptance_number"] == number
    assert cards(slack) == []
    assert 'alert="slack_review_channel"' not in await metrics_text(slack)
    assert "works again" in caplog.text
