"""Was it posted already? An outbox message's posts, looked for in its conversation's history.

``chat.postMessage`` has no idempotency key, so every post of an outbox message carries its
reference (``APP_ID/MESSAGE_ID``, and the reply's index as ``part``) in the message metadata.
Before a message whose earlier attempt may have reached Slack is posted again (the dispatcher
says so: ``MAYBE_SENT``), the sender reads the conversation since the message was queued
(``conversations.history`` with ``include_all_metadata``; ``conversations.replies`` for a reply
in a thread, which the history does not list; a DM's id from ``conversations.open``) and
records what it finds instead of posting it twice. A first attempt never looks.

When the history cannot be read (a missing scope, a rate limit, more messages than we read),
``find`` says so in one WARNING line and answers None: the message is posted, at least once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.client import error_code

log = logging.getLogger("webnaccs.slack.outbox")
REPLY_EVENT = "webnaccs_reply"  # the metadata of a reply that asks nothing
LIMIT = 20  # messages on the first page: a DM holds little more since the message was queued
MORE = 200  # on each further page (the review channel may hold many cards since then)
PAGES = 10  # pages at most
SKEW = 300.0  # seconds before the queue time, for a clock that disagrees with Slack's
SCOPES = {"missing_scope": "im:history, channels:history, groups:history"}


def ref(message: dict[str, Any]) -> str:
    return f"{message['app_id']}/{message['id']}"


def stamped(metadata: dict[str, Any] | None, message: dict[str, Any], part: int | None = None
            ) -> dict[str, Any]:
    """The post's metadata with the message's reference added to its payload (a post without
    metadata of its own gets ``webnaccs_reply``)."""
    metadata = metadata or {"event_type": REPLY_EVENT,
                            "event_payload": {"application_id": message["app_id"]}}
    payload = {**(metadata.get("event_payload") or {}), "outbox_id": ref(message)}
    if part is not None:
        payload["part"] = part
    return {**metadata, "event_payload": payload}


@dataclass
class Seen:
    """The conversation since the message was queued: where, and which of its posts are there."""

    channel: str
    parts: dict[int, str] = field(default_factory=dict)  # part → ts of the post
    messages: list[dict[str, Any]] = field(default_factory=list)

    def file_after(self, name: str, ts: str | None) -> bool:
        """A file of that name shared in the conversation after ``ts``."""
        if not ts:
            return False
        return any(float(m.get("ts") or 0) > float(ts) and any(f.get("name") == name for f in m.get("files") or [])
                   for m in self.messages)


class Unreadable(Exception):
    """The history does not tell."""


async def find(client: AsyncWebClient, message: dict[str, Any], *, channel: str | None = None) -> Seen | None:
    """The message's posts in its conversation (``channel``, else the recipient's DM); None when
    the history cannot be read (logged once: the caller posts)."""
    try:
        where = channel or await _dm(client, message)
        messages = await _recent(client, where, str(message.get("created_at") or ""),
                                 thread=str(message.get("thread") or "") or None)
    except (SlackApiError, Unreadable, OSError, TimeoutError) as e:
        reason = error_code(e) if isinstance(e, SlackApiError) else str(e) or type(e).__name__
        hint = f"; add {SCOPES[reason]} to the app and reinstall it" if reason in SCOPES else ""
        log.warning("outbox %s: Slack's history cannot tell whether an earlier attempt posted it (%s)%s; "
                    "posting it (it may show twice)", ref(message), reason, hint)
        return None
    except Exception as e:  # aiohttp's errors and the like: the same, never a stuck message
        log.warning("outbox %s: Slack's history cannot tell whether an earlier attempt posted it (%s); "
                    "posting it (it may show twice)", ref(message), type(e).__name__)
        return None
    seen = Seen(where, messages=messages)
    for posted in messages:
        payload = (posted.get("metadata") or {}).get("event_payload") or {}
        if payload.get("outbox_id") == ref(message):
            part = payload.get("part")
            seen.parts[part if isinstance(part, int) else 0] = str(posted.get("ts") or "")
    return seen


async def _dm(client: AsyncWebClient, message: dict[str, Any]) -> str:
    """The DM's channel id (history takes no user id): recorded, or from conversations.open."""
    known, to = message.get("slack_channel"), str(message.get("to") or "")
    if known:
        return str(known)
    if not to.startswith(("U", "W")):
        return to
    opened = await client.conversations_open(users=to)
    channel = (opened.get("channel") or {}).get("id")
    if not channel:
        raise Unreadable("conversations.open gave no channel")
    return str(channel)


async def _recent(client: AsyncWebClient, channel: str, queued: str, *, thread: str | None
                  ) -> list[dict[str, Any]]:
    try:
        oldest = datetime.fromisoformat(queued).timestamp() - SKEW
    except ValueError as e:
        raise Unreadable("no queue time") from e
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    for page_number in range(PAGES):
        limit = LIMIT if page_number == 0 else MORE
        if thread:  # replies in a thread are not in the channel's history
            page = await client.conversations_replies(channel=channel, ts=thread, oldest=f"{oldest:.6f}",
                                                      limit=limit, include_all_metadata=True, cursor=cursor)
        else:
            page = await client.conversations_history(channel=channel, oldest=f"{oldest:.6f}", limit=limit,
                                                      include_all_metadata=True, cursor=cursor)
        found += [m for m in page.get("messages") or [] if isinstance(m, dict)]
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or not cursor:
            return found
    raise Unreadable(f"more than {LIMIT + MORE * (PAGES - 1)} messages since it was queued")
