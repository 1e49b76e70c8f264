"""How the operator's commands show things: columns aligned by display width (a full-width
character takes two), times in Japan time, the core's codes in words, answers in the form's order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from wcwidth import wcswidth, wcwidth

from bot.dates import JST
from bot.fields import FIELDS
from handlers.render import Renderer

HIDDEN_ANSWERS = frozenset({"fixed_settings", "confirm"})  # shown apart / not an answer
ORDER = {f.key: n for n, f in enumerate(FIELDS)}


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (a character it cannot measure counts one)."""
    measured = wcswidth(text)
    if measured >= 0:
        return measured
    return sum(max(wcwidth(c), 1) if c.isprintable() else 0 for c in text)


def pad(value: object, columns: int) -> str:
    """``value`` followed by spaces up to ``columns`` display columns."""
    text = "-" if value is None or value == "" else str(value)
    return text + " " * max(0, columns - width(text))


def jst(value: object, *, seconds: bool = True) -> str:
    """An ISO timestamp as Japan time, ``2026-12-02 08:31:00`` (naive ones are Japan time)."""
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    moment = moment.replace(tzinfo=JST) if moment.tzinfo is None else moment.astimezone(JST)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def ordered(answers: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The answers in the form's order (bot.fields.FIELDS), any others after them."""
    shown = [(k, v) for k, v in answers.items() if k not in HIDDEN_ANSWERS]
    return sorted(shown, key=lambda kv: (ORDER.get(kv[0], len(ORDER)), kv[0]))


class Words:
    """The operator's words for the core's codes (templates/<lang>/cli/words.j2)."""

    def __init__(self, renderer: Renderer, lang: str) -> None:
        self.renderer = renderer
        self.lang = lang

    def __call__(self, kind: str, code: object) -> str:
        if code is None or code == "":
            return "-"
        return self.renderer.block("cli/words.j2", f"{kind}_{code}", self.lang) or str(code)


def helpers(renderer: Renderer, lang: str) -> dict[str, Callable[..., Any]]:
    """What the operator templates call besides the renderer's own helpers."""
    return {"pad": pad, "jst": jst, "words": Words(renderer, lang), "ordered": ordered}


def application_json(app: Any, audit: Iterable[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """An application for scripts: codes, not words; the sealed ID通知 codes left out."""
    out: dict[str, Any] = {
        "id": app.id, "acceptance_number": app.acceptance_number, "state": str(app.state),
        "closed_reason": app.closed_reason, "lang": app.lang, "created_at": app.created_at,
        "filed_at": app.filed_at, "desired_start_date": app.answers.get("desired_start_date"),
        "company_name": app.answers.get("company_name"), "applicant_name": app.answers.get("applicant_name"),
    }
    if audit is None:
        return out
    notice = {k: v for k, v in (app.id_notice or {}).items() if k != "sealed"} or None
    return {**out, "answers": dict(ordered(app.answers)), "fixed_settings": app.answers.get("fixed_settings"),
            "people": list(app.people), "review": app.review, "id_notice": notice,
            "reminders": dict(app.reminders), "wakeup": app.wakeup, "audit": [dict(e) for e in audit]}
