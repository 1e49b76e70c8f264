"""The fill-in block: ``label: value`` lines that answer several questions in one mail.

Question mails list the questions still open as lines such as ``企業名: `` (choices shown in
brackets after the label). A reply may carry any of them filled in; each is read by the core
with its own rule. Labels are recognised in Japanese and English, as the templates write them
or as the core knows them (``find_field``), with or without the bracketed hint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot import fields as F
from bot.text import squash
from handlers.render import LANGS, Renderer

_LINE = re.compile(r"^\s*[・*\-]?\s*([^:：\n]{1,80}?)\s*[:：]\s?(.*)$")
_OPEN = ("（", "(", "［", "[", "【")


class Labels:
    """Maps what a person may write before the colon to a field key."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self._known: dict[str, str] = {}
        for lang in LANGS:
            for f in F.FIELDS:
                self._known.setdefault(squash(renderer.label(f.key, lang)), f.key)

    def field(self, label: str) -> str | None:
        for candidate in _shorter(label):
            key = squash(candidate)
            if not key or key.isdigit():  # "10:00" is a time, not question 10
                continue
            if key in self._known:
                return self._known[key]
            found = F.find_field(candidate)
            if found is not None:
                return found.key
        return None


def _shorter(label: str) -> list[str]:
    """The label, then the label cut before each opening bracket, longest first."""
    cuts = [i for i, ch in enumerate(label) if ch in _OPEN and i > 0]
    return [label, *(label[:i] for i in reversed(cuts))]


def parse(text: str, labels: Labels) -> dict[str, str]:
    """``{field: value}`` for every filled-in line; the lines right below a multi-line field's
    line (up to a blank line) continue its value.

    Empty values are skipped (a copied block with blanks left in it answers only what was
    filled). Returns {} when no line names a field.
    """
    values: dict[str, str] = {}
    current: str | None = None  # a multi-line field still taking lines (no blank line since)
    for line in text.split("\n"):
        m = _LINE.match(line)
        key = labels.field(m.group(1)) if m else None
        if m and key is not None:
            value = m.group(2).strip()
            if value:
                values[key] = value
            else:
                values.pop(key, None)
            current = key if F.BY_KEY[key].multiline else None
        elif current is not None and line.strip():
            values[current] = f"{values[current]}\n{line.strip()}" if current in values else line.strip()
        else:
            current = None
    return values


def block_lines(open_keys: list[str], prefill: Mapping[str, object], renderer: Renderer,
                lang: str) -> list[dict[str, str]]:
    """What the template needs to print each open question as a fill-in line."""
    rows = []
    for key in open_keys:
        f = F.BY_KEY[key]
        hint = ""
        if f.choices:
            hint = "／".join(f"{n}. {renderer.choice(key, c.value, lang)}"
                            for n, c in enumerate(f.choices, 1))
        value = prefill.get(key)
        rows.append({"key": key, "label": renderer.label(key, lang), "hint": hint,
                     "value": renderer.show(key, value, lang) if value not in (None, "") else ""})
    return rows
