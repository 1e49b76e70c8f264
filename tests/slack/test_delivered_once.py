"""Slack delivery, exactly once in effect (issue 15 item 10): a process that dies between a post
and its record does not post it again after the restart — it finds the post by its outbox id in
the conversation's history (the loopback mock keeps what was posted, as Slack does) and records
it. A first attempt never reads the history."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from handlers import bootstrap, server
from handlers.bootstrap import Bot
from tests.conftest import BOTH
from tests.slack.conftest import APPLICANT, DM, REVIEW_CHANNEL, WAIT, Slack, file_application, until
from tests.slack.mock_slack import MockSlack
from tests.slack.test_documents_in_dm import approve


def outbox_id(post: dict[str, Any]) -> str | None:
    return ((post.get("metadata") or {}).get("event_payload") or {}).get("outbox_id")


def at_slack(api: MockSlack, ref: str | None, channel: str = DM) -> list[dict[str, Any]]:
    """The messages of that outbox message in the conversation, as Slack keeps them."""
    return [m for m in api.history.get(channel, []) if ref and outbox_id(m) == ref]


def parts(api: MockSlack, ref: str | None) -> list[int]:
    return [m["metadata"]["event_payload"]["part"] for m in at_slack(api, ref)]


def found_count() -> float:
    from handlers import metrics

    return metrics.REGISTRY.get_sample_value("webnaccs_outbox_deliveries_total",
                                             {"channel": "slack", "outcome": "found"}) or 0.0


def lookups(api: MockSlack) -> list[dict[str, Any]]:
    return api.to("conversations.history") + api.to("conversations.open")


Chosen = Callable[[dict[str, Any], str, dict[str, Any]], bool]


class DiesBeforeMark:
    """The store's mark_outbox, except that the chosen mark never happens: the process "dies"
    there (the call waits until the service is being stopped, then fails), so what was posted
    is at Slack and the outbox does not say so — what a SIGKILL at that moment leaves behind."""

    def __init__(self, bot: Bot, chosen: Chosen) -> None:
        self.store = bot.store
        self.real = bot.store.mark_outbox
        self.chosen = chosen
        self.reached = threading.Event()
        self.dead = threading.Event()
        self.ref: str | None = None
        bot.store.mark_outbox = self  # type: ignore[method-assign]

    def __call__(self, app_id: str, message_id: str, status: str, **info: Any) -> None:
        if self.ref is None:
            message = next((m for m in self.store.outbox(app_id) if m.get("id") == message_id), {})
            if self.chosen(message, status, info):
                self.ref = f"{app_id}/{message_id}"
                self.reached.set()
                self.dead.wait(WAIT)
                raise RuntimeError("killed before the mark")
        self.real(app_id, message_id, status, **info)

    async def wait(self) -> str:
        assert await asyncio.to_thread(self.reached.wait, WAIT)
        assert self.ref is not None
        return self.ref


@asynccontextmanager
async def serving(make_bot: Callable[..., Bot], api: MockSlack, dies: Chosen | None = None
                  ) -> AsyncIterator[tuple[Slack, DiesBeforeMark | None]]:
    bot = make_bot()
    api.now = lambda: bot.service.clock.now().timestamp()  # Slack's ts: the time of the post
    dying = DiesBeforeMark(bot, dies) if dies else None
    channel = bootstrap.slack_channel(bot)
    running = await server.start(bot, [channel])
    try:
        yield Slack(running, channel, api), dying
    finally:
        running.stop_event.set()  # first: the dying call must not be followed by another pass
        if dying:
            dying.dead.set()
        await running.stop()
        if not bot.config.database_url:
            bot.store.close()
        elif dying:  # the dead replica's lease runs out (120 s) at once
            with bot.store._conn() as (conn, _):  # type: ignore[attr-defined]
                conn.execute("UPDATE outbox SET lease_until = now() - interval '1 second' "
                             "WHERE lease_owner IS NOT NULL")


def sent_reply(message: dict[str, Any], status: str, info: dict[str, Any]) -> bool:
    return message.get("kind") == "reply" and status == "sent"


def record(slack: Slack, ref: str) -> dict[str, Any]:
    app_id, message_id = ref.split("/")
    [message] = [m for m in slack.bot.store.outbox(app_id) if m["id"] == message_id]
    return message


@BOTH
async def test_replies_posted_before_a_death_are_not_posted_again_after_the_restart(make_bot, api):
    async with serving(make_bot, api, dies=sent_reply) as (slack, dying):
        assert dying
        await slack.dm("WebNACCSの申込をしたいです", wait=False)
        ref = await dying.wait()
        assert len(api.history[DM]) == 2  # the guidance and the first question are in the DM
        assert lookups(api) == []  # a first attempt does not look

    before = found_count()
    async with serving(make_bot, api) as (slack, _):
        await slack.delivered()
        message = record(slack, ref)
    assert len(api.history[DM]) == 2 and len(slack.questions()) == 1  # nothing posted again
    assert parts(api, ref) == [0, 1]  # each post carries its outbox id and part
    assert message["status"] == "sent" and message.get("found") is True
    assert found_count() == before + 1  # /metrics: outcome="found"
    [looked] = api.to("conversations.history")
    assert looked["channel"] == DM and str(looked["include_all_metadata"]).lower() in ("1", "true")
    assert float(looked["oldest"]) <= float(at_slack(api, ref)[0]["ts"])


async def test_a_first_attempt_never_reads_the_history(slack: Slack):
    await file_application(slack)
    await slack.dm("状況")
    assert slack.posts(REVIEW_CHANNEL) and slack.posts(APPLICANT)
    assert lookups(slack.api) == []
    refs = [(outbox_id(p), p["metadata"]["event_payload"].get("part"))
            for c in (APPLICANT, REVIEW_CHANNEL) for p in slack.posts(c)]
    assert all(r for r, _ in refs) and len(set(refs)) == len(refs)  # each post says which one it is


async def test_a_5xx_after_the_post_is_not_followed_by_the_same_post(make_bot, api):
    async with serving(make_bot, api) as (slack, _):
        api.fail("chat.postMessage", status=503, skip=1, carried_out=True)  # the question is posted, then 503
        await slack.dm("WebNACCSの申込をしたいです", wait=False)
        await until(lambda: [c for c in api.calls if c.status == 503])
        [app] = slack.records()
        ref = f"{app.id}/reply-0"
        await until(lambda: record(slack, ref).get("attempts"))  # the retry's mark
        slack.clock.advance(seconds=60)
        await slack.delivered()
        assert record(slack, ref)["status"] == "sent"
    assert len(api.history[DM]) == 2  # the question once
    assert parts(api, ref) == [0, 1]
    assert api.to("conversations.history")  # the retry looked first


async def test_a_review_card_posted_before_a_death_is_recorded_not_posted_again(make_bot, api):
    def card(message: dict[str, Any], status: str, info: dict[str, Any]) -> bool:
        return message.get("kind") == "review" and status == "sent"

    async with serving(make_bot, api, dies=card) as (slack, dying):
        assert dying
        filing = asyncio.ensure_future(file_application(slack))
        ref = await dying.wait()
        filing.cancel()
        [posted] = api.history[REVIEW_CHANNEL]

    async with serving(make_bot, api) as (slack, _):
        await slack.delivered()
        message = record(slack, ref)
        assert message["status"] == "sent" and message["slack_channel"] == REVIEW_CHANNEL
        assert message["slack_ts"] == posted["ts"]  # decisions update that card
    assert len(api.history[REVIEW_CHANNEL]) == 1
    assert outbox_id(posted) == ref
    assert api.to("conversations.history", channel=REVIEW_CHANNEL)


def confirmation_to_dm(message: dict[str, Any]) -> bool:
    return message.get("notice") == "confirmation" and message.get("channel") == "slack"


def before_upload(message: dict[str, Any], status: str, info: dict[str, Any]) -> bool:
    return confirmation_to_dm(message) and info.get("posted") == 1


def after_upload(message: dict[str, Any], status: str, info: dict[str, Any]) -> bool:
    return confirmation_to_dm(message) and status == "sent"


@pytest.mark.parametrize("dies", [before_upload, after_upload], ids=["died-before-the-upload",
                                                                     "died-after-the-upload"])
async def test_a_notice_with_its_pdf_is_neither_posted_nor_uploaded_twice(make_bot, api, dies):
    async with serving(make_bot, api, dies=dies) as (slack, dying):
        assert dying
        number = await file_application(slack)
        approving = asyncio.ensure_future(approve(slack, number))
        ref = await dying.wait()
        approving.cancel()
    assert len(api.files(DM)) == (1 if dies is after_upload else 0)

    async with serving(make_bot, api) as (slack, _):
        await slack.delivered()
        assert record(slack, ref)["status"] == "sent"
    assert len([m for m in api.history[DM] if (m.get("metadata") or {}).get("event_payload", {})
                .get("notice") == "confirmation"]) == 1  # the notice once
    assert [f.filename for f in api.files(DM)] == [f"{number}-application-form.pdf"]  # the PDF once
    assert len(at_slack(api, ref)) == 1


@pytest.mark.parametrize(("status", "error"), [(200, "missing_scope"), (429, "ratelimited")])
async def test_a_history_that_cannot_be_read_means_posting_again_with_one_warning(make_bot, api, caplog,
                                                                                   status, error):
    async with serving(make_bot, api, dies=sent_reply) as (slack, dying):
        assert dying
        await slack.dm("WebNACCSの申込をしたいです", wait=False)
        ref = await dying.wait()
    api.fail("conversations.history", status=status, error=error)
    with caplog.at_level(logging.WARNING, logger="webnaccs"):
        async with serving(make_bot, api) as (slack, _):
            await slack.delivered()
    assert len(api.history[DM]) == 4  # at least once: posted again
    assert parts(api, ref) == [0, 1, 0, 1]
    said = [r for r in caplog.records if r.name == "webnaccs.slack.outbox" and "history" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING and error in said[0].getMessage()
    if error == "missing_scope":
        assert "im:history" in said[0].getMessage()


def test_the_manifest_asks_for_the_history_of_the_dm_and_the_review_channel():
    manifest = json.loads((Path(__file__).resolve().parents[2] / "manifest.json").read_text(encoding="utf-8"))
    assert {"im:history", "im:write", "channels:history", "groups:history"} <= set(
        manifest["oauth_config"]["scopes"]["bot"])


async def test_a_connection_lost_after_the_post_is_not_followed_by_the_same_post(make_bot, api):
    async with serving(make_bot, api) as (slack, _):
        api.fail("chat.postMessage", drop=True)  # posted, then the connection is gone
        await slack.dm("WebNACCSの申込をしたいです", wait=False)
        await until(lambda: [c for c in api.calls if c.method == "chat.postMessage" and c.status == 0])
        [app] = slack.records()
        ref = f"{app.id}/reply-0"
        await until(lambda: record(slack, ref).get("attempts"))
        unsure = record(slack, ref).get("maybe_sent")
        slack.clock.advance(seconds=60)
        await slack.delivered()
    assert len(api.history[DM]) == 2  # the guidance once (no retry in place), then the question
    assert parts(api, ref) == [0, 1]
    assert unsure is True  # kept with the retry's mark


async def test_a_reply_in_a_thread_posted_before_a_death_is_found_in_that_thread(make_bot, api):
    def in_thread(message: dict[str, Any], status: str, info: dict[str, Any]) -> bool:
        return message.get("kind") == "reply" and bool(message.get("thread")) and status == "sent"

    async with serving(make_bot, api, dies=in_thread) as (slack, dying):
        assert dying
        await slack.dm("WebNACCSの申込をしたいです")
        await slack.dm("損害保険会社", thread_ts="1700000000.000200", wait=False)
        ref = await dying.wait()
    threaded = [m for m in api.history[DM] if m.get("thread_ts") == "1700000000.000200"]
    assert threaded

    async with serving(make_bot, api) as (slack, _):
        await slack.delivered()
        assert record(slack, ref)["status"] == "sent"
    assert [m for m in api.history[DM] if m.get("thread_ts") == "1700000000.000200"] == threaded  # not again
    assert [m["metadata"]["event_payload"]["outbox_id"] for m in threaded] == [ref] * len(threaded)
    [looked] = api.to("conversations.replies")
    assert looked["ts"] == "1700000000.000200" and looked["channel"] == DM


async def test_a_busy_channel_is_read_page_by_page_up_to_a_bound(api, caplog):
    from slack_sdk.web.async_client import AsyncWebClient

    from handlers.slack import history

    client = AsyncWebClient(token="xoxb-test", base_url=api.url)
    queued = 1795654800.0  # 2026-11-26 10:00 JST
    message = {"app_id": "a1", "id": "review-request-1", "created_at": "2026-11-26T10:00:00+09:00"}
    ours = {"ts": f"{queued + 1:.6f}", "metadata": {"event_type": "webnaccs_review",
                                                     "event_payload": {"outbox_id": "a1/review-request-1"}}}
    later = [{"ts": f"{queued + 2 + i:.6f}", "text": "another card"} for i in range(300)]
    api.history[REVIEW_CHANNEL] = [ours, *later]
    seen = await history.find(client, message, channel=REVIEW_CHANNEL)
    assert seen is not None and seen.parts == {0: ours["ts"]}
    assert [c["limit"] for c in api.to("conversations.history")] == ["20", "200", "200"]

    api.history[REVIEW_CHANNEL] = [ours, *[{"ts": f"{queued + 2 + i:.6f}"} for i in range(2000)]]
    with caplog.at_level(logging.WARNING, logger="webnaccs"):
        assert await history.find(client, message, channel=REVIEW_CHANNEL) is None  # more than it reads
    assert "more than 1820 messages" in caplog.text
