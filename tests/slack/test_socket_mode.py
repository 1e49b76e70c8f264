"""Socket Mode, in the manner of bolt-python's own tests: apps.connections.open on the Web API
mock hands out a loopback WebSocket URL; the test server pushes envelopes and reads the acks."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from handlers import bootstrap, server
from handlers.bootstrap import Bot
from tests.slack.conftest import APP_TOKEN, APPLICANT, BOT_TOKEN, DM, WAIT, Slack, until
from tests.slack.mock_slack import MockSlack


def acked(api: MockSlack, envelope_id: str) -> Callable[[], dict[str, Any] | None]:
    return lambda: next((m for m in api.socket_messages if m.get("envelope_id") == envelope_id), None)


async def test_socket_mode_receives_events_and_commands_and_acks_them(make_bot: Callable[..., Bot],
                                                                      api: MockSlack, caplog):
    caplog.set_level(logging.DEBUG)
    bot = make_bot(slack_app_token=APP_TOKEN, slack_signing_secret=None)
    channel = bootstrap.slack_channel(bot)
    running = await server.start(bot, [channel])
    try:
        await asyncio.wait_for(api.connected.wait(), WAIT)
        [opened] = [c for c in api.calls if c.method == "apps.connections.open"]
        assert opened.authorization == f"Bearer {APP_TOKEN}"  # the app token, at SLACK_API_URL
        slack = Slack(running, channel, api)

        event = json.loads(slack.event_body({"type": "message", "channel": DM, "channel_type": "im",
                                             "user": APPLICANT, "text": "こんにちは", "ts": "1.0"},
                                            event_id="EvSOCKET"))
        await api.push({"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
                        "retry_attempt": 0, "retry_reason": "", "payload": event})
        await until(acked(api, "env-1"))
        await slack.handled("slack-event:EvSOCKET")
        await slack.delivered()
        assert [q["metadata"]["event_payload"]["field"] for q in slack.questions()] == ["industry"]

        # the same envelope again (Slack retries when an ack is lost): acked, handled once
        await api.push({"envelope_id": "env-1b", "type": "events_api", "accepts_response_payload": False,
                        "retry_attempt": 1, "retry_reason": "timeout", "payload": event})
        await until(acked(api, "env-1b"))

        command = {"token": "legacy", "team_id": "T1", "channel_id": "CGENERAL", "user_id": APPLICANT,
                   "command": "/webnaccs", "text": "help", "api_app_id": "A1",
                   "response_url": api.response_url(), "trigger_id": "trig.socket"}
        await api.push({"envelope_id": "env-2", "type": "slash_commands", "accepts_response_payload": True,
                        "payload": command})
        ack = await until(acked(api, "env-2"))
        assert "/webnaccs status" in ack["payload"]["text"]

        answer = next(b for b in slack.questions()[-1]["blocks"] if b["type"] == "actions")["elements"][0]
        click = {"type": "block_actions", "team": {"id": "T1"}, "api_app_id": "A1",
                 "user": {"id": APPLICANT}, "trigger_id": "trig.2", "channel": {"id": DM},
                 "container": {"type": "message", "channel_id": DM, "message_ts": "1.0"},
                 "message": {"ts": "1.0"},
                 "actions": [{"type": "button", "action_id": answer["action_id"], "value": answer["value"],
                              "action_ts": "9.9"}]}
        await api.push({"envelope_id": "env-3", "type": "interactive", "accepts_response_payload": False,
                        "payload": click})
        await until(acked(api, "env-3"))
        await until(lambda: len(slack.questions()) == 2)
        await slack.delivered()
        assert slack.questions()[-1]["metadata"]["event_payload"]["field"] == "company_name"
        assert len(slack.posts()) == 3  # guidance, industry, company: the retried event did nothing

        # Socket Mode only: no HTTP endpoint without a signing secret
        async with aiohttp.ClientSession() as session, session.post(
                f"http://127.0.0.1:{running.port}/slack/events", data=b"{}") as response:
            assert response.status in (404, 405)
    finally:
        await running.stop()
    assert "A new session" in caplog.text  # the connection was logged ...
    assert APP_TOKEN not in caplog.text and BOT_TOKEN not in caplog.text  # ... without tokens
    # the libraries' payload lines (request bodies, envelopes) stay out even at DEBUG
    assert "Sending a request" not in caplog.text and "Received message" not in caplog.text
