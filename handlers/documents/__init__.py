"""PDF documents of the procedure: the application form (システムサービス利用契約変更申込書) and,
from the start date on, the approval notice (システムサービス利用契約変更承認通知).

ReportLab draws the Japanese text with its built-in CID fonts (HeiseiMin / HeiseiKakuGo): no font
file is shipped or downloaded, and PDF viewers render them with their own Japanese fonts.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bot import fields as F
from bot.application import Application
from handlers.render import Renderer, format_date

FONT = "HeiseiKakuGo-W5"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
_TEXT = ParagraphStyle("text", fontName=FONT, fontSize=10, leading=14, wordWrap="CJK")
_TITLE = ParagraphStyle("title", parent=_TEXT, fontSize=16, leading=22, alignment=1)


class NotYetAvailable(Exception):
    """The approval notice exists only from the start date on (the seed)."""

    def __init__(self, start_date: str | None) -> None:
        super().__init__(start_date or "")
        self.start_date = start_date


def application_form(app: Application, renderer: Renderer, lang: str = "ja") -> bytes:
    rows = [(renderer.block("documents.j2", "number", lang), app.acceptance_number or ""),
            (renderer.block("documents.j2", "filed_on", lang),
             format_date(app.filed_at, lang))]
    rows += [(renderer.label(f.key, lang), renderer.show(f.key, app.answers.get(f.key), lang))
             for f in F.applicable(app.answers)]
    fixed = app.answers.get("fixed_settings")
    extra = renderer.render("fixed.j2", lang, fixed=fixed) if fixed else ""
    return _pdf(renderer.block("documents.j2", "form_title", lang), rows, extra)


def approval_notice(app: Application, renderer: Renderer, today: date, lang: str = "ja") -> bytes:
    start = (app.review or {}).get("start_date")
    if app.state not in ("approved", "active") or not start or today < date.fromisoformat(start):
        raise NotYetAvailable(start)
    rows = [(renderer.block("documents.j2", "number", lang), app.acceptance_number or ""),
            (renderer.block("documents.j2", "filed_on", lang),
             format_date(app.filed_at, lang)),
            (renderer.label("company_name", lang), app.answers.get("company_name", "")),
            (renderer.label("office_name", lang), app.answers.get("office_name", "")),
            (renderer.block("documents.j2", "start_date", lang), format_date(start, lang)),
            (renderer.label("certificate_count", lang), str(app.answers.get("certificate_count", ""))),
            (renderer.block("documents.j2", "approved_on", lang),
             format_date((app.review or {}).get("at"), lang))]
    body = renderer.block("documents.j2", "notice_body", lang)
    return _pdf(renderer.block("documents.j2", "notice_title", lang), rows, body)


def _pdf(title: str, rows: list[tuple[str, Any]], extra: str) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm, title=title, author="webnaccs-bot")
    cells = [[Paragraph(escape(label), _TEXT), Paragraph(escape(str(value)).replace("\n", "<br/>"), _TEXT)]
             for label, value in rows]
    table = Table(cells, colWidths=[55 * mm, 119 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story = [Paragraph(escape(title), _TITLE), Spacer(1, 8 * mm), table]
    if extra:
        story += [Spacer(1, 6 * mm)] + [Paragraph(escape(line), _TEXT) for line in extra.splitlines()]
    doc.build(story)
    return out.getvalue()


FILE_NAMES = {"form": "application-form", "notice": "approval-notice"}


def kind_for(message: dict[str, Any]) -> str | None:
    """The PDF a notice carries, the same in a mail and in a Slack DM: ``form`` with the
    confirmation, ``notice`` (the approval notice) with the start-date reminder, and the one
    asked for with a ``document`` notice."""
    if message.get("notice") == "confirmation":
        return "form"
    if message.get("notice") == "document":  # asked for by the applicant
        return (message.get("params") or {}).get("document")
    if message.get("notice") == "reminder" and (message.get("params") or {}).get("reminder") == "start":
        return "notice"
    return None


def make(kind: str, app: Application, renderer: Renderer, today: date, lang: str) -> bytes:
    """The PDF of that kind; raises NotYetAvailable for an approval notice before the start date."""
    if kind == "form":
        return application_form(app, renderer, lang)
    return approval_notice(app, renderer, today, lang)


def file_name(kind: str, app: Application) -> str:
    return f"{app.acceptance_number}-{FILE_NAMES[kind]}.pdf"


def for_notice(message: dict[str, Any], app: Application | None, renderer: Renderer, today: date,
               lang: str) -> list[tuple[str, bytes]]:
    """(file name, PDF) for each document a notice carries; none when it has none or it is not
    available yet."""
    kind = kind_for(message)
    if kind is None or app is None or not app.acceptance_number:
        return []
    try:
        return [(file_name(kind, app), make(kind, app, renderer, today, lang))]
    except NotYetAvailable:
        return []
