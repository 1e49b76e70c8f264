"""Reviewers: the 承認 / 差戻し / 却下 buttons of the review card and their modals.

Only users in WEBNACCS_REVIEWERS may decide; anyone else is told so (ephemeral) and the attempt
is written to the application's audit trail. The core applies one decision per filing, so a
double click or a second reviewer changes nothing and is shown who decided, and when.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.application import Application
from bot.service import Service
from bot.vocabulary import State
from handlers.render import Renderer
from handlers.slack.messages import private_metadata
from handlers.slack.mrkdwn import escape
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


class Reviewers:
    def __init__(self, *, service: Service, renderer: Renderer, reviewers: tuple[str, ...],
                 lang: str) -> None:
        self.service = service
        self.renderer = renderer
        self.reviewers = frozenset(reviewers)
        self.lang = lang

    def register(self, app: AsyncApp) -> None:
        for decision in DECISIONS:
            app.action(ACTION_IDS[decision])(self.on_button)
            app.view(CALLBACK_IDS[decision])(self.on_submit)

    def _text(self, block: str, **values: Any) -> str:
        return self.renderer.block(REVIEW, block, self.lang, **values)

    async def on_button(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                        client: AsyncWebClient) -> None:
        await ack()
        decision = action["action_id"].removeprefix("review_")
        user = body["user"]["id"]
        number = str(action.get("value") or "")
        channel = (body.get("channel") or {}).get("id")
        app = await asyncio.to_thread(self.service.find, number)
        refusal: str | None = None
        if user not in self.reviewers:
            await self._refused(app, user, decision)
            refusal = self._text("not_reviewer")
        elif app is None:
            refusal = self._text("not_found", number=escape(number))
        elif app.state != State.UNDER_REVIEW:
            refusal = late_text(app, lang=self.lang, renderer=self.renderer)
        if refusal is not None:
            if channel:
                await client.chat_postEphemeral(channel=channel, user=user, text=refusal)
            return
        assert app is not None
        view = decision_modal(app, decision, lang=self.lang, renderer=self.renderer,
                              dates=self._dates(app), channel=channel,
                              ts=(body.get("message") or {}).get("ts"))
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def on_submit(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        decision = view["callback_id"].removeprefix("review_").removesuffix("_modal")
        user = body["user"]["id"]
        number = str(private_metadata(view).get("number") or "")
        if user not in self.reviewers:  # the modal could be forged: check again
            await self._refused(await asyncio.to_thread(self.service.find, number), user, decision)
            await ack(response_action="update", view=self._info(self._text("not_reviewer")))
            return
        result = await asyncio.to_thread(
            self.service.decide, number, decision=decision, actor=f"slack:{user}",
            reason=modal_input(view, "reason"), comment=modal_input(view, "comment"),
            start_date=modal_input(view, "start_date") or None)
        problem = result.problem
        if result.applied:
            await ack()
        elif problem == "reason_required":
            await ack(response_action="errors", errors={"reason": self._text(f"problem_{problem}")})
        elif problem and problem.startswith("start_date"):
            await ack(response_action="errors", errors={"start_date": self._text(f"problem_{problem}")})
        elif result.app is not None:  # already decided: by whom, and when
            await ack(response_action="update",
                      view=self._info(late_text(result.app, lang=self.lang, renderer=self.renderer)))
        else:
            await ack(response_action="update", view=self._info(self._text("not_found", number=escape(number))))

    async def _refused(self, app: Application | None, user: str, decision: str) -> None:
        log.warning("review %s by %s refused: not a reviewer", decision, user)
        if app is not None:
            await asyncio.to_thread(self.service.note, app.id, actor=f"slack:{user}",
                                    action="decision_refused", reason=f"not a reviewer ({decision})")

    def _info(self, text: str) -> dict[str, Any]:
        return info_view(text, lang=self.lang, renderer=self.renderer)

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

