"""Who a Slack user is to the core: ``Person(slack:U…)`` with the profile's name and email
(prefilled, and the email as an alias so a draft started by mail continues here), and the
language their Slack client is set to (``users.info`` with ``include_locale``), cached per user
for ``ttl`` seconds."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.service import Person

log = logging.getLogger("webnaccs.slack.people")
PROFILE_TTL = 3600.0


class People:
    def __init__(self, client: AsyncWebClient, *, ttl: float = PROFILE_TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.ttl = ttl
        self.clock = clock
        self._profiles: dict[str, tuple[float, dict[str, str]]] = {}
        self._pending: set[asyncio.Future[dict[str, str]]] = set()  # lookups not waited for
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def person(self, user: str, *, within: float | None = None) -> Person:
        """With ``within``: a profile that takes longer is not waited for (see :meth:`lang`)."""
        profile = await self._profile_within(user, within)
        email = profile.get("email", "").strip().lower()
        prefill = {k: v for k, v in (("applicant_name", profile.get("name", "")),
                                     ("applicant_email", email)) if v}
        return Person(key=f"slack:{user}", channel="slack", prefill=prefill,
                      aliases=(f"email:{email}",) if email else (), address=user)

    async def profile(self, user: str) -> dict[str, str]:
        cached = self._profiles.get(user)
        if cached and self.clock() - cached[0] < self.ttl:
            return cached[1]
        try:
            response = await self.client.users_info(user=user, include_locale=True)
        except (TimeoutError, SlackApiError, OSError) as e:
            log.warning("users.info for %s failed (%s); continuing without the profile", user, type(e).__name__)
            return cached[1] if cached else {}
        data: Any = response.get("user") or {}
        profile = data.get("profile") or {}
        found = {"name": str(profile.get("real_name") or data.get("real_name") or "").strip(),
                 "email": str(profile.get("email") or "").strip(),
                 "locale": str(data.get("locale") or "").strip()}
        self._profiles[user] = (self.clock(), found)
        return found

    async def lang(self, user: str, *, default: str, within: float | None = None) -> str:
        """``ja`` or ``en`` from the user's Slack locale (``ja-JP`` → ja, ``en-US`` → en), else
        ``default``. With ``within``, a lookup that takes longer (users.info waiting out a
        Retry-After) is not waited for: ``default`` now, and the cache is filled when it answers."""
        return lang_of((await self._profile_within(user, within)).get("locale"), default)

    async def _profile_within(self, user: str, within: float | None) -> dict[str, str]:
        cached = self._profiles.get(user)
        if within is None or (cached and self.clock() - cached[0] < self.ttl):
            return await self.profile(user)
        lookup = asyncio.ensure_future(self.profile(user))
        try:
            return await asyncio.wait_for(asyncio.shield(lookup), timeout=within)
        except TimeoutError:
            self._pending.add(lookup)
            lookup.add_done_callback(self._pending.discard)
            return cached[1] if cached else {}

    def lock(self, user: str) -> asyncio.Lock:
        """One person's inputs are handled one at a time, in the order they arrived."""
        lock = self._locks.get(user)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user] = lock
        return lock


def lang_of(locale: str | None, default: str) -> str:
    """The bot's language for a Slack locale: Japanese and English; anything else the default."""
    prefix = (locale or "").lower().split("-")[0]
    return prefix if prefix in ("ja", "en") else default
