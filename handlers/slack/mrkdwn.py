"""Slack's text format, both ways: escape what we post, read back what people typed.

Slack sends ``&``, ``<`` and ``>`` typed by a person as ``&amp;``, ``&lt;`` and ``&gt;``, and
wraps what it auto-links (``<mailto:a@b.jp|a@b.jp>``). Anything we post is read as mrkdwn, so a
person's text must be escaped again before it is echoed: ``<!channel>`` is then shown, not sent.
"""

from __future__ import annotations

import re
from typing import Any

_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
SECTION_LIMIT = 3000  # characters in one section's text
TEXT_LIMIT = 3900  # a message's top-level text, kept short for notifications


def escape(text: str) -> str:
    """Make text inert in mrkdwn: no mentions, no links, no broadcasts."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_all(value: Any) -> Any:
    """``escape`` every string inside template parameters (dicts and lists included)."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {k: escape_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [escape_all(v) for v in value]
    return value


def from_slack(text: str) -> str:
    """What the person typed: auto-links back to their text, entities back to characters.

    Mentions and broadcasts (``<@U1>``, ``<!channel>``) are kept as written; they are escaped
    whenever they are echoed."""

    def link(m: re.Match[str]) -> str:
        target, label = m.group(1), m.group(2)
        if target.startswith(("@", "!", "#")):
            return m.group(0)
        if label:
            return label
        for scheme in ("mailto:", "tel:"):
            if target.startswith(scheme):
                return target[len(scheme):]
        return target

    text = _LINK.sub(link, text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mention(actor: str | None) -> str:
    """Who acted, for mrkdwn: a Slack user as a mention, anyone else (the CLI) as plain text."""
    if actor and actor.startswith("slack:") and re.fullmatch(r"[A-Z0-9]+", actor[6:]):
        return f"<@{actor[6:]}>"
    return escape(actor or "")


def sections(text: str) -> list[dict[str, Any]]:
    """mrkdwn text as section blocks, split at line ends to stay under Slack's limit."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > SECTION_LIMIT:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:SECTION_LIMIT])
            line = line[SECTION_LIMIT:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_LIMIT:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks if c.strip()]


def short(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    """A plain_text object (buttons, titles) cut to Slack's length limit."""
    return {"type": "plain_text", "text": short(text, limit) or " ", "emoji": True}
