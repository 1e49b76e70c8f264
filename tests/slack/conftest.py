"""The running service with its Slack channel, driven the way Slack drives it: signed HTTP
requests to ``/slack/events``, and a Web API mock on loopback that records what the app posts."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.application import Application
from bot.config import Config
from bot.service import Person
from handlers import bootstrap, server
from handlers.bootstrap import Bot
from handlers.slack import SlackChannel
from tests import waiting
from tests.fakes import FixedClock, clock_at
from tests.slack.mock_slack import MockSlack, Profile

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-bot-token-4242"
APP_TOKEN = "xapp-test-app-token-4242"
REVIEW_CHANNEL = "CREVIEW"
REVIEWERS = ("UREV1", "UREV2")
APPLICANT = "UAPP1"
DM = "DAPP1"
# Registration dates and deadlines around "today" (2026-11-26 in Japan).
SCHEDULE = """\
2026-12-16, 2026-12-01
2027-01-04, 2026-12-15
2027-01-18, 2026-12-28
2027-02-01, 2027-01-15
2027-02-15, 2027-01-29
"""
WAIT = 20.0  # generous: a wait only ends early, a slow machine never fails a test


async def until(predicate: Callable[[], Any], *, timeout: float = WAIT) -> Any:
    """Poll until ``predicate()`` is truthy; returns its value."""
    return await waiting.until(predicate, timeout=timeout)


def sign(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends: v0 HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class Slack:
    """Plays Slack's part: sends events, commands and interactions to the running app."""

    def __init__(self, running: server.Running, channel: SlackChannel, api: MockSlack) -> None:
        self.running = running
        self.channel = channel
        self.api = api
        self.bot: Bot = running.bot
        self.url = f"http://127.0.0.1:{running.port}/slack/events"
        self._ids = itertools.count(1)

    @property
    def clock(self) -> FixedClock:
        return self.bot.service.clock  # type: ignore[return-value]

    # --- raw requests -----------------------------------------------------------------------

    async def post(self, body: str, content_type: str, headers: dict[str, str] | None = None
                   ) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.post(
                self.url, data=body.encode(), headers={"Content-Type": content_type,
                                                       **(sign(body) if headers is None else headers)}
        ) as response:
            return response.status, await response.text()

    # --- what Slack sends -------------------------------------------------------------------

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        event_id = event_id or f"Ev{next(self._ids):06d}"
        return json.dumps({"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                           "event_id": event_id, "event_time": int(time.time()), "event": event,
                           "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]})

    async def event(self, event: dict[str, Any], *, event_id: str | None = None,
                    headers: dict[str, str] | None = None) -> tuple[int, str]:
        body = self.event_body(event, event_id)
        return await self.post(body, "application/json", None if headers is None else {**sign(body), **headers})

    async def dm(self, text: str, *, user: str = APPLICANT, event_id: str | None = None, wait: bool = True,
                 **extra: Any) -> str:
        """A message in the app's DM; waits until the core has handled it and the outbox is sent."""
        event_id = event_id or f"Ev{next(self._ids):06d}"
        status, _ = await self.event({"type": "message", "channel": DM, "channel_type": "im", "user": user,
                                      "text": text, "ts": f"{time.time():.6f}", **extra}, event_id=event_id)
        assert status == 200
        if wait:
            await self.handled(f"slack-event:{event_id}", user=user)
            await self.delivered()
        return event_id

    async def command(self, text: str = "", *, user: str = APPLICANT) -> tuple[int, str]:
        body = urlencode({"token": "legacy", "team_id": "T1", "channel_id": "CGENERAL", "user_id": user,
                          "command": "/webnaccs", "text": text, "api_app_id": "A1",
                          "response_url": self.api.response_url(), "trigger_id": f"trig.{next(self._ids)}"})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def click(self, action_id: str, value: str, *, user: str = APPLICANT, channel: str = DM,
                    message_ts: str = "1.000001", container: str = "message") -> tuple[int, str]:
        n = next(self._ids)
        payload: dict[str, Any] = {
            "type": "block_actions", "team": {"id": "T1"}, "api_app_id": "A1", "token": "legacy",
            "user": {"id": user, "team_id": "T1"}, "trigger_id": f"trig.{n}",
            "container": {"type": container, "message_ts": message_ts, "channel_id": channel},
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                         "action_ts": f"{time.time():.6f}{n}"}]}
        if container == "message":
            payload["channel"] = {"id": channel}
            payload["message"] = {"ts": message_ts, "text": ""}
        return await self.interact(payload)

    async def submit(self, view: dict[str, Any], values: dict[str, dict[str, Any]], *,
                     user: str = APPLICANT) -> tuple[int, str]:
        """Submit a modal the app opened, with ``values`` as Slack puts them in view.state."""
        payload = {"type": "view_submission", "team": {"id": "T1"}, "api_app_id": "A1", "token": "legacy",
                   "user": {"id": user, "team_id": "T1"}, "trigger_id": f"trig.{next(self._ids)}",
                   "view": {**view, "id": f"V{next(self._ids)}", "state": {"values": values}}}
        return await self.interact(payload)

    # --- waiting ----------------------------------------------------------------------------

    def records(self, user: str = APPLICANT) -> list[Application]:
        """The person's records, oldest first: applications and the one that asked their first
        question before any was stored (state ``contact``)."""
        return self.bot.service.core.applications_of(Person(key=f"slack:{user}", channel="slack"))

    async def handled(self, key: str, *, user: str = APPLICANT) -> None:
        def seen() -> bool:
            return any(key in a.inbound for a in self.records(user))

        await until(seen)

    async def delivered(self) -> None:
        """Every message that is due has left the outbox, and App Home refreshes are done. (A
        message behind one that waits for its retry, to the same recipient, is not due.)"""
        now = self.clock.now()

        def due() -> list[dict[str, Any]]:
            found, waiting = [], set()
            for m in self.bot.store.pending_outbox():
                recipient = (m.get("channel"), m.get("to"))
                if m.get("channel") not in self.channel.senders or recipient in waiting:
                    continue
                if m.get("next_at") and m["next_at"] > now.isoformat():
                    waiting.add(recipient)
                    continue
                found.append(m)
            return found

        self.running.dispatcher.wake()
        await until(lambda: not due())
        await self.channel.home.settle()

    # --- what the app posted ----------------------------------------------------------------

    def posts(self, channel: str = APPLICANT) -> list[dict[str, Any]]:
        return self.api.to("chat.postMessage", channel=channel)

    def questions(self, user: str = APPLICANT) -> list[dict[str, Any]]:
        return [p for p in self.posts(user) if (p.get("metadata") or {}).get("event_type") == "webnaccs_question"]


