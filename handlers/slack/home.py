"""App Home: each of a person's applications with its acceptance number, state, the progress
line 申込 → 受付 → 内容確認中 → 審査終了 → 利用開始 and what to do next."""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot import fields as F
from bot.application import Application
from bot.service import Service
from handlers.render import Renderer
from handlers.slack import limits
from handlers.slack.messages import FORM_OPEN
from handlers.slack.mrkdwn import escape_all, inert, plain, sections
from handlers.slack.people import People

log = logging.getLogger("webnaccs.slack.home")
HOME = "slack/home.j2"
HOME_NEW = "home_new"
HOME_CONTINUE = "home_continue"
SHOWN = 10
STEP = {"draft": 0, "returned": 0, "under_review": 2, "approved": 3, "active": 4}


def home_view(apps: list[Application], *, lang: str, renderer: Renderer) -> dict[str, Any]:
    def text(block: str, **values: Any) -> str:
        return renderer.block(HOME, block, lang, **values)

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(text("header"), limits.HEADER)},
        *sections(text("intro")),
        {"type": "actions", "block_id": "home_actions", "elements": [
            {"type": "button", "action_id": HOME_NEW, "style": "primary", "text": plain(text("new_button"))},
            {"type": "button", "action_id": FORM_OPEN, "value": "-", "text": plain(text("form_button"))}]},
    ]
    newest = sorted(apps, key=lambda a: a.created_at, reverse=True)
    if not newest:
        blocks += sections(text("none"))
    for app in newest[:SHOWN]:
        blocks += [{"type": "divider"}, *_application(app, lang, renderer)]
    if len(newest) > SHOWN:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": text("more", count=len(newest) - SHOWN)}]})
    return {"type": "home", "blocks": blocks}


def _application(app: Application, lang: str, renderer: Renderer) -> list[dict[str, Any]]:
    def text(block: str, **values: Any) -> str:
        return renderer.block(HOME, block, lang, **values)

    title, progress = headline(app, lang=lang, renderer=renderer)
    blocks = sections(title)
    if progress:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": progress}]})
    review = app.review or {}
    applicable = F.applicable(app.answers)
    blocks += sections(text(f"next_{app.state}",
                            answered=sum(1 for f in applicable if f.key in app.answers),
                            total=len(applicable), reason=inert(review.get("reason") or ""),
                            start_date=review.get("start_date") or app.answers.get("confirmed_start_date")))
    if app.state in ("draft", "returned"):
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "action_id": HOME_CONTINUE, "value": app.id, "text": plain(text("continue_button"))},
            {"type": "button", "action_id": FORM_OPEN, "value": app.id, "text": plain(text("form_button"))}]})
    return blocks


def headline(app: Application, *, lang: str, renderer: Renderer) -> tuple[str, str]:
    """The acceptance number, state and company (mrkdwn), and the progress line ("" when the
    application has left the path: rejected, withdrawn, closed)."""
    answers = escape_all({k: app.answers.get(k) for k in ("company_name", "office_name")})
    title = renderer.block(HOME, "title", lang, acceptance_number=app.acceptance_number,
                           state_label=renderer.block(HOME, f"state_{app.state}", lang), **answers)
    if app.state not in STEP:
        return title, ""
    steps = [renderer.block(HOME, f"step_{i}", lang) for i in range(5)]
    return title, renderer.block(HOME, "progress", lang, steps=steps, current=STEP[app.state])


def signature(apps: list[Application]) -> str:
    """What the home shows, coarsely: a refresh is published only when this changes."""
    return repr(sorted((a.id, a.state, a.acceptance_number, (a.review or {}).get("decision"))
                       for a in apps))


class HomeTab:
    """Publishes a person's App Home: on app_home_opened, and in the background whenever the
    outbox delivers something to them (which is whenever their applications change)."""

    def __init__(self, *, client: AsyncWebClient, service: Service, renderer: Renderer,
                 people: People, lang: str) -> None:
        self.client = client
        self.service = service
        self.renderer = renderer
        self.people = people
        self.lang = lang
        self._shown: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def publish(self, user: str, *, only_if_changed: bool = False) -> None:
        # One publish per person at a time, each reading the state when its turn comes: an
        # older view can never land after a newer one.
        async with self._lock(user):
            person = await self.people.person(user)
            apps = await asyncio.to_thread(self.service.applications_of, person)
            seen = signature(apps)
            if only_if_changed and self._shown.get(user) == seen:
                return
            lang = max(apps, key=lambda a: a.created_at).lang if apps else self.lang
            await self.client.views_publish(user_id=user, view=home_view(apps, lang=lang, renderer=self.renderer))
            self._shown[user] = seen

    def _lock(self, user: str) -> asyncio.Lock:
        lock = self._locks.get(user)
        if lock is None:
            lock = self._locks[user] = asyncio.Lock()
        return lock

    def refresh_later(self, user: str) -> None:
        """Best effort, off the delivery path: a failed refresh never holds a message back."""
        task = asyncio.create_task(self._refresh(user))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _refresh(self, user: str) -> None:
        try:
            await self.publish(user, only_if_changed=True)
        except Exception as e:  # the next change or app_home_opened publishes again
            log.warning("App Home refresh for %s failed: %s", user, type(e).__name__)

    async def settle(self) -> None:
        """Wait for the refreshes under way (tests, and a clean stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
