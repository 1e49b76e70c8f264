"""The review mail and page have their texts in both languages, for every action and outcome."""

from __future__ import annotations

import pytest

from bot.application import Application
from handlers import review_view
from handlers.render import Renderer

R = Renderer()
DID = {"ja": {"approve": "承認しました", "return": "差し戻しました", "reject": "却下しました"},
       "en": {"approve": "approved", "return": "returned", "reject": "rejected"}}


def filed(lang: str, decision: str | None = None, by: str = "email:rev1@example.co.jp") -> Application:
    review = {"decision": decision, "by": by, "at": "2026-11-27T09:30:00+09:00", "reason": "理由",
              "comment": "", "start_date": "2027-01-18" if decision == "approve" else None} if decision else None
    return Application(id="a1", created_at="2026-11-26T10:00:00+09:00", lang=lang, acceptance_number="260001A",
                       filed_at="2026-11-26T10:00:00+09:00", state="under_review" if not decision else {
                           "approve": "approved", "return": "returned", "reject": "rejected"}[decision],
                       answers={"company_name": "ABC損害保険株式会社", "desired_start_date": "2027-01-04"},
                       review=review)


def mail_values(app: Application, action: str, lang: str) -> dict:
    return {"action": action, "number": "260001A", "company": "ABC損害保険株式会社",
            "rows": review_view.rows(app, R, lang), "fixed": "", "outcome": review_view.outcome(app, R, lang),
            "when": "w", "expires_on": "2026-12-26", "attachments": ["260001A-application-form.pdf"],
            "links": {"approve": "https://b/A", "return": "https://b/R", "reject": "https://b/J", "page": "https://b/P"}}


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("decision", ["approve", "return", "reject"])
def test_every_review_mail_renders(lang, decision):
    request = mail_values(filed(lang), "request", lang)
    text = R.block("mail/review.j2", "text", lang, **request)
    html = R.render("mail/review.html", lang, subject="s", **request)
    assert all(u in text and f'href="{u}"' in html for u in ("https://b/A", "https://b/R", "https://b/J"))
    assert "260001A-application-form.pdf" in text and "ABC損害保険株式会社" in text
    decided = mail_values(filed(lang, decision), "decided", lang)
    for part in (R.block("mail/review.j2", "subject_decided", lang, **decided),
                 R.block("mail/review.j2", "text", lang, **decided)):
        assert "260001A" in part
    text = R.block("mail/review.j2", "text", lang, **decided)
    assert DID[lang][decision] in text and "rev1@example.co.jp" in text and "https://b/P" in text
    withdrawn = R.block("mail/review.j2", "text", lang, **mail_values(filed(lang), "withdrawn", lang))
    assert "260001A" in withdrawn


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("by", ["email:rev1@example.co.jp", "slack:U123", "cli:operator"])
def test_the_page_says_who_decided_in_both_languages(lang, by):
    app = filed(lang, "approve", by=by)
    page = R.render("web/review.html", lang, app=app, reviewer="rev2@example.co.jp",
                    rows=review_view.rows(app, R, lang), fixed="", outcome=review_view.outcome(app, R, lang),
                    just_decided=False, mine=False)
    assert DID[lang]["approve"] in page and by.partition(":")[2] in page
    assert ("2027年1月18日" if lang == "ja" else "18 Jan 2027") in page


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_refusal_has_a_text(lang):
    pages = {p: R.render("web/review_refused.html", lang, problem=p)
             for p in ("invalid", "expired", "not_reviewer", "not_found")}
    assert len(set(pages.values())) == 4
    forms = {p: R.render("web/form_refused.html", lang, problem=p)
             for p in ("foreign_origin", "token_invalid", "bad_form")}
    assert len(set(forms.values())) == 3