def button(post: dict[str, Any], action_id: str | None = None, *, typed: str | None = None) -> dict[str, Any]:
    """A button of a posted message, by action id or by the text it sends."""
    for block in post.get("blocks") or []:
        elements = block.get("elements", []) if block.get("type") == "actions" else [block.get("accessory") or {}]
        for element in elements:
            if element.get("type") != "button":
                continue
            if action_id is not None and element.get("action_id") == action_id:
                return element
            if typed is not None and json.loads(element.get("value") or "{}").get("t") == typed:
                return element
    raise AssertionError(f"no such button in {post.get('text')!r}")


@pytest.fixture
async def api() -> AsyncIterator[MockSlack]:
    mock = MockSlack(users={APPLICANT: Profile("山田 太郎", "Taro@Example.co.jp"),
                            "UAPP2": Profile("佐藤 次郎", None),
                            "UREV1": Profile("審査 一郎"), "UREV2": Profile("審査 二郎"),
                            "UOTHER": Profile("部外 者")})
    await mock.start()
    yield mock
    await mock.stop()


@pytest.fixture
def make_bot(tmp_path: Path, api: MockSlack, database_url: str | None) -> Callable[..., Bot]:
    schedule = tmp_path / "schedule.txt"
    schedule.write_text(SCHEDULE, encoding="utf-8")

    def build(**overrides: Any) -> Bot:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data", "schedule": schedule, "http_host": "127.0.0.1", "http_port": 0,
            "review_channel": REVIEW_CHANNEL, "reviewers": REVIEWERS, "lang": "ja",
            "slack_bot_token": BOT_TOKEN, "slack_signing_secret": SIGNING_SECRET, "slack_api_url": api.url,
            "secret": "test-secret-key-for-links-and-vault", "database_url": database_url}
        values.update(overrides)
        return bootstrap.build(Config(**values), clock=clock_at("2026-11-26T10:00"))

    return build


@pytest.fixture
async def slack(make_bot: Callable[..., Bot], api: MockSlack) -> AsyncIterator[Slack]:
    bot = make_bot()
    channel = bootstrap.slack_channel(bot)
    running = await server.start(bot, [channel])
    try:
        yield Slack(running, channel, api)
    finally:
        await running.stop()


FILLED = {
    "industry": "損害保険会社", "company_name": "ABC損害保険株式会社", "office_name": "本店",
    "user_code": "abc12", "netnaccs_terminals": "3", "change_items": "1",
    "desired_start_date": "2027-01-04", "change_reason": "WebNACCSを利用するため端末を追加します。",
    "applicant_name": "山田 太郎", "applicant_department": "業務部",
    "applicant_email": "taro@example.co.jp", "applicant_phone": "03-1234-5678",
    "admin_name": "鈴木 花子", "admin_email": "hanako@example.co.jp", "certificate_count": "2",
    "remarks": "",
}


async def file_application(slack: Slack, *, user: str = APPLICANT) -> str:
    """A filed application from a Slack user (answers given at once), its review card posted."""
    person = await slack.channel.people.person(user)
    await asyncio.to_thread(slack.bot.service.fill, person, dict(FILLED))
    outcome = await asyncio.to_thread(slack.bot.service.handle, person, "登録")
    assert outcome.filed, outcome.replies
    await slack.delivered()
    await until(lambda: slack.api.to("chat.postMessage", channel=REVIEW_CHANNEL))
    return str(outcome.acceptance_number)


def card_ts(slack: Slack, number: str) -> str:
    """Where the review card of a filing was posted (kept in its outbox message)."""
    app = slack.bot.service.find(number)
    cards = [m for m in slack.bot.store.outbox(app.id) if m.get("action") == "request" and m.get("slack_ts")]
    assert cards and cards[-1]["slack_channel"] == REVIEW_CHANNEL
    return str(cards[-1]["slack_ts"])


def held(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> threading.Event:
    """Make ``owner.name`` wait (as a slow lock or save would) until the returned event is set."""
    gate = threading.Event()
    call = getattr(owner, name)

    def slow(*args: Any, **kwargs: Any) -> Any:
        gate.wait(WAIT)
        return call(*args, **kwargs)

    monkeypatch.setattr(owner, name, slow)
    return gate

