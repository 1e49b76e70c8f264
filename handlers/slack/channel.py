"""The Slack channel: one Bolt ``AsyncApp`` on the service's loop, over HTTP (``POST
/slack/events`` on the shared aiohttp server, signed requests only) or Socket Mode (when an app
token is set), plus the outbox senders for DMs (``slack``) and the review card (``review``)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from bot.bootstrap import Bot
from handlers import intake
from handlers.outbox import Sender
from handlers.slack import requests
from handlers.slack.applicants import Applicants, is_dm
from handlers.slack.client import error_code, quiet_logger, web_client
from handlers.slack.home import HomeTab
from handlers.slack.people import People
from handlers.slack.reviewers import Reviewers
from handlers.slack.senders import ApplicantSender, ReviewSender
from store.spool import Spool

log = logging.getLogger("webnaccs.slack")
EVENTS_PATH = "/slack/events"


class SlackChannel:
    """``handlers.server.Channel`` for Slack. Build it only when ``config.slack_enabled``."""

    name = "slack"

    def __init__(self, bot: Bot, *, ping_interval: float = 10.0) -> None:
        config = bot.config
        self.bot = bot
        self.ping_interval = ping_interval
        self.client = web_client(config, retry_in_place=True)  # Bolt's: interactive calls
        outbox_client = web_client(config, retry_in_place=False)  # senders: the outbox retries
        self.app = AsyncApp(client=self.client, signing_secret=config.slack_signing_secret or "",
                            logger=quiet_logger("webnaccs.slack.bolt"), name="webnaccs-bot")
        self.people = People(self.client)
        self.home = HomeTab(client=self.client, service=bot.service, renderer=bot.renderer,
                            people=self.people, lang=config.lang)
        # Messages are written here before Slack gets its 200, removed once the core has them.
        self.inbox = Spool(config.data_dir / "slack_inbox")
        self._verifier = SignatureVerifier(config.slack_signing_secret) if config.slack_signing_secret else None
        self.applicants = Applicants(service=bot.service, renderer=bot.renderer, people=self.people,
                                     home=self.home, lang=config.lang, inbox=self.inbox)
        self.applicants.register(self.app)
        Reviewers(service=bot.service, renderer=bot.renderer, reviewers=config.reviewers,
                  lang=config.lang).register(self.app)
        self.senders: dict[str, Sender] = {"slack": ApplicantSender(
            client=outbox_client, service=bot.service, renderer=bot.renderer, store=bot.store,
            home=self.home)}
        if config.review_channel:
            self.senders["review"] = ReviewSender(
                client=outbox_client, service=bot.service, renderer=bot.renderer, store=bot.store,
                channel=config.review_channel, lang=config.lang)
        self.socket_mode: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[Any] | None = None
        self._checking: asyncio.Task[None] | None = None

    def routes(self, app: web.Application) -> None:
        if self.bot.config.slack_signing_secret:
            app.router.add_post(EVENTS_PATH, self.handle_http)

    async def handle_http(self, request: web.Request) -> web.Response:
        """Signature, age, size and shape are checked first (401/413/400, nothing parsed
        before the signature holds: handlers.slack.requests); Bolt acks within Slack's 3 s and
        runs the slow part after the response."""
        signed = await requests.check(request, self._verifier)
        if isinstance(signed, web.Response):
            return signed
        if signed.is_event_callback:
            await self._keep_event(signed.data)  # a DM from a person: on disk before the 200
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _keep_socket_envelope(self, client: Any, request: Any) -> None:
        """Socket Mode: runs before Bolt's listener, which acknowledges the envelope."""
        if request.type == "events_api" and isinstance(request.payload, dict):
            await self._keep_event(request.payload)

    async def _keep_event(self, data: dict[str, Any]) -> None:
        event = data.get("event") or {}
        if not (data.get("type") == "event_callback" and data.get("event_id") and is_dm(event)):
            return
        raw = json.dumps(data, ensure_ascii=False).encode()
        name = await intake.run(self.inbox.put, raw, {"event_id": data["event_id"]})
        self.applicants.spooled[data["event_id"]] = name

    async def _replay(self) -> None:
        """Messages acknowledged before a crash that the core never got: handle them now (the
        event id is saved with the answer, so one handled already is recognised)."""
        for name in await asyncio.to_thread(self.inbox.names):
            try:
                spooled = await asyncio.to_thread(self.inbox.read, name)
                data = json.loads(spooled.raw)
                self.applicants.spooled[data["event_id"]] = name
                await self.applicants.on_message(data, data["event"], {})
            except Exception:
                log.exception("replaying Slack message %s failed", name)

    async def start(self) -> None:
        if not self.bot.config.review_channel:
            log.warning("WEBNACCS_REVIEW_CHANNEL is not set: review cards wait in the outbox")
        if not self.bot.config.reviewers:
            log.warning("WEBNACCS_REVIEWERS is empty: nobody can decide from Slack")
        self._checking = asyncio.create_task(self._check_token())
        self._replaying = asyncio.create_task(self._replay())
        self.applicants.replayed = self._replaying
        token = self.bot.config.slack_app_token
        if token:
            self.socket_mode = AsyncSocketModeHandler(self.app, app_token=token, web_client=self.client,
                                                      ping_interval=self.ping_interval)
            # Our listener first: a DM is on disk before Bolt acknowledges its envelope.
            self.socket_mode.client.socket_mode_request_listeners.insert(0, self._keep_socket_envelope)
            # connect() retries until Slack answers; the rest of the service need not wait.
            self._connecting = asyncio.create_task(self.socket_mode.connect_async())

    async def _check_token(self) -> None:
        """Say early, in the log, whether the bot token works (never the token itself)."""
        try:
            who = await self.client.auth_test()
            log.info("Slack: connected as %s in %s", who.get("user"), who.get("team"))
        except Exception as e:
            log.error("Slack: the bot token was not accepted (%s); check SLACK_BOT_TOKEN",
                      error_code(e) if isinstance(e, SlackApiError) else type(e).__name__)

    async def stop(self) -> None:
        if self._checking is not None and not self._checking.done():
            self._checking.cancel()
        if self.socket_mode is not None:
            await self.socket_mode.close_async()
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        await self.home.settle()
