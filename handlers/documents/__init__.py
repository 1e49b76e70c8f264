"""PDF documents of the procedure: the application form (システムサービス利用契約変更申込書) and,
from the start date on, the approval notice (システムサービス利用契約変更承認通知).

``content`` says what each document holds (sections in the order of the seed's screens),
``pages`` lays it out as a form on A4 in an embedded Japanese font (IPAex Gothic), so the PDFs
look the same on every machine. Japanese by default, English when the application's language is
English. ``file_name`` is the one name of each document, in mails, Slack uploads and the CLI.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.application import Application
from handlers.documents import content, pages
from handlers.render import Renderer

FILE_NAMES = {"form": "application-form", "notice": "approval-notice"}


class NotYetAvailable(Exception):
    """The approval notice exists only from the start date on (the seed)."""

    def __init__(self, start_date: str | None) -> None:
        super().__init__(start_date or "")
        self.start_date = start_date


def file_name(acceptance_number: str, kind: str) -> str:
    """``260001A-application-form.pdf`` (kind ``form``) or ``260001A-approval-notice.pdf`` (``notice``)."""
    if kind not in FILE_NAMES:
        raise ValueError(f"no document of kind {kind!r}")
    return f"{acceptance_number}-{FILE_NAMES[kind]}.pdf"


def application_form(app: Application, renderer: Renderer, lang: str = "ja") -> bytes:
    return pages.render(content.application_form(app, renderer, lang))


def approval_notice(app: Application, renderer: Renderer, today: date, lang: str = "ja") -> bytes:
    start = (app.review or {}).get("start_date")
    if app.state not in ("approved", "active") or not start or today < date.fromisoformat(start):
        raise NotYetAvailable(start)
    return pages.render(content.approval_notice(app, renderer, lang, start))


def kind_for(message: dict[str, Any]) -> str | None:
    """The PDF a notice carries, the same in a mail and in a Slack DM: ``form`` with the
    confirmation, ``notice`` (the approval notice) with the start-date reminder, and the one
    asked for with a ``document`` notice."""
    if message.get("notice") == "confirmation":
        return "form"
    if message.get("notice") == "document":  # asked for by the applicant
        kind = (message.get("params") or {}).get("document")
        return kind if kind in FILE_NAMES else None
    if message.get("notice") == "reminder" and (message.get("params") or {}).get("reminder") == "start":
        return "notice"
    return None


def make(kind: str, app: Application, renderer: Renderer, today: date, lang: str) -> bytes:
    """The PDF of that kind; raises NotYetAvailable for an approval notice before the start date."""
    if kind == "form":
        return application_form(app, renderer, lang)
    return approval_notice(app, renderer, today, lang)


def for_notice(message: dict[str, Any], app: Application | None, renderer: Renderer, today: date,
               lang: str) -> list[tuple[str, bytes]]:
    """(file name, PDF) for each document a notice carries; none when it has none or it is not
    available yet."""
    kind = kind_for(message)
    if kind is None or app is None or not app.acceptance_number:
        return []
    try:
        return [(file_name(app.acceptance_number, kind), make(kind, app, renderer, today, lang))]
    except NotYetAvailable:
        return []
