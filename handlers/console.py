"""The terminal chat: the same conversation as Slack and email, line by line.

Plain mode prints the bot's replies as text (interactive with a prompt on a terminal, or
line-by-line from piped stdin); JSON-lines mode speaks ``{"text": …}`` in and
``{"field", "text", "choices", "acceptance_number"}`` out for scripts and other front ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from bot.commands import Resume
from bot.conversation import Reply
from bot.service import Outcome, Person, Service
from handlers.render import Renderer

ASKING = frozenset({"question", "summary", "help_offer", "pick_field", "cancel_confirm"})
# The chat ends with the conversation: filed, withdrawn, cancelled, or ended for the industry.
# Anything else (a status, a PDF asked for, a question) leaves it reading the next line.
ENDING = frozenset({"filed", "withdrawn", "cancelled", "ineligible"})


@dataclass
class Line:
    field: str | None
    text: str
    choices: list[str]
    acceptance_number: str | None

    def as_json(self) -> str:
        return json.dumps({"field": self.field, "text": self.text, "choices": self.choices,
                           "acceptance_number": self.acceptance_number}, ensure_ascii=False)


class Console:
    def __init__(self, service: Service, renderer: Renderer, person: Person) -> None:
        self.service = service
        self.renderer = renderer
        self.person = person
        self.finished = False

    def start(self) -> list[Line]:
        """The open draft's question; else where the person's latest application stands (a
        new one only on 新規), or the first question of a first application."""
        if self.service.open_draft(self.person) is not None:
            return self._lines(self.service.start(self.person))
        return self._lines(self.service.dispatch(Resume(person=self.person)))

    def say(self, text: str) -> list[Line]:
        return self._lines(self.service.handle(self.person, text))

    def _lines(self, outcome: Outcome) -> list[Line]:
        app = outcome.app
        for reply in outcome.replies:
            if reply.kind == "language_changed":  # also before anything is stored
                self.service.default_lang = str(reply.params["language"])
        lang = app.lang if app else self.service.default_lang
        self.finished = any(r.kind in ENDING for r in outcome.replies)
        number = app.acceptance_number if app else None
        return [self._line(r, lang, number) for r in outcome.replies]

    def _line(self, reply: Reply, lang: str, number: str | None) -> Line:
        field = reply.field if reply.kind in ASKING else None
        choices = self.renderer.choice_labels(reply, lang) if reply.choices else []
        return Line(field, self.renderer.reply(reply, lang), choices, number)


def run_plain(console: Console, lines: Iterable[str], out: TextIO) -> int:
    """Replies to stdout; ``lines`` is piped stdin or an interactive reader."""
    _print(console.start(), out)
    for raw in lines:
        text = raw.rstrip("\r\n")
        if not text.strip():
            continue
        _print(console.say(text), out)
        if console.finished:
            break
    return 0


def run_jsonl(console: Console, lines: Iterable[str], out: TextIO, renderer: Renderer) -> int:
    _emit(console.start(), out)
    for raw in lines:
        if not raw.strip():
            continue
        text = _text_of(raw)
        if text is None:
            message = renderer.render("cli/bad_jsonl.j2", console.service.default_lang)
            out.write(json.dumps({"field": None, "text": message, "choices": [],
                                  "acceptance_number": None, "error": "bad_input"},
                                 ensure_ascii=False) + "\n")
            out.flush()
            continue
        _emit(console.say(text), out)
        if console.finished:
            break
    return 0


def _text_of(raw: str) -> str | None:
    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError:
        return None
    text = data.get("text") if isinstance(data, dict) else None
    if isinstance(text, str):
        return text
    return None


def _print(lines: list[Line], out: TextIO) -> None:
    for line in lines:
        out.write(line.text + "\n\n")
    out.flush()


def _emit(lines: list[Line], out: TextIO) -> None:
    for line in lines:
        out.write(line.as_json() + "\n")
    out.flush()
