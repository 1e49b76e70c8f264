"""Applicants: the conversation in a DM (``message.im``), ``/webnaccs``, the answer buttons,
the form modal and the App Home buttons. Every listener acknowledges first and then works;
the core runs in a thread (``asyncio.to_thread``), one input per person at a time."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import commands as C
from bot import intents
from bot.service import Outcome, Person, Service
from bot.vocabulary import Mode
from handlers import metrics
from handlers.render import Renderer
from handlers.slack import form
from handlers.slack.home import HOME_CONTINUE, HOME_NEW, SHOWN, HomeTab, headline
from handlers.slack.messages import ANSWER_PREFIX, FORM_OPEN, MESSAGES, private_metadata, read_answer
from handlers.slack.mrkdwn import escape, from_slack
from handlers.slack.people import People
from store.spool import Spool

log = logging.getLogger("webnaccs.slack.applicants")
COMMAND = "/webnaccs"
T = TypeVar("T")
ACK_WITHIN = 2.0  # seconds: Slack wants its answer within 3
TAKEN_KEPT = 1000
PROFILE_WITHIN = 1.0  # seconds to wait for users.info before a views.open


class Applicants:
    def __init__(self, *, service: Service, renderer: Renderer, people: People, home: HomeTab,
                 lang: str, form_dates: int = 10, inbox: Spool | None = None) -> None:
        self.inbox = inbox  # DMs a previous release acknowledged: replayed at start
        self.taken: dict[str, None] = {}  # event ids taken before Bolt saw them (recent ones)
        self.replayed: asyncio.Future[None] | None = None  # older messages first
        self.service = service
        self.renderer = renderer
        self.people = people
        self.home = home
        self.lang = lang
        self.form_dates = form_dates
        self._later: set[asyncio.Future[None]] = set()  # forms answered before they were saved

    def register(self, app: AsyncApp) -> None:
        app.event("message")(self.on_message)
        app.event("app_home_opened")(self.on_home_opened)
        app.command(COMMAND)(self.on_command)
        app.action(re.compile("^" + re.escape(ANSWER_PREFIX)))(self.on_answer)
        app.action(FORM_OPEN)(self.on_form_open)
        app.action(HOME_NEW)(self.on_start)
        app.action(HOME_CONTINUE)(self.on_start)
        app.view(form.CALLBACK)(self.on_form_submit)

    # --- the DM -------------------------------------------------------------------------

    async def take(self, body: dict[str, Any], *, replaying: bool = False) -> None:
        """A person's DM, before Slack is told it arrived: when this returns, the turn it
        started is saved (it raises when it could not be). Joins, deletions, bots (ourselves
        included) and other channels are not taken (``dm_kind``)."""
        event = body.get("event") or {}
        kind = dm_kind(event)
        if kind is None:
            return
        message: dict[str, Any] = event["message"] if kind == EDITED else event
        user = message.get("user")
        if not user or user == _bot_user(body):
            return
        text = from_slack(message.get("text") or "")
        if kind == MESSAGE and not text.strip():
            return
        if not replaying and self.replayed is not None and not self.replayed.done():
            await asyncio.shield(self.replayed)  # live messages wait for the replay
        with metrics.turn("slack"):
            person = replace(await self.people.person(user), thread=_thread(message))
            async with self.people.lock(user):
                said = _command(kind, text, person, _event_key(body))
                await asyncio.to_thread(self.service.dispatch, said)
        self.taken[str(body.get("event_id"))] = None
        while len(self.taken) > TAKEN_KEPT:
            self.taken.pop(next(iter(self.taken)))

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        """Bolt's turn, after the channel took the DM before acknowledging it."""
        if self.taken.pop(str(body.get("event_id")), "missing") is None:
            return
        await self.take(body)

    async def replay(self, name: str, body: dict[str, Any]) -> None:
        """A DM a previous release wrote to its inbox and acknowledged: taken now, then forgotten."""
        await self.take(body, replaying=True)
        if self.inbox is not None:
            await asyncio.to_thread(self.inbox.done, name)

    async def on_home_opened(self, event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            await self.home.publish(event["user"])

    # --- /webnaccs ------------------------------------------------------------------------

    async def on_command(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond,
                         client: AsyncWebClient) -> None:
        typed = command.get("text") or ""
        user = command["user_id"]
        lang = self.lang
        said = intents.read(typed, person=Person(key=f"slack:{user}", channel="slack"))
        if intents.is_form_request(typed):
            await ack()
            await self._open_form(client, command["trigger_id"], user)
        elif isinstance(said, C.ShowStatus):
            await ack()
            await respond(text=await self._status_text(user), response_type="ephemeral")
        elif isinstance(said, C.Start) or not typed.strip():
            await acked_when_saved(ack, self._start(user), response_type="ephemeral",
                                   text=self.renderer.block("slack/command.j2", "started", lang))
        else:  # help, or anything it does not know
            await ack(text=self.renderer.block("slack/command.j2", "help", lang), response_type="ephemeral")

    async def _status_text(self, user: str) -> str:
        person = await self.people.person(user)
        apps = await asyncio.to_thread(self.service.applications_of, person)
        lang = apps[-1].lang if apps else self.lang
        if not apps:
            asked = await asyncio.to_thread(self.service.first_question_waiting, person)
            return self.renderer.block("slack/command.j2", "asked" if asked else "none", lang)
        lines = [self.renderer.block("slack/command.j2", "status_header", lang)]
        for app in sorted(apps, key=lambda a: a.created_at, reverse=True)[:SHOWN]:
            lines += [line for line in headline(app, lang=lang, renderer=self.renderer) if line]
        return "\n".join(lines)

    # --- buttons --------------------------------------------------------------------------

    async def on_answer(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                        client: AsyncWebClient) -> None:
        """A click chooses one option of the question it was posted with, and only that one.

        Slack gets its 200 once the answer is saved (or after ACK_WITHIN at the latest, so it
        never times out): a crash before that leaves Slack showing the click as failed, and the
        person clicks again — an acknowledged click is never lost."""
        answer = read_answer(action.get("value"))
        user = body["user"]["id"]
        if answer is None:
            await ack()
            return
        outcome = await acked_when_saved(ack, self._answer(user, answer, action, body))
        if outcome.stale:
            channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
            app = await asyncio.to_thread(self.service.load, answer["a"])
            lang = app.lang if app else self.lang
            if channel:
                await client.chat_postEphemeral(channel=channel, user=user,
                                                text=self.renderer.block(MESSAGES, "stale", lang))

    async def _answer(self, user: str, answer: dict[str, Any], action: dict[str, Any],
                      body: dict[str, Any]) -> Outcome:
        if "o" not in answer:  # a button posted by an earlier release: ask for a fresh answer
            return Outcome(None, [], stale=True)
        person = await self.people.person(user)
        key = f"slack-action:{user}:{action.get('action_ts') or body.get('trigger_id')}"
        async with self.people.lock(user):
            return await asyncio.to_thread(self.service.dispatch, C.ChooseOption(
                person=person, key=key, app_id=answer["a"], field=answer.get("f"),
                mode=Mode(answer["m"]), option=answer["o"]))

    async def on_start(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """App Home: start a new application, or continue the open one (same thing to the core)."""
        await ack()
        await self._start(body["user"]["id"])

    async def _start(self, user: str) -> Outcome:
        person = await self.people.person(user)
        async with self.people.lock(user):
            return await asyncio.to_thread(self.service.start, person)

    # --- the form -------------------------------------------------------------------------

    async def on_form_open(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await self._open_form(client, body["trigger_id"], body["user"]["id"])

    async def _open_form(self, client: AsyncWebClient, trigger_id: str, user: str) -> None:
        # the trigger id lives 3 s: a profile that does not come in time is not prefilled
        person = await self.people.person(user, within=PROFILE_WITHIN)
        draft = await asyncio.to_thread(self.service.open_draft, person)
        known = {**person.prefill, **(draft.prefill if draft else {}), **(draft.answers if draft else {})}
        lang = draft.lang if draft else self.lang
        view = form.form_view(known=known, lang=lang, renderer=self.renderer,
                              dates=self._dates(), app_id=draft.id if draft else None)
        await client.views_open(trigger_id=trigger_id, view=view)

    def _dates(self) -> list[date]:
        return list(self.service.schedule.next_dates(self.service.today(), self.form_dates))

    async def on_form_submit(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                             client: AsyncWebClient) -> None:
        """Each field is validated by the core; accepted answers are kept, the others shown
        beside their fields. Once all are accepted the DM continues with the summary.

        Slack gets its answer once the answers are saved, or after ACK_WITHIN at the latest
        (users.info may be waiting out a Retry-After, the lock or the save may be slow): then
        the modal says the form is being saved, and the DM tells the outcome when it is."""
        user = body["user"]["id"]
        lang = private_metadata(view).get("lang") or self.lang
        answers, errors = form.for_the_core(form.submitted(view))
        saving = asyncio.ensure_future(self._fill_form(user, answers))
        try:
            person, refused = await asyncio.wait_for(asyncio.shield(saving), timeout=ACK_WITHIN)
        except TimeoutError:
            log.warning("form of %s: not saved within %.1fs; the outcome goes to the DM", user, ACK_WITHIN)
            await ack(response_action="update", view=form.notice_view("saving", lang=lang, renderer=self.renderer))
            later = asyncio.ensure_future(self._form_saved_late(saving, errors, client, user=user, lang=lang))
            self._later.add(later)
            later.add_done_callback(self._later.discard)
            return
        except Exception:
            log.exception("form of %s could not be saved", user)
            await ack(response_action="update",
                      view=form.notice_view("save_failed", lang=lang, renderer=self.renderer))
            return
        errors = {**errors, **refused}
        if errors:
            await ack(response_action="errors", errors=form.error_texts(errors, lang, self.renderer))
            return
        await ack()
        await self._resume(user, person)

    async def _fill_form(self, user: str, answers: dict[str, str]) -> tuple[Person, dict[str, dict[str, Any]]]:
        """The form's answers saved; returns the person and the answers the core refused."""
        person = await self.people.person(user)
        quiet = Person(key=person.key, channel=person.channel, prefill=person.prefill,
                       aliases=person.aliases, address=None)  # the modal answers, not the DM
        async with self.people.lock(user):
            outcome = await asyncio.to_thread(self.service.fill, quiet, answers)
        filled = next((r for r in outcome.replies if r.kind == "filled"), None)
        return person, dict(filled.params.get("errors", {}) if filled else {})

    async def _resume(self, user: str, person: Person) -> None:
        async with self.people.lock(user):
            await asyncio.to_thread(self.service.resume, person)

    async def _form_saved_late(self, saving: asyncio.Future[tuple[Person, dict[str, dict[str, Any]]]],
                               errors: dict[str, dict[str, Any]], client: AsyncWebClient, *,
                               user: str, lang: str) -> None:
        """The outcome of a form answered before it was saved: the fields not taken, in the DM
        (the conversation then asks for them), or that nothing could be saved."""
        try:
            person, refused = await saving
        except Exception:
            log.exception("form of %s could not be saved", user)
            await self._tell(client, user, self.renderer.block(form.FORM, "save_failed", lang))
            return
        errors = {**errors, **refused}
        if errors:
            texts = form.error_texts(errors, lang, self.renderer)
            await self._tell(client, user, self.renderer.block(form.FORM, "saved_late_errors", lang, errors=[
                (self.renderer.label(key, lang), escape(text)) for key, text in texts.items()]))
        await self._resume(user, person)

    async def settle(self) -> None:
        """Wait for the forms still being saved after their answer (a clean stop, and tests)."""
        while self._later:
            await asyncio.gather(*list(self._later), return_exceptions=True)

    async def _tell(self, client: AsyncWebClient, user: str, text: str) -> None:
        try:
            await client.chat_postMessage(channel=user, text=text)
        except Exception as e:
            log.warning("telling %s about their form failed (%s)", user, type(e).__name__)


async def acked_when_saved(ack: AsyncAck, saving: Awaitable[T], **answer: Any) -> T:
    """Acknowledge once ``saving`` is done — or after ACK_WITHIN at the latest, so Slack never
    times out — so what Slack was told is received is (almost always) already saved."""
    task = asyncio.ensure_future(saving)
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=ACK_WITHIN)
    except TimeoutError:
        pass
    finally:
        await ack(**answer)
    return await task


MESSAGE, FILE_SHARE, EDITED = "message", "file_share", "edited"


def dm_kind(event: dict[str, Any]) -> str | None:
    """What a DM event is to the conversation: a person's message (``MESSAGE``, a thread
    broadcast included), a message with files (``FILE_SHARE``: its text is read, the files are
    not), an edit of one (``EDITED``: answered, never read as an answer), or None for the rest
    (deletions, joins, bots, a message changed by Slack itself: unfurls, thread counts)."""
    if event.get("type") != "message" or event.get("channel_type") != "im" or event.get("bot_id"):
        return None
    subtype = event.get("subtype")
    if subtype in (None, "thread_broadcast"):
        return MESSAGE
    if subtype == FILE_SHARE:
        return FILE_SHARE
    if subtype == "message_changed":
        changed = event.get("message")
        if isinstance(changed, dict) and changed.get("edited") and not changed.get("bot_id") \
                and changed.get("subtype") in (None, "thread_broadcast", FILE_SHARE):
            return EDITED
    return None


def is_dm(event: dict[str, Any]) -> bool:
    """A person's DM that the conversation answers (see ``dm_kind``)."""
    return dm_kind(event) is not None


def _command(kind: str, text: str, person: Person, key: str | None) -> C.Command:
    """The core's command for a DM: typed text through ``bot.intents``; what the message
    carries besides text, or an edit, is said in ``Command.unread`` (files are never read)."""
    if kind == EDITED:
        return C.Resume(person=person, key=key, unread=(C.EDITED,))
    if kind == FILE_SHARE and not text.strip():
        return C.Resume(person=person, key=key, unread=(C.FILES_ONLY,))
    said = intents.read(text, person=person, key=key)
    return replace(said, unread=(C.ATTACHMENTS,)) if kind == FILE_SHARE else said


def _thread(message: dict[str, Any]) -> str | None:
    """The thread a person wrote in (its parent's ts), where the replies go too."""
    thread = message.get("thread_ts")
    return str(thread) if isinstance(thread, str) and thread else None


def _bot_user(body: dict[str, Any]) -> str | None:
    """Our own user id, as the event's authorizations name it."""
    for authorization in body.get("authorizations") or []:
        if isinstance(authorization, dict) and authorization.get("is_bot"):
            return str(authorization.get("user_id"))
    return None


def _event_key(body: dict[str, Any]) -> str | None:
    event_id = body.get("event_id")
    return f"slack-event:{event_id}" if event_id else None


