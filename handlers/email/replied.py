"""Which of the bot's mails a reply answers, and the question that mail asked.

Every mail the bot sends has the stable Message-ID ``<wn.APP.OUTBOX@domain>``, ``OUTBOX`` being
the id of the outbox message it was made from, and the outbox keeps that message with its
replies. A reply names the mail it answers in ``In-Reply-To`` (and, clients differ, at the end
of ``References``), so the field that mail asked is read back from the outbox: a reply to an
earlier question mail can be taken for that question rather than the one asked now.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

ASKING = frozenset({"question", "summary", "help_offer"})  # the replies a question mail is made of
MAX_IDS = 50  # of References: a long thread names every earlier mail; the newest are enough
_MESSAGE_ID = re.compile(r"<([^<>\s@]{1,200})@([^<>\s@]{1,200})>")
_OURS = re.compile(r"wn\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_.-]{1,100})")


def answered(in_reply_to_value: str, references_value: str) -> list[str]:
    """The Message-IDs a mail answers, the one it replies to first (``In-Reply-To``), then
    ``References`` newest first (read from the values as they came: ``reading.read``)."""
    in_reply_to = _ids(in_reply_to_value)
    references = _ids(references_value)[-MAX_IDS:]
    seen: dict[str, None] = {}
    for message_id in [*in_reply_to[:1], *reversed(references)]:
        seen.setdefault(message_id, None)
    return list(seen)


def asked_field(message_ids: list[str], *, app_ids: tuple[str, ...], domain: str,
                message: Callable[[str, str], dict[str, Any] | None]) -> str | None:
    """The field asked by the newest of our mails from the records ``app_ids`` among
    ``message_ids`` (None when that mail asked nothing, or none is ours). A draft's first
    question may have been sent from another record (its host), hence several."""
    for message_id in message_ids:
        ours = _outbox_id(message_id, app_ids=app_ids, domain=domain)
        if ours is None:
            continue
        found = message(*ours)
        return _field(found) if found is not None else None  # ours, but gone: nothing to go by
    return None


def _ids(value: str) -> list[str]:
    return [f"<{local}@{domain}>" for local, domain in _MESSAGE_ID.findall(value[:20_000])]


def _outbox_id(message_id: str, *, app_ids: tuple[str, ...], domain: str) -> tuple[str, str] | None:
    match = _MESSAGE_ID.fullmatch(message_id)
    if match is None or match.group(2).lower() != domain.lower():
        return None
    ours = _OURS.fullmatch(match.group(1))
    if ours is None or ours.group(1) not in app_ids:
        return None
    return ours.group(1), ours.group(2)


def _field(message: dict[str, Any]) -> str | None:
    """The field a reply mail asked: its last reply that waits for an answer (as the mail's
    ``X-WebNACCS-Field`` says)."""
    asking: Iterator[dict[str, Any]] = (r for r in reversed(message.get("replies") or [])
                                        if r.get("kind") in ASKING and r.get("field"))
    found = next(asking, None)
    return str(found["field"]) if found else None
