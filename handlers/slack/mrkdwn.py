"""Slack's text format, both ways: escape what we post, read back what people typed.

Slack sends ``&``, ``<`` and ``>`` typed by a person as ``&amp;``, ``&lt;`` and ``&gt;``, and
wraps what it auto-links (``<mailto:a@b.jp|a@b.jp>``). Anything we post is read as mrkdwn, so a
person's text must be escaped again before it is echoed: ``<!channel>`` is then shown, not sent.

Escaping is not enough where a person's text sits among our own lines: ``*審査結果*：承認済み``
typed into a reason would read as one of them. Where answers are listed (the review card, the
summary) they go into ``plain_text`` objects (``value_text``), which Slack never formats; where
they sit inside a sentence of ours, ``neutral`` turns the characters that would format (``* _ ~
` `` at a word's edge, ``>`` opening a line) into their full-width forms — the ones NFKC read
them from in the first place. Slack documents no escape for these, and an invisible character
between them (a zero-width space) would be copied along with the text. Bidirectional controls
(U+202E …) never reach Slack: the core drops them from answers, and ``escape`` from the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.text import without_bidi
from handlers.slack import limits

_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
SECTION_LIMIT = limits.SECTION_TEXT
FIELD_LIMIT = limits.FIELD_TEXT
TEXT_LIMIT = limits.MESSAGE_TEXT
_FULL_WIDTH = {"*": "＊", "_": "＿", "~": "～", "`": "｀"}
_MARKER = re.compile(r"[*_~`]")
_QUOTE = re.compile(r"^([ \t]*)>", re.MULTILINE)


def escape(text: str) -> str:
    """Make text inert in mrkdwn: no mentions, no links, no broadcasts, no bidi controls."""
    return without_bidi(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def neutral(text: str) -> str:
    """A person's text that cannot format what it sits in: a marker that could open or close
    bold, italics, strike-through or code (one not inside a word: ``taro_yamada`` stays) and a
    ``>`` that would open a quote become full-width. Escape the result (or the text it goes into)."""

    def swap(m: re.Match[str]) -> str:
        at = m.start()
        before, after = text[at - 1: at], text[at + 1: at + 2]
        if before.isascii() and before.isalnum() and after.isascii() and after.isalnum():
            return m.group(0)
        return _FULL_WIDTH[m.group(0)]

    return _QUOTE.sub(r"\1＞", _MARKER.sub(swap, text))


def inert(text: str) -> str:
    """A person's text for mrkdwn: ``neutral``, then escaped."""
    return escape(neutral(text))


def neutral_all(value: Any) -> Any:
    """``neutral`` every string inside template parameters (dicts and lists included), for a
    template whose whole text is escaped afterwards."""
    return _each_string(value, neutral)


def escape_all(value: Any) -> Any:
    """``inert`` every string inside template parameters (dicts and lists included)."""
    return _each_string(value, inert)


def _each_string(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: _each_string(v, change) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_each_string(v, change) for v in value]
    return value


def value_text(text: str) -> dict[str, Any]:
    """A person's answer as a ``plain_text`` object: shown as typed, line breaks kept, never
    formatted, so no line of it can pose as one of ours (``&``, ``<``, ``>`` escaped still)."""
    return {"type": "plain_text", "text": short(escape(text), FIELD_LIMIT) or " ", "emoji": False}


def labelled(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """(label, value) pairs as sections of ``fields``: our label in bold mrkdwn beside the
    person's value in ``plain_text`` (five pairs a section, Slack's limit of ten fields)."""
    fields: list[dict[str, Any]] = []
    for label, value in pairs:
        fields += [{"type": "mrkdwn", "text": short(f"*{escape(label)}*", FIELD_LIMIT)}, value_text(value)]
    return [{"type": "section", "fields": fields[i: i + 10]} for i in range(0, len(fields), 10)]


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
    return {"type": "plain_text", "text": short(without_bidi(text), limit) or " ", "emoji": True}
