"""Reviewers: the 承認 / 差戻し / 却下 buttons of the review card and their modals.

Only users in WEBNACCS_REVIEWERS may decide; anyone else is told so (ephemeral) and the attempt
is written to the application's audit trail. The core applies one decision per filing, so a
double click or a second reviewer changes nothing and is shown who decided, and when.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.application import Application
from bot.service import Ruling, Service
from bot.vocabulary import State
from handlers.render import Renderer
from handlers.slack.messages import private_metadata
from handlers.slack.mrkdwn import escape
from handlers.slack.people import People
from handlers.slack.review_views import (
    ACTION_IDS,
    CALLBACK_IDS,
    DECISIONS,
    REVIEW,
    decision_modal,
    info_view,
    late_text,
    modal_input,
)

log = logging.getLogger("webnaccs.slack.reviewers")
APPROVE_DATES = 24
OPENED_FOR = 5.0  # seconds: a second click on the same button within this opens no second modal
LOCALE_WITHIN = 1.0  # seconds to wait for users.info before opening (the trigger id lives 3 s)
DECIDE_WITHIN = 2.0  # seconds to wait for the decision's save before answering Slack (3 s)
LANGS = ("ja", "en")


class Reviewers:
    def __init__(self, *, service: Service, renderer: Renderer, reviewers: tuple[str, ...],
                 lang: str, people: People | None = None, opened_for: float = OPENED_FOR,
                 decide_within: float = DECIDE_WITHIN, clock: Callable[[], float] = time.monotonic) -> None:
        self.service = service
        self.renderer = renderer
        self.reviewers = frozenset(reviewers)
        self.lang = lang
        self.people = people
        self.opened_for = opened_for
        self.decide_within = decide_within
        self.clock = clock
        self._opened: dict[tuple[str, str, str], float] = {}  # (reviewer, number, decision) → when
        self._later: set[asyncio.Future[None]] = set()  # decisions answered after their ack

    def register(self, app: AsyncApp) -> None:
        for decision in DECISIONS:
            app.action(ACTION_IDS[decision])(self.on_button)
            app.view(CALLBACK_IDS[decision])(self.on_submit)
            app.view_closed(CALLBACK_IDS[decision])(self.on_closed)

    async def on_closed(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The reviewer closed the modal (notify_on_close): the button may open it again at once."""
        await ack()
        decision = str(view.get("callback_id") or "").removeprefix("review_").removesuffix("_modal")
        number = str(private_metadata(view).get("number") or "")
        self._opened.pop((str((body.get("user") or {}).get("id")), number, decision), None)

    def _text(self, block: str, lang: str, **values: Any) -> str:
        return self.renderer.block(REVIEW, block, lang, **values)

    async def _lang(self, user: str) -> str:
        """The reviewer's Slack language (cached per user), else WEBNACCS_LANG."""
        if self.people is None:
            return self.lang
        return await self.people.lang(user, default=self.lang, within=LOCALE_WITHIN)

    def _first_click(self, key: tuple[str, str, str]) -> bool:
        """True for the first click on a button by this reviewer in ``opened_for`` seconds;
        checked and noted before anything is awaited, so two clicks racing see each other."""
        now = self.clock()
        for old in [k for k, at in self._opened.items() if now - at >= self.opened_for]:
            del self._opened[old]
        if key in self._opened:
            return False
        self._opened[key] = now
        return True

    async def on_button(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                        client: AsyncWebClient) -> None:
        await ack()
        decision = action["action_id"].removeprefix("review_")
        user = body["user"]["id"]
        number = str(action.get("value") or "")
        channel = (body.get("channel") or {}).get("id")
        key = (user, number, decision)
        first = user not in self.reviewers or self._first_click(key)
        app, lang = await asyncio.gather(asyncio.to_thread(self.service.find, number), self._lang(user))
        if not first:  # a double click: the modal is open; unless decided meanwhile, nothing to say
            log.info("review %s of %s by %s: clicked again, the modal is open already", decision, number, user)
            if app is not None and app.state != State.UNDER_REVIEW and channel:
                await client.chat_postEphemeral(channel=channel, user=user,
                                                text=late_text(app, lang=lang, renderer=self.renderer))
            return
        refusal: str | None = None
        if user not in self.reviewers:
            await self._refused(app, user, decision)
            refusal = self._text("not_reviewer", lang)
        elif app is None:
            refusal = self._text("not_found", lang, number=escape(number))
        elif app.state != State.UNDER_REVIEW:
            refusal = late_text(app, lang=lang, renderer=self.renderer)
        if refusal is not None:
            if channel:
                await client.chat_postEphemeral(channel=channel, user=user, text=refusal)
            return
        assert app is not None
        view = decision_modal(app, decision, lang=lang, renderer=self.renderer,
                              dates=self._dates(app), channel=channel,
                              ts=(body.get("message") or {}).get("ts"))
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        except Exception:
            self._opened.pop(key, None)  # nothing opened: the next click may try again
            raise

    async def on_submit(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                        client: AsyncWebClient) -> None:
        """Slack gets its answer once the decision is saved, or after ``decide_within`` at the
        latest: then the modal says the decision is being saved, and the reviewer is told the
        outcome in the review channel (ephemeral) or their DM when the save is done."""
        decision = view["callback_id"].removeprefix("review_").removesuffix("_modal")
        user = body["user"]["id"]
        meta = private_metadata(view)
        number = str(meta.get("number") or "")
        lang = str(meta["lang"]) if meta.get("lang") in LANGS else self.lang
        if user not in self.reviewers:  # the modal could be forged: check again
            noting = asyncio.ensure_future(self._refused_number(number, user, decision))
            self._later.add(noting)
            noting.add_done_callback(self._later.discard)
            with contextlib.suppress(Exception):  # audited within the time, or afterwards
                await asyncio.wait_for(asyncio.shield(noting), timeout=self.decide_within)
            await ack(response_action="update", view=self._info(self._text("not_reviewer", lang), lang))
            return
        deciding = asyncio.ensure_future(asyncio.to_thread(
            self.service.decide, number, decision=decision, actor=f"slack:{user}",
            reason=modal_input(view, "reason"), comment=modal_input(view, "comment"),
            start_date=modal_input(view, "start_date") or None))
        try:
            result = await asyncio.wait_for(asyncio.shield(deciding), timeout=self.decide_within)
        except TimeoutError:
            log.warning("review %s of %s by %s: not saved within %.1fs; the reviewer is told when it is",
                        decision, number, user, self.decide_within)
            await ack(response_action="update", view=self._info(self._text("saving", lang), lang))
            later = asyncio.ensure_future(self._tell_later(deciding, client, user=user, number=number,
                                                           lang=lang, channel=meta.get("channel")))
            self._later.add(later)
            later.add_done_callback(self._later.discard)
            return
        except Exception:
            log.exception("review %s of %s by %s could not be saved", decision, number, user)
            await ack(response_action="update",
                      view=self._info(self._text("save_failed", lang, acceptance_number=escape(number)), lang))
            return
        problem = result.problem
        if result.applied:
            await ack()
        elif problem == "reason_required":
            await ack(response_action="errors", errors={"reason": self._text(f"problem_{problem}", lang)})
        elif problem and problem.startswith("start_date"):
            await ack(response_action="errors", errors={"start_date": self._text(f"problem_{problem}", lang)})
        else:
            await ack(response_action="update", view=self._info(self._outcome(result, number, lang), lang))

    def _outcome(self, result: Ruling, number: str, lang: str) -> str:
        """What became of a submission, in words (for the modal, or for a message afterwards)."""
        if result.applied and result.app is not None:
            return self._text("saved", lang, acceptance_number=escape(number),
                              decision_label=self._text(str((result.app.review or {}).get("decision")), lang))
        if result.problem == "reason_required" or (result.problem or "").startswith("start_date"):
            return self._text("saved_not", lang, acceptance_number=escape(number),
                              problem=self._text(f"problem_{result.problem}", lang))
        if result.app is not None:  # already decided: by whom, and when
            return late_text(result.app, lang=lang, renderer=self.renderer)
        return self._text("not_found", lang, number=escape(number))

    async def _tell_later(self, deciding: asyncio.Future[Ruling], client: AsyncWebClient, *,
                          user: str, number: str, lang: str, channel: str | None) -> None:
        try:
            text = self._outcome(await deciding, number, lang)
        except Exception:
            log.exception("review decision on %s by %s could not be saved", number, user)
            text = self._text("save_failed", lang, acceptance_number=escape(number))
        try:
            if channel:
                await client.chat_postEphemeral(channel=channel, user=user, text=text)
            else:
                await client.chat_postMessage(channel=user, text=text)
        except Exception as e:  # the decision itself is saved (or not) either way
            log.warning("telling %s the outcome of the decision on %s failed (%s)", user, number, type(e).__name__)

    async def settle(self) -> None:
        """Wait for the outcomes still to be told (a clean stop, and tests)."""
        while self._later:
            await asyncio.gather(*list(self._later), return_exceptions=True)

    async def _refused_number(self, number: str, user: str, decision: str) -> None:
        try:
            await self._refused(await asyncio.to_thread(self.service.find, number), user, decision)
        except Exception:
            log.exception("the refused %s of %s by %s could not be audited", decision, number, user)

    async def _refused(self, app: Application | None, user: str, decision: str) -> None:
        log.warning("review %s by %s refused: not a reviewer", decision, user)
        if app is not None:
            await asyncio.to_thread(self.service.note, app.id, actor=f"slack:{user}",
                                    action="decision_refused", reason=f"not a reviewer ({decision})")

    def _info(self, text: str, lang: str) -> dict[str, Any]:
        return info_view(text, lang=lang, renderer=self.renderer)

    def _dates(self, app: Application) -> list[date]:
        today = self.service.today()
        dates = [s.start for s in self.service.schedule.slots if s.start > today][:APPROVE_DATES]
        desired = app.answers.get("desired_start_date")
        try:
            wanted = date.fromisoformat(desired) if desired else None
        except ValueError:
            wanted = None
        scheduled = {s.start for s in self.service.schedule.slots}
        if wanted and wanted > today and wanted in scheduled and wanted not in dates:
            dates = sorted([*dates, wanted])
        return dates

