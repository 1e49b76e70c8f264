"""A DM that Slack was told we received (HTTP 200, a Socket Mode ack) is saved by then."""

from __future__ import annotations

import json

from handlers import bootstrap, server
from store.spool import Spool
from tests.slack.conftest import APPLICANT, DM, Slack, sign, until


async def test_a_dm_is_saved_before_the_200(slack: Slack):
    event_id = await slack.dm("こんにちは", wait=False)  # no waiting: the 200 is back
    [record] = slack.records()
    assert f"slack-event:{event_id}" in record.inbound
    assert not (slack.bot.config.data_dir / "slack_inbox").exists()  # no second copy is written


async def test_forged_dm_is_not_taken(slack: Slack):
    body = slack.event_body({"type": "message", "channel": DM, "channel_type": "im", "user": APPLICANT,
                             "text": "x", "ts": "1.0"})
    status, _ = await slack.post(body, "application/json", {**sign(body, secret="wrong")})
    assert status == 401
    assert slack.bot.service.open_draft(await slack.channel.people.person(APPLICANT)) is None


async def test_a_dm_that_cannot_be_saved_is_not_acknowledged_and_its_retry_is_handled(slack: Slack, monkeypatch):
    real = slack.bot.service.dispatch

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(slack.bot.service, "dispatch", full)
    body = slack.event_body({"type": "message", "channel": DM, "channel_type": "im", "user": APPLICANT,
                             "text": "こんにちは", "ts": "1.0"}, event_id="EvFull1")
    status, _ = await slack.post(body, "application/json")
    assert status == 500  # Slack sends it again
    monkeypatch.setattr(slack.bot.service, "dispatch", real)
    status, _ = await slack.post(body, "application/json", {**sign(body), "X-Slack-Retry-Num": "1"})
    assert status == 200
    await slack.handled("slack-event:EvFull1")


async def test_a_dm_saved_too_slowly_is_retried_by_slack_and_recognised(slack: Slack, monkeypatch):
    import time

    from handlers.slack import channel as slack_channel

    monkeypatch.setattr(slack_channel, "TAKE_WITHIN", 0.2)
    real = slack.bot.service.dispatch

    def slow(*args, **kwargs):
        time.sleep(0.6)
        return real(*args, **kwargs)

    monkeypatch.setattr(slack.bot.service, "dispatch", slow)
    body = slack.event_body({"type": "message", "channel": DM, "channel_type": "im", "user": APPLICANT,
                             "text": "こんにちは", "ts": "1.0"}, event_id="EvSlow1")
    status, _ = await slack.post(body, "application/json")
    assert status == 503  # not acknowledged in time: Slack will send it again
    await slack.handled("slack-event:EvSlow1")  # the turn went on and was saved
    monkeypatch.setattr(slack.bot.service, "dispatch", real)
    status, _ = await slack.post(body, "application/json", {**sign(body), "X-Slack-Retry-Num": "1"})
    assert status == 200
    await slack.delivered()
    assert len(slack.questions()) == 1  # handled once


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


async def test_socket_mode_dm_is_saved_when_its_envelope_is_acknowledged(make_bot, api, monkeypatch):
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
        # acknowledged only once saved: no waiting here
        [record] = slack.records()
        assert "slack-event:EvSock1" in record.inbound
    finally:
        await running.stop()


class _FullDisk:
    """The journal module's ``os`` with a disk that is full: every write fails (ENOSPC)."""

    def __init__(self, real):
        self._real = real

    def write(self, fd, data):
        import errno

        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self._real, name)


async def test_a_dm_whose_write_fails_on_a_full_disk_is_not_acknowledged_and_nothing_is_half_stored(
        slack: Slack, monkeypatch):
    import os as real_os

    from store.tiny import journal

    data_dir = slack.bot.config.data_dir

    def journal_bytes() -> int:
        return sum(p.stat().st_size for p in (data_dir / "journal").glob("*"))

    before = journal_bytes()
    monkeypatch.setattr(journal, "os", _FullDisk(real_os))
    body = slack.event_body({"type": "message", "channel": DM, "channel_type": "im", "user": APPLICANT,
                             "text": "こんにちは", "ts": "1.0"}, event_id="EvNoSpace1")
    status, _ = await slack.post(body, "application/json")
    assert status >= 500  # not a 200: Slack sends it again
    assert journal_bytes() == before  # the failed line was cut back: nothing of it on disk
    person = await slack.channel.people.person(APPLICANT)
    assert slack.bot.service.open_draft(person) is None  # nor in memory
    assert slack.bot.store.pending_outbox() == []  # and no reply queued

    monkeypatch.setattr(journal, "os", real_os)  # space again: Slack's retry is taken once
    status, _ = await slack.post(body, "application/json", {**sign(body), "X-Slack-Retry-Num": "1"})
    assert status == 200
    await slack.handled("slack-event:EvNoSpace1")
    await slack.delivered()
    assert len(slack.questions()) == 1


async def test_a_saved_dm_is_acknowledged_without_bolt_and_answered_once(slack: Slack, monkeypatch):
    dispatched: list[object] = []
    real = slack.channel.app.async_dispatch

    async def counting(request):
        dispatched.append(request)
        return await real(request)

    monkeypatch.setattr(slack.channel.app, "async_dispatch", counting)
    body = slack.event_body({"type": "message", "channel": DM, "channel_type": "im", "user": APPLICANT,
                             "text": "こんにちは", "ts": "1.0"}, event_id="EvAck1")
    status, text = await slack.post(body, "application/json")
    assert status == 200 and text == ""
    assert dispatched == []  # the turn was saved; Bolt would have found nothing left to do
    await slack.handled("slack-event:EvAck1")
    assert "EvAck1" not in slack.channel.applicants.taken  # nothing kept for a Bolt turn that never comes
    await slack.delivered()
    answered = len(slack.posts())
    assert answered >= 1 and slack.questions()
    status, _ = await slack.post(body, "application/json", {**sign(body), "X-Slack-Retry-Num": "1"})
    assert status == 200 and dispatched == []
    await slack.delivered()
    [record] = slack.records()
    assert record.inbound.count("slack-event:EvAck1") == 1 and len(slack.posts()) == answered
