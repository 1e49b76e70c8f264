"""The Slack channel: one Bolt ``AsyncApp`` on the service's loop, over HTTP (``POST
/slack/events`` on the shared aiohttp server, signed requests only) or Socket Mode (when an app
token is set), plus the outbox senders for DMs (``slack``) and the review card (``review``)."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from bot.config import Config
from bot.ports import Store
from bot.service import Service
from handlers.outbox import Sender
from handlers.render import Renderer
from handlers.slack import requests
from handlers.slack.applicants import Applicants, is_dm
from handlers.slack.bolt_logger import without_token_warning
from handlers.slack.client import error_code, quiet_logger, web_client
from handlers.slack.home import HomeTab
from handlers.slack.people import People
from handlers.slack.reviewers import Reviewers
from handlers.slack.senders import ApplicantSender, ReviewSender
from store.spool import Spool

log = logging.getLogger("webnaccs.slack")
EVENTS_PATH = "/slack/events"
TAKE_WITHIN = 2.5  # seconds to save a DM before answering Slack, which wants an answer within 3


class SlackChannel:
    """``handlers.server.Channel`` for Slack. Build it only when ``config.slack_enabled``."""

    name = "slack"

    def __init__(self, *, config: Config, service: Service, renderer: Renderer, store: Store,
                 inbox: Spool | None = None, ping_interval: float = 10.0) -> None:
        self.config = config
        self.service = service
        self.ping_interval = ping_interval
        self.client = web_client(config, retry_in_place=True)  # Bolt's: interactive calls
        outbox_client = web_client(config, retry_in_place=False)  # senders: the outbox retries
        self._clients = (self.client, outbox_client)
        self.app = AsyncApp(client=self.client, signing_secret=config.slack_signing_secret or "",
                            logger=without_token_warning(quiet_logger("webnaccs.slack.bolt")), name="webnaccs-bot")
        self.people = People(self.client)
        self.home = HomeTab(client=self.client, service=service, renderer=renderer,
                            people=self.people, lang=config.lang)
        self.inbox = inbox  # DMs an earlier release wrote before its 200 (replayed, never written)
        self._verifier = SignatureVerifier(config.slack_signing_secret) if config.slack_signing_secret else None
        self.applicants = Applicants(service=service, renderer=renderer, people=self.people,
                                     home=self.home, lang=config.lang, inbox=self.inbox)
        self.applicants.register(self.app)
        self.reviewers = Reviewers(service=service, renderer=renderer, reviewers=config.reviewers,
                                   lang=config.lang, people=self.people)
        self.reviewers.register(self.app)
        self.senders: dict[str, Sender] = {"slack": ApplicantSender(
            client=outbox_client, service=service, renderer=renderer, store=store, home=self.home)}
        if config.review_channel:
            self.senders["review"] = ReviewSender(
                client=outbox_client, service=service, renderer=renderer, store=store,
                channel=config.review_channel, lang=config.lang)
        self.socket_mode: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[Any] | None = None
        self._checking: asyncio.Task[None] | None = None
        self._turns: set[asyncio.Future[None]] = set()

    def routes(self, app: web.Application) -> None:
        if self.config.slack_signing_secret:
            app.router.add_post(EVENTS_PATH, self.handle_http)

    async def handle_http(self, request: web.Request) -> web.Response:
        """Signature, age, size and shape are checked first (401/413/400, nothing parsed
        before the signature holds: handlers.slack.requests); a person's DM is saved, then
        acknowledged, within Slack's 3 s (else Slack is asked to send it again); everything else
        goes to Bolt."""
        signed = await requests.check(request, self._verifier)
        if isinstance(signed, web.Response):
            return signed
        if signed.is_event_callback and _is_dm_callback(signed.data):
            refusal = await self._take(signed.data)
            if refusal is not None:
                return refusal
            # Taken and saved: Bolt's only listener of a DM (``on_message``) would find it taken
            # and do nothing, so its acknowledgment (an empty 200) is given here, and the loop
            # goes on at once with the reply the turn queued.
            self.applicants.taken.pop(str(signed.data.get("event_id")), None)
            return web.Response(status=200)
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _take(self, data: dict[str, Any]) -> web.Response | None:
        """A DM signed by Slack: its turn committed before the 200. If that takes too long, a
        503 makes Slack send it again (the turn goes on, and its event id is recognised)."""
        turn = asyncio.ensure_future(self.applicants.take(data))
        self._turns.add(turn)
        turn.add_done_callback(self._turns.discard)
        try:
            await asyncio.wait_for(asyncio.shield(turn), timeout=TAKE_WITHIN)
        except TimeoutError:
            log.warning("Slack event %s: not saved within %.1fs; Slack will send it again",
                        data.get("event_id"), TAKE_WITHIN)
            return web.Response(status=503)
        except Exception:
            log.exception("Slack event %s could not be saved; Slack will send it again", data.get("event_id"))
            return web.Response(status=500)
        return None

    async def _guarded(self, bolt: Any, client: Any, request: Any) -> None:
        """Socket Mode: Bolt acknowledges the envelope only once a DM's turn is saved; when it
        cannot be saved, no acknowledgment, and Slack sends it again."""
        if request.type == "events_api" and isinstance(request.payload, dict) and _is_dm_callback(request.payload):
            try:
                await self.applicants.take(request.payload)
            except Exception:
                log.exception("Slack event %s could not be saved; not acknowledged",
                              request.payload.get("event_id"))
                return
        await bolt(client, request)

    async def _replay(self) -> None:
        """DMs a previous release wrote to its inbox and acknowledged: handled now (the event id
        is saved with the answer, so one handled already is recognised)."""
        if self.inbox is None:
            return
        for name in await asyncio.to_thread(self.inbox.names):
            try:
                spooled = await asyncio.to_thread(self.inbox.read, name)
                await self.applicants.replay(name, json.loads(spooled.raw))
            except Exception:
                log.exception("replaying Slack message %s failed", name)

    async def start(self) -> None:
        # One connection pool for every Web API call (without it slack_sdk opens a session and
        # a connection per call); made here, on the running loop.
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        for client in self._clients:
            client.session = self._session
        if not self.config.review_channel:
            log.warning("WEBNACCS_REVIEW_CHANNEL is not set: review cards wait in the outbox")
        if not self.config.reviewers:
            log.warning("WEBNACCS_REVIEWERS is empty: nobody can decide from Slack")
        self._checking = asyncio.create_task(self._check_token())
        self._replaying = asyncio.create_task(self._replay())
        self.applicants.replayed = self._replaying
        token = self.config.slack_app_token
        if token:
            self.socket_mode = AsyncSocketModeHandler(self.app, app_token=token, web_client=self.client,
                                                      ping_interval=self.ping_interval)
            # Bolt's listener acknowledges the envelope: it runs once a DM's turn is saved.
            listeners = self.socket_mode.client.socket_mode_request_listeners
            bolt = self.socket_mode.handle
            listeners.remove(bolt)  # type: ignore[arg-type]  # Bolt's own signature, as it added it
            listeners.append(functools.partial(self._guarded, bolt))
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
        await self.applicants.settle()  # saves answered before they were done: told before the pool goes
        await self.reviewers.settle()
        await self.home.settle()

    async def close(self) -> None:
        """After the dispatcher stopped: the connection pool goes."""
        session = getattr(self, "_session", None)
        if session is not None:
            await session.close()
            for client in self._clients:
                client.session = None


def _is_dm_callback(data: dict[str, Any]) -> bool:
    event = data.get("event")
    return data.get("type") == "event_callback" and bool(data.get("event_id")) \
        and isinstance(event, dict) and is_dm(event)
