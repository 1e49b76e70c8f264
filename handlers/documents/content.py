"""What each document says: the application form (申込書) and the approval notice (承認通知) as
``Sheet``s — sections in the order of the seed's screens, every text from documents.j2 and the
field templates."""

from __future__ import annotations

from typing import Any

from bot import fields as F
from bot.application import Application
from handlers.documents.pages import Section, Sheet
from handlers.render import Renderer, format_date

TEMPLATE = "documents.j2"

# The form's sections, in the order of the seed's screens (① 契約内容確認 … ⑩ デジタル証明書数,
# ⑪ 備考); the new user code's fixed settings (⑥–⑦) come before the name tab (⑧).
FORM_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("contract", ("industry", "company_name", "office_name", "user_code", "netnaccs_terminals")),
    ("change", ("change_items", "desired_start_date", "change_reason")),
    ("people", ("applicant_name", "applicant_department", "applicant_email", "applicant_phone",
                "admin_name", "admin_email")),
    ("name", ("name_kanji", "name_kana", "name_english")),
    ("certificates", ("certificate_count", "remarks")),
)


def application_form(app: Application, renderer: Renderer, lang: str) -> Sheet:
    def text(block: str, **values: Any) -> str:
        return renderer.block(TEMPLATE, block, lang, **values)

    applicable = {f.key for f in F.applicable(app.answers)}
    sections = []
    for name, keys in FORM_SECTIONS:
        rows = [(renderer.label(key, lang), _value(key, app, renderer, lang)) for key in keys if key in applicable]
        if name == "name" and app.answers.get("fixed_settings"):
            sections.append(Section(text("section_fixed"), items=_fixed(app, renderer, lang),
                                    note=text("fixed_note")))
        if rows:
            sections.append(Section(text(f"section_{name}"), rows=rows))
    return _sheet(app, renderer, lang, "form_title", header=_dates(app, renderer, lang),
                  addressee=[("body", text("form_lead")), ("note", text("form_note"))], sections=sections)


def approval_notice(app: Application, renderer: Renderer, lang: str, start: str) -> Sheet:
    def text(block: str, **values: Any) -> str:
        return renderer.block(TEMPLATE, block, lang, **values)

    answers = app.answers

    def rows(*keys: str) -> list[tuple[str, str]]:
        return [(renderer.label(k, lang), _value(k, app, renderer, lang)) for k in keys if answers.get(k) is not None]

    addressee = [text("to_company", company=answers.get("company_name", ""), office=answers.get("office_name", "")),
                 text("to_applicant", name=answers.get("applicant_name", ""))]
    if answers.get("admin_name"):
        addressee.append(text("to_admin", name=answers["admin_name"]))
    record = text("notice_record")
    sections = [Section(text("section_contract"), rows=rows("company_name", "office_name", "user_code")),
                Section(text("section_change"), rows=[*rows("change_items"),
                                                      (text("start_date"), format_date(start, lang))]),
                Section(text("notice_certificates"), rows=rows("certificate_count"))]
    header = [*_dates(app, renderer, lang), (text("approved_on"), format_date((app.review or {}).get("at"), lang))]
    return _sheet(app, renderer, lang, "notice_title", header=header, addressee=[("body", a) for a in addressee],
                  opening=[("body", text("notice_lead"))] + ([("center", record)] if record else []),
                  sections=sections,
                  closing=[(style, line) for style, line in (("body", text("notice_keep")),
                                                             ("right", text("notice_end"))) if line])


def _sheet(app: Application, renderer: Renderer, lang: str, title_block: str, **parts: Any) -> Sheet:
    number = app.acceptance_number or ""
    title = renderer.block(TEMPLATE, title_block, lang)
    return Sheet(title=f"{title} {number}".strip(), lang=lang, author=renderer.block(TEMPLATE, "author", lang),
                 subject=renderer.block(TEMPLATE, "subject", lang, number=number),
                 footer=renderer.block(TEMPLATE, "footer", lang, title=title, number=number),
                 page_number=lambda page, pages: renderer.block(TEMPLATE, "page", lang, page=page, pages=pages),
                 heading=title, **parts)


def _dates(app: Application, renderer: Renderer, lang: str) -> list[tuple[str, str]]:
    return [(renderer.block(TEMPLATE, "number", lang), app.acceptance_number or ""),
            (renderer.block(TEMPLATE, "filed_on", lang), format_date(app.filed_at, lang))]


def _value(key: str, app: Application, renderer: Renderer, lang: str) -> str:
    """An answer as the summary shows it; several choices one to a line."""
    value = app.answers.get(key)
    if isinstance(value, list):
        return "\n".join(renderer.choice(key, v, lang) for v in value)
    return renderer.show(key, value, lang)


def _fixed(app: Application, renderer: Renderer, lang: str) -> list[str]:
    """The fixed settings as fixed.j2 words them ("システム区分：共用"), the same as in the chat's
    summary: its lines after the heading, without their bullets."""
    lines = renderer.render("fixed.j2", lang, fixed=app.answers["fixed_settings"]).splitlines()[1:]
    return [line.lstrip("・-").strip() for line in lines if line.strip()]
