"""Outbox senders for Slack: a turn's replies and the notices to a person's DM (``slack``),
and the review card in the review channel (``review``).

Errors are reported to the dispatcher (``Retry`` after Retry-After, ``Permanent``), never
retried in place, so a retried message is never posted twice: replies already posted are
counted in the message (``posted``), and a card already posted is remembered by its ts.

A review channel the bot cannot post in (``not_in_channel``, ``is_archived``,
``channel_not_found``) is an operator alert, not a failed message: one ERROR line when it starts,
``webnaccs_operator_alert`` in /metrics while it lasts, and the card stays pending (``outbox``
shows the reason) and is tried again every CHANNEL_DELAY seconds, so it goes out after the fix.

A notice that carries a PDF (the application form with the confirmation, the approval notice
with the start-date reminder, as by mail) is posted, then the file is uploaded to the same DM
(files_upload_v2: the DM's channel id, which the post answered with). The post is recorded in
the message (``posted``, ``slack_channel``) before the upload, so a retried upload never posts
the notice again.

Exactly once, in effect: every post carries its outbox reference in its metadata, and a message
the dispatcher marks ``MAYBE_SENT`` (an earlier attempt may have posted it: a kill before the
mark, a 5xx) is first looked for in the conversation (``handlers.slack.history``): replies found
are not posted again, a notice or a card found is recorded with its ts (``FOUND``), and a PDF
already shared after its notice is not uploaded again. A first attempt never looks.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any, TypeVar

from jinja2 import TemplateError
from slack_sdk.errors import SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.conversation import Reply
from bot.ports import Store
from bot.service import Service
from handlers import documents, metrics
from handlers.outbox import FOUND, MAYBE_SENT, Permanent, Retry
from handlers.render import Renderer
from handlers.slack import history, limits, review_views
from handlers.slack.client import failure
from handlers.slack.home import HomeTab
from handlers.slack.messages import reply_message
from handlers.slack.mrkdwn import escape, escape_all, neutral_all, sections, short

log = logging.getLogger("webnaccs.slack.outbox")
READY_KEPT = 64  # replies rendered ahead and not yet sent (each is taken by its send)
# Replies that come with a change the App Home shows (a new draft, a filing, an ending); the
# other turns change only answers, which the home does not list.
HOME_CHANGES = frozenset({"guidance", "filed", "cancelled", "ineligible", "withdrawn", "resumed"})
T = TypeVar("T")
NOTICE_EVENT = "webnaccs_notice"
GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
NEEDS_SCOPE = frozenset({"missing_scope", "no_permission"})
CHANNEL_PROBLEMS = frozenset({"not_in_channel", "is_archived", "channel_not_found"})
CHANNEL_DELAY = 60.0  # seconds between tries while the review channel needs the operator
REVIEW_ALERT = "slack_review_channel"


async def _call(call: Awaitable[T]) -> T:
    try:
        return await call
    except (Retry, Permanent):
        raise
    except Exception as e:
        raise failure(e) from e


class ApplicantSender:
    """channel ``slack``: DMs to a person (chat.postMessage to the user id opens the DM)."""

    def __init__(self, *, client: AsyncWebClient, service: Service, renderer: Renderer,
                 store: Store, home: HomeTab) -> None:
        self.client = client
        self.service = service
        self.renderer = renderer
        self.store = store
        self.home = home
        self._ready: OrderedDict[tuple[str, str], list[dict[str, Any]]] = OrderedDict()  # rendered ahead

    def prepare(self, message: dict[str, Any]) -> None:
        """On the loop, while the turn's thread waits for the disk: the posts of a reply rendered."""
        if message.get("kind") == "reply":
            self._ready[(str(message["app_id"]), str(message["id"]))] = self._rendered(message)
            while len(self._ready) > READY_KEPT:
                self._ready.popitem(last=False)

    def _rendered(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        return [reply_message(Reply(**r), lang=message.get("lang", "ja"), app_id=message["app_id"],
                              named=message.get("application_id"), renderer=self.renderer)
                for r in message.get("replies") or []]

    async def send(self, message: dict[str, Any]) -> None:
        if message.get("kind") == "reply":
            await self._replies(message)
        elif message.get("kind") == "notice":
            await self._notice(message)
        else:
            raise Permanent(f"unknown message kind {message.get('kind')!r}")
        if message.get("kind") == "notice" or {r.get("kind") for r in message.get("replies") or []} & HOME_CHANGES:
            self.home.refresh_later(message["to"])

    async def _replies(self, message: dict[str, Any]) -> None:
        replies = [Reply(**r) for r in message.get("replies") or []]
        posts = self._ready.pop((str(message["app_id"]), str(message["id"])), None) or self._rendered(message)
        done = int(message.get("posted", 0))
        if message.get(MAYBE_SENT) and (seen := await history.find(self.client, message)) is not None and seen.parts:
            done = max(done, max(seen.parts) + 1)
            if done >= len(replies):
                message[FOUND] = True
                return
            log.info("outbox %s: %d of %d replies were posted before; posting the rest",
                     history.ref(message), done, len(replies))
        thread = {"thread_ts": message["thread"]} if message.get("thread") else {}  # where the person wrote
        for index in range(done, len(replies)):
            payload = {**posts[index], **thread}
            payload["metadata"] = history.stamped(payload.get("metadata"), message, index)
            try:
                await _call(self.client.chat_postMessage(channel=message["to"], **payload))
            except (Retry, Permanent):
                if index > done:  # what went out stays out: the retry continues from here
                    await asyncio.to_thread(self.store.mark_outbox, message["app_id"], message["id"],
                                            "pending", posted=index)
                raise

    async def _notice(self, message: dict[str, Any]) -> None:
        lang = message.get("lang", "ja")
        channel, ts = message.get("slack_channel"), message.get("slack_ts")
        kind = documents.kind_for(message)
        seen = await history.find(self.client, message) if message.get(MAYBE_SENT) else None
        if not message.get("posted"):  # else posted before an upload that failed
            if seen is not None and 0 in seen.parts:  # posted by an attempt that was not recorded
                channel, ts = seen.channel, seen.parts[0]
                if kind is None:
                    message[FOUND] = True
                    return
            else:
                channel, ts = await self._post_notice(message, lang)
                seen = None  # just posted: its file cannot be there yet
                if kind is None:
                    return
            await asyncio.to_thread(self.store.mark_outbox, message["app_id"], message["id"], "pending",
                                    posted=1, slack_channel=channel, slack_ts=ts)
        number = str(message.get("acceptance_number") or "")
        if seen is not None and kind and number and seen.file_after(
                documents.file_name(number, kind), ts or seen.parts.get(0)):
            message[FOUND] = True  # uploaded by an attempt that was not recorded
            return
        await self._upload(message, lang, str(channel or ""))

    async def _post_notice(self, message: dict[str, Any], lang: str) -> tuple[str, str]:
        """Post the notice's text; returns the DM's channel id and the post's ts."""
        params = dict(message.get("params") or {})
        try:
            if message["notice"] == "id_notification":
                preview, text = await self._id_notice(message, lang, params)
            else:
                name = f"notices/{message['notice']}.j2"
                params = neutral_all(params)  # names, reasons: they cannot format the notice
                subject = self.renderer.block(name, "subject", lang, role=message.get("role"), **params)
                body = self.renderer.block(name, "body", lang, role=message.get("role"), **params)
                if not body:
                    raise Permanent(f"no text for notice {message['notice']!r}")
                preview = escape(subject)
                text = f"*{escape(subject)}*\n\n{escape(body)}" if subject else escape(body)
        except TemplateError as e:  # no text for this notice: the operator sees it failed
            raise Permanent(f"notice {message['notice']!r} cannot be rendered: {type(e).__name__}") from e
        metadata = history.stamped({"event_type": NOTICE_EVENT, "event_payload": {
            "notice": message["notice"], "acceptance_number": message.get("acceptance_number")}}, message)
        posted = await _call(self.client.chat_postMessage(channel=message["to"], text=short(preview or text),
                                                          blocks=sections(text)[:limits.MESSAGE_BLOCKS],
                                                          metadata=metadata))
        return str(posted.get("channel") or ""), str(posted.get("ts") or "")

    async def _upload(self, message: dict[str, Any], lang: str, channel: str) -> None:
        """The notice's PDF into the DM (files.completeUploadExternal takes a channel id only)."""
        kind = documents.kind_for(message)
        app = await asyncio.to_thread(self.service.load, message["app_id"]) if kind else None
        if kind is None or app is None or not app.acceptance_number:
            return
        if not channel:
            raise Permanent("no DM channel to upload the document to")
        try:
            pdf = await asyncio.to_thread(documents.make, kind, app, self.renderer, self.service.today(), lang)
        except documents.NotYetAvailable:  # the approval notice exists from the start date on
            return
        title = self.renderer.block("documents.j2", f"{kind}_title", lang)
        try:
            await self.client.files_upload_v2(channel=channel, file=pdf, title=f"{title} {app.acceptance_number}",
                                              filename=documents.file_name(app.acceptance_number, kind))
        except SlackRequestError as e:  # the upload URL did not take the bytes: try again later
            raise Retry("file_upload_failed") from e
        except Exception as e:
            problem = failure(e)
            if isinstance(problem, Retry) and str(problem) in NEEDS_SCOPE:
                # Only uploads need files:write: the applicant's later DMs must not wait for a
                # reinstall. Failed, with the post recorded: a retry of the message only uploads.
                log.error("uploading %s to Slack failed (%s): add files:write to the app, reinstall it, "
                          "then run: webnaccs-bot outbox retry %s/%s", documents.file_name(app.acceptance_number, kind),
                          problem, message["app_id"], message["id"])
                raise Permanent(str(problem)) from e
            raise problem from e

    async def _id_notice(self, message: dict[str, Any], lang: str, params: dict[str, Any]) -> tuple[str, str]:
        """The codes are read from the vault only now, and go only into this DM's blocks (the
        notification preview is the subject: the acceptance number, nothing secret)."""
        app = await asyncio.to_thread(self.service.load, message["app_id"])
        codes = await asyncio.to_thread(self.service.id_codes, app) if app else []
        if not codes:
            raise Permanent("no ID codes to send")
        name = "notices/id_notification.j2"
        values = {**escape_all(params), "codes": escape_all(codes), "role": message.get("role")}
        subject = self.renderer.block(name, "subject", lang, **values)
        return subject, f"*{subject}*\n\n{self.renderer.block(name, 'dm', lang, **values)}"


class ReviewSender:
    """channel ``review``: the card per filing in WEBNACCS_REVIEW_CHANNEL, updated (chat.update)
    when it is decided or withdrawn."""

    def __init__(self, *, client: AsyncWebClient, service: Service, renderer: Renderer,
                 store: Store, channel: str, lang: str) -> None:
        self.client = client
        self.service = service
        self.renderer = renderer
        self.store = store
        self.channel = channel
        self.lang = lang
        self.problem: str | None = None  # why the bot cannot post in the channel, while it cannot

    async def send(self, message: dict[str, Any]) -> None:
        app = await asyncio.to_thread(self.service.find, message.get("acceptance_number") or "")
        if app is None:
            raise Permanent("no application with that acceptance number")
        if message.get("action") == "request":
            if message.get("slack_ts"):
                return  # posted before a crash or a failed mark: never twice
            payload = review_views.card(app, lang=self.lang, renderer=self.renderer)
            if (found := await self._found(message)) is not None:
                await asyncio.to_thread(self.store.mark_outbox, message["app_id"], message["id"], "sent",
                                        slack_channel=self.channel, slack_ts=found)
                return
            payload["metadata"] = history.stamped(payload.get("metadata"), message)
            posted = await self._post(payload)
            await asyncio.to_thread(self.store.mark_outbox, message["app_id"], message["id"], "sent",
                                    slack_channel=posted["channel"], slack_ts=posted["ts"])
            return
        payload = review_views.card(app, lang=self.lang, renderer=self.renderer, outcome=message)
        target = await asyncio.to_thread(self._card_of, message["app_id"])
        if target is not None:
            try:
                await _call(self.client.chat_update(channel=target[0], ts=target[1], **payload))
                return
            except Permanent as e:
                if str(e) not in GONE | CHANNEL_PROBLEMS:
                    raise
                log.warning("review card %s could not be updated (%s); posting a new one", target[1], e)
        if await self._found(message) is None:
            payload["metadata"] = history.stamped(payload.get("metadata"), message)
            await self._post(payload)

    async def _found(self, message: dict[str, Any]) -> str | None:
        """The ts of the card an earlier attempt posted for this message, when it may have."""
        if not message.get(MAYBE_SENT):
            return None
        seen = await history.find(self.client, message, channel=self.channel)
        if seen is None or 0 not in seen.parts:
            return None
        message[FOUND] = True
        return seen.parts[0]

    async def _post(self, payload: dict[str, Any]) -> Any:
        """A card into WEBNACCS_REVIEW_CHANNEL; a channel the bot cannot post in raises the alert."""
        try:
            posted = await _call(self.client.chat_postMessage(channel=self.channel, **payload))
        except Permanent as e:
            if str(e) not in CHANNEL_PROBLEMS:
                raise
            if self.problem != str(e):
                log.error("Slack review channel %s: %s. Invite the bot to the channel (/invite), or set "
                          "WEBNACCS_REVIEW_CHANNEL to a channel it is in; review cards wait in the outbox "
                          "and are sent again every %.0f s", self.channel, e, CHANNEL_DELAY)
            self.problem = str(e)
            metrics.alert(REVIEW_ALERT, self.problem)
            raise Retry(str(e), after=CHANNEL_DELAY) from e
        if self.problem is not None:
            log.info("Slack review channel %s works again", self.channel)
            self.problem = None
            metrics.alert(REVIEW_ALERT, None)
        return posted

    def _card_of(self, app_id: str) -> tuple[str, str] | None:
        cards = [m for m in self.store.outbox(app_id)
                 if m.get("kind") == "review" and m.get("action") == "request" and m.get("slack_ts")]
        return (cards[-1]["slack_channel"], cards[-1]["slack_ts"]) if cards else None

