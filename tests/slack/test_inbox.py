"""A DM that Slack was told we received (HTTP 200) survives a crash before the core saw it."""

from __future__ import annotations

import json

from handlers import bootstrap, server
from store.spool import Spool
from tests.slack.conftest import APPLICANT, DM, Slack, sign, until


async def test_a_dm_is_on_disk_before_the_200_and_gone_once_handled(slack: Slack):
    puts = []
    real_put = slack.channel.inbox.put
    slack.channel.inbox.put = lambda raw, envelope: puts.append(envelope) or real_put(raw, envelope)
    event_id = await slack.dm("こんにちは")
    assert [p["event_id"] for p in puts] == [event_id]
    await until(lambda: slack.channel.inbox.names() == [])


async def test_forged_dm_is_not_kept(slack: Slack):
    body = slack.event_body({"type": "message", "channel": DM, "channel_type": "im", "user": APPLICANT,
                             "text": "x", "ts": "1.0"})
    status, _ = await slack.post(body, "application/json", {**sign(body, secret="wrong")})
    assert status == 401
    assert slack.channel.inbox.names() == []


async def test_messages_left_by_a_crash_are_handled_at_start_once(make_bot, api):
    bot = make_bot()
    first = await server.start(bot, [bootstrap.slack_channel(bot)])
    await first.stop()
    # As if the process died right after answering Slack 200: the event is only in the inbox.
    event = {"type": "message", "channel": DM, "channel_type": "im", "user": APPLICANT,
             "text": "WebNACCSの申込をお願いします", "ts": "1.0"}
    body = json.dumps({"type": "event_callback", "event_id": "EvCrash1", "event": event})
    Spool(bot.config.data_dir / "slack_inbox").put(body.encode(), {"event_id": "EvCrash1"})
    bot = make_bot()
    channel = bootstrap.slack_channel(bot)
    running = await server.start(bot, [channel])
    try:
        slack = Slack(running, channel, api)
        await slack.handled("slack-event:EvCrash1")
        await until(lambda: channel.inbox.names() == [])
        await slack.delivered()
        assert slack.questions()[-1]["metadata"]["event_payload"]["field"] == "industry"
        # Slack had its 200, so it never redelivers; if it did, it would be recognised:
        await slack.event(event, event_id="EvCrash1")
        await slack.delivered()
        assert len(slack.questions()) == 1
    finally:
        await running.stop()


async def test_an_answer_button_is_saved_before_slack_gets_its_200(slack: Slack, monkeypatch):
    import time

    from tests.slack.conftest import button

    await slack.dm("申込をお願いします")
    industry = button(slack.questions()[-1], typed="1")
    real = slack.bot.service.dispatch

    def slow(*args, **kwargs):  # a busy core: the click takes a while to be saved
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(slack.bot.service, "dispatch", slow)
    status, _ = await slack.click(industry["action_id"], industry["value"])
    assert status == 200
    # No waiting: by the time Slack has its answer, the core has the click.
    app = slack.bot.service.open_draft(await slack.channel.people.person(APPLICANT))
    assert app is not None and app.answers.get("industry") == "non_life"


async def test_socket_mode_dm_is_on_disk_when_its_envelope_is_acknowledged(make_bot, api, monkeypatch):
    import asyncio
    import time

    from tests.slack.conftest import APP_TOKEN, WAIT
    from tests.slack.test_socket_mode import acked

    bot = make_bot(slack_app_token=APP_TOKEN, slack_signing_secret=None)
    real = bot.service.dispatch

    def slow(*args, **kwargs):  # a busy core: the message takes a while to be saved
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(bot.service, "dispatch", slow)
    channel = bootstrap.slack_channel(bot)
    running = await server.start(bot, [channel])
    try:
        await asyncio.wait_for(api.connected.wait(), WAIT)
        slack = Slack(running, channel, api)
        event = json.loads(slack.event_body({"type": "message", "channel": DM, "channel_type": "im",
                                             "user": APPLICANT, "text": "こんにちは", "ts": "1.0"},
                                            event_id="EvSock1"))
        await api.push({"envelope_id": "env-s1", "type": "events_api", "accepts_response_payload": False,
                        "retry_attempt": 0, "retry_reason": "", "payload": event})
        await until(acked(api, "env-s1"))
        assert len(channel.inbox.names()) == 1  # acknowledged, not yet saved: kept on disk
        await slack.handled("slack-event:EvSock1")
        await until(lambda: channel.inbox.names() == [])
    finally:
        await running.stop()
